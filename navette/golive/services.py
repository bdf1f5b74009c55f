"""Merging two patrons who are one person (registered in two libraries before go-live)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from navette.circulation.models import Hold, HoldStatus
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_record
from navette.core.errors import DomainError
from navette.golive.models import MergeDecision
from navette.network.scope import scope_check
from navette.patrons.models import Patron, PatronCard


class MergeRefused(DomainError):
    """The two patrons cannot be merged (the same patron twice, or one is gone)."""

    code = "merge_refused"


def patron_merge(*, keep: Patron, other: Patron, actor: Actor, now: dt.datetime) -> Patron:
    """Merge ``other`` into ``keep``: its loans, holds, fines, payments, blocks and cards
    move to ``keep``, its current card becoming an alias that still works at the desk and
    at kiosks; ``other`` is deleted. Of two active holds on one title, the one placed first
    stays (with its place in the queue) and the other is cancelled.

    Network administrators only (``OutOfScope``); ``MergeRefused`` for the same patron.
    Audited. Rows are locked patron by patron in key order, then the holds.
    """
    if keep.pk == other.pk:
        raise MergeRefused(code="merge_with_itself")
    scope_check(actor=actor, library_ids=(None,), action=AuditAction.PATRON_MERGE, now=now,
                obj=keep)  # fmt: skip
    with transaction.atomic():
        locked = {
            p.pk: p
            for p in Patron.objects.select_for_update().filter(pk__in=[keep.pk, other.pk])
            .order_by("pk")
        }  # fmt: skip
        if len(locked) != 2:
            raise MergeRefused(code="patron_gone")
        kept, gone = locked[keep.pk], locked[other.pk]
        holds = list(
            Hold.objects.active().select_for_update().filter(patron__in=[kept, gone])
            .order_by("placed_at", "pk")
        )  # fmt: skip
        seen: set[int] = set()
        for hold in holds:
            if hold.record_id in seen:
                hold.status = HoldStatus.CANCELLED
                hold.closed_at = now
                hold.save(update_fields=["status", "closed_at"])
            seen.add(hold.record_id)
        PatronCard.objects.filter(patron=gone, replaced_at__isnull=True).update(
            patron=kept, is_alias=True
        )
        _move_rows(gone, kept)
        if not PatronCard.objects.filter(number=gone.card_number).exists():
            PatronCard.objects.create(patron=kept, number=gone.card_number, issued_at=now,
                                      is_alias=True)  # fmt: skip
        if gone.history_opt_in and not kept.history_opt_in:
            kept.history_opt_in = True
            kept.save(update_fields=["history_opt_in"])
        audit_record(
            actor=actor, action=AuditAction.PATRON_MERGE, now=now, obj=kept,
            data={"merged": gone.pk, "card": gone.card_number},
        )  # fmt: skip
        gone.delete()
    return kept


def _move_rows(gone: Patron, kept: Patron) -> None:
    """Give ``kept`` every row of every app that points to ``gone`` (loans, holds, fines,
    payments, cards, blocks, event registrations, digital tokens, notices sent...), found
    through the model's relations so that no app is forgotten nor imported here. A row that
    the other's would duplicate (one per patron and month, one registration per event)
    stays with ``gone`` and goes with it (cascade) or is kept without a patron."""
    for relation in Patron._meta.get_fields(include_hidden=True):
        if not (relation.is_relation and relation.auto_created and not relation.concrete):
            continue
        model, name = relation.related_model, relation.field.name  # type: ignore[union-attr]
        rows = model._base_manager.filter(**{name: gone})  # type: ignore[union-attr]
        try:
            with transaction.atomic():
                rows.update(**{name: kept})
        except IntegrityError:
            for pk in list(rows.values_list("pk", flat=True)):
                try:
                    with transaction.atomic():
                        model._base_manager.filter(pk=pk).update(**{name: kept})  # type: ignore[union-attr]
                except IntegrityError:
                    continue


def merge_decide(
    *, source_a: str, card_a: str, source_b: str, card_b: str, merge: bool, actor: Actor,
    now: dt.datetime,
) -> MergeDecision:  # fmt: skip
    """Record a librarian's decision on two cards that may be one person: the next apply
    merges them (``merge``) or keeps them apart, whatever the mapping's rule. Network
    administrators only (``OutOfScope``)."""
    scope_check(actor=actor, library_ids=(None,), action=AuditAction.PATRON_MERGE, now=now)
    with transaction.atomic():
        decision, _created = MergeDecision.objects.update_or_create(
            source_a=source_a, card_a=card_a, source_b=source_b, card_b=card_b,
            defaults={"merge": merge, "decided_by": actor.label, "decided_at": now},
        )  # fmt: skip
    return decision
