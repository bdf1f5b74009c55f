"""Merging duplicate records, undoing a merge, and telling two records apart.

A merge keeps one record and removes the other (a tombstone tells harvesters), after
moving to the kept record everything that referred to the merged one: its copies (and
with them their loans, so loan history follows), what other domains registered a
``MergeParticipant`` for (circulation moves holds), and its identifiers, kept as
``MergedIdentifier`` so that a later MARC import of the same record finds the kept one.
Statistics facts name no record (library, document type, category): nothing to move.

Row locks, in the project's order extended by records: the copies of both records, then
the two records, then (the participants) holds; each in id order. A merge and its undo are
one transaction each. The undo is refused, with a code saying what changed, when putting
things back would break something done since (a copy set aside for a hold of the kept
record, a hold that now waits on a copy of the other record...).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NoReturn, Protocol

from django.core import serializers
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from navette.catalogue.duplicates import keys_refresh
from navette.catalogue.heading_index import headings_detach, headings_refresh
from navette.catalogue.models import (
    DeletedRecord,
    Item,
    MergedIdentifier,
    NotDuplicate,
    Record,
    RecordIdentifier,
    RecordMerge,
)
from navette.core.actions import AuditAction
from navette.core.actors import Actor, ActorKind
from navette.core.audit import audit_record
from navette.core.errors import DomainError
from navette.core.outbox import enqueue_records
from navette.network.scope import catalogue_scope_check


class MergeRefused(DomainError):
    code = "merge_refused"


class UndoRefused(DomainError):
    code = "unmerge_refused"


class MergeParticipant(Protocol):
    """A domain above catalogue whose rows refer to records (circulation: holds).

    ``move`` runs inside the merge's transaction after the copies and records are locked,
    locks its own rows, moves them from ``merged_id`` to ``kept_id`` and returns what it
    needs to undo (JSON), or raises ``MergeRefused``. ``undo_problem`` says why its part
    cannot be put back (a code and data) or ``None``; ``undo`` puts it back.
    """

    name: str
    #: the models (``app_label.Model``) whose references to records it moves
    handles: tuple[str, ...]

    def move(self, *, kept_id: int, merged_id: int, item_ids: list[int],
             now: dt.datetime) -> dict[str, Any]: ...  # fmt: skip

    def undo_problem(self, *, data: dict[str, Any], kept_id: int, merged_id: int,
                     item_ids: list[int]) -> tuple[str, dict[str, Any]] | None: ...  # fmt: skip

    def undo(self, *, data: dict[str, Any], kept_id: int, merged_id: int,
             merged_at: dt.datetime, now: dt.datetime) -> None: ...  # fmt: skip


_participants: dict[str, MergeParticipant] = {}


def merge_participant(participant: MergeParticipant) -> None:
    """Register a participant (from its app's ``AppConfig.ready``)."""
    _participants[participant.name] = participant


#: the catalogue's own references to records: moved or removed by the merge itself
OWN = {
    "catalogue.Item", "catalogue.RecordIdentifier", "catalogue.DuplicateKey",
    "catalogue.NotDuplicate", "catalogue.RecordMerge", "catalogue.MergedIdentifier",
    # headings are derived (detached here, refreshed by the undo); the merged record's cover
    # goes with it, the kept record's stays
    "catalogue.RecordHeading", "catalogue.Cover",
}  # fmt: skip

UNDO_MESSAGES = {
    "already_undone": _("Cette fusion a déjà été annulée."),
    "kept_gone": _("La notice conservée n'existe plus : la fusion ne peut pas être annulée."),
    "copy_moved": _("Un exemplaire de la notice fusionnée a changé de notice depuis."),
}


def _user_id(actor: Actor) -> int | None:
    return actor.id if actor.kind == ActorKind.STAFF else None


def _referrers(record_id: int) -> list[str]:
    """Models outside the catalogue and its participants that refer to ``record_id``."""
    handled = OWN | {label for p in _participants.values() for label in p.handles}
    found = []
    for rel in Record._meta.related_objects:
        model = rel.related_model
        if isinstance(model, str):  # a relation to "self": none on records
            continue
        label = f"{model._meta.app_label}.{model.__name__}"
        if label in handled:
            continue
        if model._default_manager.filter(**{rel.field.name: record_id}).exists():
            found.append(str(model._meta.verbose_name))
    return found


def record_merge(*, kept: Record, merged: Record, actor: Actor, now: dt.datetime) -> RecordMerge:
    """Merge ``merged`` into ``kept`` (see the module's docstring).

    Refused (``MergeRefused``, nothing changed) for the same record twice, a record gone
    or linked to something no participant moves (a vendor's title); ``OutOfScope`` or
    ``CatalogueRoleRequired`` (audited) unless the actor is a network administrator or a
    cataloguer working at every library owning a copy of ``merged``.
    """
    if kept.pk == merged.pk:
        raise MergeRefused(_("Une notice ne peut pas être fusionnée avec elle-même."),
                           code="same_record")  # fmt: skip
    owners = set(
        Item.objects.filter(record_id=merged.pk).values_list("owning_library_id", flat=True)
    )
    catalogue_scope_check(actor=actor, library_ids=owners, action=AuditAction.RECORD_MERGE,
                          now=now, obj=merged)  # fmt: skip
    with transaction.atomic():
        list(Item.objects.select_for_update().filter(record_id__in=[kept.pk, merged.pk])
             .order_by("pk").values_list("pk", flat=True))  # fmt: skip
        locked = {r.pk: r for r in Record.objects.select_for_update().filter(
            pk__in=[kept.pk, merged.pk]).order_by("pk")}  # fmt: skip
        if len(locked) != 2:
            raise MergeRefused(_("Une des deux notices n'existe plus."), code="record_gone")
        record = locked[merged.pk]
        moving = list(
            Item.objects.select_for_update().filter(record_id=record.pk).order_by("pk")
            .values_list("pk", "owning_library_id")
        )  # fmt: skip
        if {lib for _pk, lib in moving} - owners:
            raise MergeRefused(_("Des exemplaires ont été ajoutés entre-temps : recommencez."),
                               code="copies_changed")  # fmt: skip
        linked = _referrers(record.pk)
        if linked:
            raise MergeRefused(
                _(
                    "La notice « %(title)s » est liée à : %(what)s ; elle ne peut pas être fusionnée."
                )
                % {"title": record.title, "what": ", ".join(linked)},
                code="record_linked",
            )
        item_ids = [pk for pk, _lib in moving]
        snapshot: dict[str, Any] = {
            "record": serializers.serialize("json", [record]),
            "identifiers": list(
                RecordIdentifier.objects.filter(record_id=record.pk)
                .order_by("pk").values_list("kind", "value")
            ),
            "items": item_ids,
            "carried": list(MergedIdentifier.objects.filter(record_id=record.pk)
                            .values_list("pk", flat=True)),
            "earlier_merges": list(RecordMerge.objects.filter(kept_id=record.pk)
                                   .values_list("pk", flat=True)),
            "not_duplicates": [
                [a, b] for a, b in NotDuplicate.objects.filter(
                    Q(first_id=record.pk) | Q(second_id=record.pk)
                ).values_list("first_id", "second_id")
            ],
            "participants": {},
        }  # fmt: skip
        for participant in _participants.values():
            snapshot["participants"][participant.name] = participant.move(
                kept_id=kept.pk, merged_id=record.pk, item_ids=item_ids, now=now
            )
        Item.objects.filter(pk__in=item_ids).update(record_id=kept.pk, updated_at=now)
        merge = RecordMerge.objects.create(
            kept_id=kept.pk, merged_record_id=record.pk, merged_title=record.title,
            snapshot=snapshot, merged_at=now, merged_by_id=_user_id(actor),
        )  # fmt: skip
        MergedIdentifier.objects.bulk_create(
            MergedIdentifier(merge=merge, record_id=kept.pk, kind=kind, value=value)
            for kind, value in snapshot["identifiers"]
        )
        MergedIdentifier.objects.filter(pk__in=snapshot["carried"]).update(record_id=kept.pk)
        RecordMerge.objects.filter(pk__in=snapshot["earlier_merges"]).update(kept_id=kept.pk)
        DeletedRecord.objects.create(
            record_id=record.pk, flavour=record.flavour, doc_type=record.doc_type,
            title=record.title, deleted_at=now,
        )  # fmt: skip
        audit_record(actor=actor, action=AuditAction.RECORD_MERGE, now=now, obj=merge,
                     data={"kept": kept.pk, "merged": record.pk, "items": item_ids})  # fmt: skip
        merged_id = record.pk
        headings_detach([merged_id])
        record.delete()
        Record.objects.filter(pk=kept.pk).update(updated_at=now)
        enqueue_records([kept.pk, merged_id])
    return merge


def record_merge_undo(*, merge: RecordMerge, actor: Actor, now: dt.datetime) -> Record:
    """Put back the merged record as it was, with its identifiers, copies and holds.

    Refused (``UndoRefused`` with a code, nothing changed) when the merge was undone
    already, the kept record is gone, a copy left the kept record, or a participant says
    its part cannot be put back. Same rights as the merge (the copies' libraries).
    """
    snapshot = merge.snapshot
    item_ids: list[int] = list(snapshot.get("items", []))
    owners = set(Item.objects.filter(pk__in=item_ids).values_list("owning_library_id", flat=True))
    catalogue_scope_check(actor=actor, library_ids=owners, action=AuditAction.RECORD_UNMERGE,
                          now=now, obj=merge)  # fmt: skip
    with transaction.atomic():
        current = RecordMerge.objects.select_for_update().get(pk=merge.pk)
        if current.undone_at is not None:
            _refuse_undo("already_undone")
        kept_id = current.kept_id
        if kept_id is None:
            _refuse_undo("kept_gone")
        list(Item.objects.select_for_update().filter(pk__in=item_ids).order_by("pk")
             .values_list("pk", flat=True))  # fmt: skip
        if not Record.objects.select_for_update().filter(pk=kept_id).exists():
            _refuse_undo("kept_gone")
        if Item.objects.filter(pk__in=item_ids, record_id=kept_id).count() != len(item_ids):
            _refuse_undo("copy_moved")
        merged_id = current.merged_record_id
        for participant in _participants.values():
            data = snapshot["participants"].get(participant.name, {})
            problem = participant.undo_problem(data=data, kept_id=kept_id, merged_id=merged_id,
                                               item_ids=item_ids)  # fmt: skip
            if problem is not None:
                code, context = problem
                raise UndoRefused(_("Cette fusion ne peut plus être annulée."), code=code,
                                  **context)  # fmt: skip
        for restored in serializers.deserialize("json", snapshot["record"]):
            restored.object.updated_at = now  # type: ignore[attr-defined]  # a Record
            restored.save()
        DeletedRecord.objects.filter(record_id=merged_id).delete()
        RecordIdentifier.objects.bulk_create(
            RecordIdentifier(record_id=merged_id, kind=kind, value=value)
            for kind, value in snapshot["identifiers"]
        )
        current.identifiers.all().delete()
        MergedIdentifier.objects.filter(pk__in=snapshot["carried"]).update(record_id=merged_id)
        RecordMerge.objects.filter(pk__in=snapshot["earlier_merges"]).update(kept_id=merged_id)
        NotDuplicate.objects.bulk_create(
            [NotDuplicate(first_id=a, second_id=b, decided_at=now)
             for a, b in snapshot["not_duplicates"]
             if Record.objects.filter(pk__in=[a, b]).count() == 2],
            ignore_conflicts=True,
        )  # fmt: skip
        Item.objects.filter(pk__in=item_ids).update(record_id=merged_id, updated_at=now)
        for participant in _participants.values():
            participant.undo(data=snapshot["participants"].get(participant.name, {}),
                             kept_id=kept_id, merged_id=merged_id, merged_at=current.merged_at,
                             now=now)  # fmt: skip
        keys_refresh([merged_id])
        headings_refresh([merged_id])
        current.undone_at = now
        current.save(update_fields=["undone_at"])
        Record.objects.filter(pk=kept_id).update(updated_at=now)
        audit_record(actor=actor, action=AuditAction.RECORD_UNMERGE, now=now, obj=current,
                     data={"kept": kept_id, "merged": merged_id, "items": item_ids})  # fmt: skip
        enqueue_records([kept_id, merged_id])
    return Record.objects.get(pk=merged_id)


def _refuse_undo(code: str) -> NoReturn:
    raise UndoRefused(UNDO_MESSAGES[code], code=code)


def records_not_duplicate(*, first: Record, second: Record, actor: Actor,
                          now: dt.datetime) -> NotDuplicate:  # fmt: skip
    """Remember that two records are distinct: the pair is never proposed again.
    Cataloguers and network administrators only (``CatalogueRoleRequired``)."""
    if first.pk == second.pk:
        raise MergeRefused(_("Une notice ne peut pas être fusionnée avec elle-même."),
                           code="same_record")  # fmt: skip
    catalogue_scope_check(actor=actor, library_ids=[], action=AuditAction.RECORD_NOT_DUPLICATE,
                          now=now, obj=first)  # fmt: skip
    low, high = sorted((first.pk, second.pk))
    with transaction.atomic():
        pair, _created = NotDuplicate.objects.get_or_create(
            first_id=low, second_id=high,
            defaults={"decided_at": now, "decided_by_id": _user_id(actor)},
        )  # fmt: skip
        audit_record(actor=actor, action=AuditAction.RECORD_NOT_DUPLICATE, now=now, obj=pair,
                     data={"records": [low, high]})  # fmt: skip
    return pair
