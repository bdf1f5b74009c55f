"""Batch changes: many copies (or records) changed at once, previewed, audited, undoable.

Copies are selected by a list of barcodes (scanned or a text file, one per line), a shelf
range (a library and a range of shelf marks) or a saved copy search (``select_*``). A
``Change`` says what to do with each: change its location, status, library, loan category
(the document type loan rules read) or shelf mark, or withdraw it.

``batch_preview`` says, copy by copy, what would change and what is refused and why (a
copy on loan, a copy of another library...); ``batch_apply`` does the same under row locks
in one transaction, stores a ``Batch`` with each copy's values before and after (the
copy's history), one audit event (``batch.apply``) and a search outbox row per record;
``batch_undo`` puts every copy back as it was, refused with the copies' barcodes when one
changed since. Records are deleted the same way with their copies
(``records_delete_preview``, ``records_delete_apply``), when none is on loan; undoing
restores them with their numbers.

Errors are codes with data (``catalogue.messages`` words them); nothing is written on a
refusal.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core import serializers
from django.db import transaction
from django.db.models import Q, QuerySet

from navette.catalogue.heading_index import headings_detach, headings_refresh
from navette.catalogue.models import (
    Batch,
    BatchAction,
    BatchLine,
    DeletedRecord,
    DocType,
    DuplicateKey,
    Item,
    ItemStatus,
    Location,
    MergedIdentifier,
    NotDuplicate,
    Record,
    RecordIdentifier,
    RecordMerge,
    RecordVersion,
    SavedCopySearch,
)
from navette.catalogue.services import CIRCULATING_STATUSES, STAFF_STATUSES
from navette.core.actions import AuditAction
from navette.core.actors import Actor, ActorKind
from navette.core.audit import audit_record
from navette.core.errors import DomainError, ValidationFailed
from navette.core.models import User
from navette.core.outbox import enqueue_records
from navette.network.models import Library
from navette.network.scope import cataloguer_check, scope_check, staff_libraries

#: the copy's values a batch keeps before and after (its undo compares and restores them)
ITEM_FIELDS = ("status", "owning_library_id", "current_library_id", "location_id",
               "shelving_location", "doc_type_override", "call_number")  # fmt: skip
#: barcodes read from one list at most (a file of a whole weeding campaign fits)
MAX_BARCODES = 20_000
#: barcodes named in a refused undo
NAMED = 20


class BatchRefused(DomainError):
    """The batch cannot be applied or undone as a whole (``batch_empty``,
    ``batch_already_undone``, ``batch_changed_since``, ``batch_restore_conflict``...)."""

    code = "batch_refused"


# --- selection ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """Copies chosen for a batch: their ids (in the order given), the barcodes of the list
    that match no copy with their line number, and how they were chosen (kept with the
    batch)."""

    item_ids: tuple[int, ...]
    unknown: tuple[tuple[int, str], ...] = ()
    described: dict[str, Any] = field(default_factory=dict)


def select_by_barcodes(text: str) -> Selection:
    """Copies of a list of barcodes, one per line (scanned or a text file): blank lines
    are skipped, a barcode given twice is taken once; ``unknown`` lists the others with
    their line (numbered from 1). Raises ValidationFailed ``batch_too_many`` beyond
    ``MAX_BARCODES`` lines with a barcode."""
    wanted: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        barcode = line.strip().strip("\ufeff")
        if barcode and barcode not in wanted:
            wanted[barcode] = number
    if len(wanted) > MAX_BARCODES:
        raise ValidationFailed(code="batch_too_many", count=len(wanted), limit=MAX_BARCODES)
    found: dict[str, int] = {}
    codes = list(wanted)
    for start in range(0, len(codes), 2000):
        found.update(
            Item.objects.filter(barcode__in=codes[start : start + 2000]).values_list(
                "barcode", "pk"
            )
        )
    return Selection(
        item_ids=tuple(found[b] for b in wanted if b in found),
        unknown=tuple((n, b) for b, n in wanted.items() if b not in found),
        described={"by": "barcodes", "lines": len(wanted)},
    )


def _shelf_range(qs: QuerySet[Item], first: str, last: str) -> QuerySet[Item]:
    """Shelf marks from ``first`` to ``last``, ``last`` taken as a prefix ("800" to "899"
    includes "899 ZOL"), compared without case."""
    first, last = first.strip().upper(), last.strip().upper()
    if first:
        qs = qs.filter(call_number__gte=first)
    if last:
        qs = qs.filter(Q(call_number__lte=last) | Q(call_number__startswith=last))
    return qs


def select_shelf_range(*, library: Library, first: str, last: str) -> Selection:
    """Copies owned by ``library`` whose shelf mark lies from ``first`` to ``last`` (see
    ``_shelf_range``), in shelf-mark order. Raises ValidationFailed ``shelf_range_empty``
    when both bounds are empty, ``shelf_range_reversed`` when ``first`` comes after ``last``."""
    if not first.strip() and not last.strip():
        raise ValidationFailed(code="shelf_range_empty")
    low, high = first.strip().upper(), last.strip().upper()
    if low and high and low > high and not low.startswith(high):
        raise ValidationFailed(code="shelf_range_reversed", first=first, last=last)
    qs = _shelf_range(Item.objects.filter(owning_library=library), first, last)
    return Selection(
        item_ids=tuple(qs.order_by("call_number", "pk").values_list("pk", flat=True)),
        described={"by": "shelf_range", "library": library.pk, "first": first, "last": last},
    )


def copies_matching(criteria: dict[str, Any]) -> QuerySet[Item]:
    """Copies matching saved search ``criteria`` (see ``SavedCopySearch``)."""
    qs = Item.objects.all()
    if criteria.get("library"):
        qs = qs.filter(owning_library_id=criteria["library"])
    if criteria.get("location"):
        qs = qs.filter(location_id=criteria["location"])
    if criteria.get("status"):
        qs = qs.filter(status=criteria["status"])
    if criteria.get("doc_type"):
        qs = qs.filter(
            Q(doc_type_override=criteria["doc_type"])
            | Q(doc_type_override="", record__doc_type=criteria["doc_type"])
        )
    if criteria.get("title"):
        qs = qs.filter(record__title__icontains=criteria["title"])
    if criteria.get("acquired_before"):
        qs = qs.filter(acquired_on__lt=criteria["acquired_before"])
    if criteria.get("acquired_after"):
        qs = qs.filter(acquired_on__gte=criteria["acquired_after"])
    if criteria.get("call_number_from") or criteria.get("call_number_to"):
        qs = _shelf_range(qs, criteria.get("call_number_from", ""),
                          criteria.get("call_number_to", ""))  # fmt: skip
    return qs


def select_saved_search(search: SavedCopySearch) -> Selection:
    """The copies a saved copy search finds now, in shelf-mark order."""
    qs = copies_matching(search.criteria)
    return Selection(
        item_ids=tuple(qs.order_by("call_number", "pk").values_list("pk", flat=True)),
        described={"by": "saved_search", "search": search.pk, "name": search.name},
    )


# --- the change --------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """What a batch does to each copy. ``status`` for STATUS (available, lost, damaged, in
    repair), ``library`` for LIBRARY, ``location`` for LOCATION (None: no location),
    ``doc_type`` for LOAN_CATEGORY ("": the record's type), ``call_number`` for
    CALL_NUMBER; WITHDRAW needs nothing."""

    action: str
    status: str = ""
    library: Library | None = None
    location: Location | None = None
    doc_type: str = ""
    call_number: str = ""

    def value(self) -> dict[str, Any]:
        """The new value as stored with the batch."""
        if self.action == BatchAction.STATUS:
            return {"status": self.status}
        if self.action == BatchAction.LIBRARY:
            return {"library": self.library.pk if self.library else None}
        if self.action == BatchAction.LOCATION:
            return {"location": self.location.pk if self.location else None}
        if self.action == BatchAction.LOAN_CATEGORY:
            return {"doc_type": self.doc_type}
        if self.action == BatchAction.CALL_NUMBER:
            return {"call_number": self.call_number}
        return {}


def _check_change(change: Change) -> None:
    if change.action not in BatchAction.values or change.action == BatchAction.DELETE_RECORDS:
        raise ValidationFailed(code="batch_action_unknown", action=change.action)
    if change.action == BatchAction.STATUS and change.status not in STAFF_STATUSES:
        raise ValidationFailed(code="status_not_editable", status=change.status)
    if change.action == BatchAction.LIBRARY and change.library is None:
        raise ValidationFailed(code="batch_library_required")
    if change.action == BatchAction.LOAN_CATEGORY and change.doc_type not in ("", *DocType.values):
        raise ValidationFailed(code="bad_doc_type", doc_type=change.doc_type)
    if change.action == BatchAction.CALL_NUMBER and len(change.call_number.strip()) > 100:
        raise ValidationFailed(code="call_number_too_long", limit=100)


@dataclass(frozen=True)
class Planned:
    """A copy the batch changes: its values before and after (``ITEM_FIELDS``)."""

    item_id: int
    barcode: str
    title: str
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass(frozen=True)
class Refusal:
    """A copy (or record) the batch leaves alone: a code and its data (``barcode``,
    ``status``, ``library``...)."""

    code: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Preview:
    """What a batch would do now: ``planned`` changes, ``refused`` copies (with their
    reason), ``unknown`` barcodes of the list (line, barcode)."""

    action: str
    planned: tuple[Planned, ...]
    refused: tuple[Refusal, ...]
    unknown: tuple[tuple[int, str], ...] = ()


def _snapshot(item: Item) -> dict[str, Any]:
    return {f: getattr(item, f) for f in ITEM_FIELDS}


def _allowed_libraries(actor: Actor) -> set[int] | None:
    """The libraries where ``actor`` may change copies (None: everywhere)."""
    if actor.kind != ActorKind.STAFF:
        return None
    user = User.objects.filter(pk=actor.id or 0, is_active=True).first()
    if user is None:
        return set()
    if user.is_network_admin:
        return None
    return set(staff_libraries(user).values_list("pk", flat=True))


def _plan(item: Item, change: Change, allowed: set[int] | None,
          names: dict[int, str]) -> Planned | Refusal:  # fmt: skip
    """What ``change`` does to ``item``, or why it is refused."""
    barcode = item.barcode
    if allowed is not None and item.owning_library_id not in allowed:
        return Refusal("copy_other_library", {"barcode": barcode,
                                              "library": names.get(item.owning_library_id, "")})  # fmt: skip
    if item.status in CIRCULATING_STATUSES and change.action != BatchAction.CALL_NUMBER:
        return Refusal("copy_circulating", {"barcode": barcode, "status": item.status})
    before = _snapshot(item)
    after = dict(before)
    action = change.action
    if action == BatchAction.WITHDRAW:
        after["status"] = ItemStatus.WITHDRAWN.value
    elif action == BatchAction.STATUS:
        if item.status not in STAFF_STATUSES:
            return Refusal("copy_status_fixed", {"barcode": barcode, "status": item.status})
        after["status"] = change.status
    elif action == BatchAction.LIBRARY:
        assert change.library is not None  # checked by _check_change
        after["owning_library_id"] = after["current_library_id"] = change.library.pk
        if item.owning_library_id != change.library.pk:
            after["location_id"] = None
    elif action == BatchAction.LOCATION:
        location = change.location
        if location is not None and location.library_id != item.owning_library_id:
            return Refusal("location_other_library", {"barcode": barcode,
                                                      "location": location.name})  # fmt: skip
        after["location_id"] = location.pk if location else None
        after["shelving_location"] = location.name if location else ""
    elif action == BatchAction.LOAN_CATEGORY:
        after["doc_type_override"] = change.doc_type
    elif action == BatchAction.CALL_NUMBER:
        after["call_number"] = change.call_number.strip()
    if after == before:
        return Refusal("copy_unchanged", {"barcode": barcode})
    return Planned(item.pk, barcode, item.record.title, before, after)


def _library_names(ids: Iterable[int]) -> dict[int, str]:
    return {
        lib.pk: f"{lib.commune} — {lib.name}" for lib in Library.objects.filter(pk__in=set(ids))
    }


def _target_scope(change: Change, actor: Actor, now: dt.datetime) -> None:
    if change.action == BatchAction.LIBRARY and change.library is not None:
        scope_check(actor=actor, library_ids=[change.library.pk], action="batch.apply", now=now)


def _items(ids: Sequence[int], *, lock: bool) -> list[Item]:
    out: list[Item] = []
    for start in range(0, len(ids), 2000):
        qs = Item.objects.filter(pk__in=ids[start : start + 2000]).select_related("record")
        if lock:
            qs = qs.select_for_update(of=("self",))
        out += list(qs.order_by("pk"))
    return out


def _plan_all(items: list[Item], change: Change,
              actor: Actor) -> tuple[list[Planned], list[Refusal]]:  # fmt: skip
    allowed = _allowed_libraries(actor)
    names = _library_names(i.owning_library_id for i in items)
    planned: list[Planned] = []
    refused: list[Refusal] = []
    for item in items:
        outcome = _plan(item, change, allowed, names)
        (planned if isinstance(outcome, Planned) else refused).append(outcome)  # type: ignore[arg-type]
    return planned, refused


def batch_preview(*, selection: Selection, change: Change, actor: Actor,
                  now: dt.datetime) -> Preview:  # fmt: skip
    """What ``change`` would do to the selected copies: nothing is written. Raises
    ValidationFailed for a change that makes no sense (an unknown action, a circulation
    status), ``OutOfScope`` (audited) when the target library is not the actor's."""
    _check_change(change)
    _target_scope(change, actor, now)
    order = {pk: i for i, pk in enumerate(selection.item_ids)}
    items = sorted(_items(selection.item_ids, lock=False), key=lambda it: order[it.pk])
    planned, refused = _plan_all(items, change, actor)
    return Preview(change.action, tuple(planned), tuple(refused), selection.unknown)


def _actor_fields(actor: Actor) -> dict[str, Any]:
    return {"actor_kind": str(actor.kind), "actor_id": actor.id, "actor_label": actor.label[:150]}


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, dt.date) else v) for k, v in values.items()}


def batch_apply(*, selection: Selection, change: Change, actor: Actor,
                now: dt.datetime) -> Batch:  # fmt: skip
    """Apply ``change`` to the selected copies in one transaction: the copies are locked
    and planned again (what the preview said may have moved), the allowed ones changed, the
    others listed in ``Batch.refused``. Writes the batch with one line per changed copy,
    one ``batch.apply`` audit event and the records' outbox rows.

    Raises ValidationFailed (see ``batch_preview``), ``OutOfScope``, BatchRefused
    ``batch_empty`` when no copy would change (nothing written then).
    """
    _check_change(change)
    _target_scope(change, actor, now)
    with transaction.atomic():
        items = _items(sorted(set(selection.item_ids)), lock=True)
        planned, refused = _plan_all(items, change, actor)
        if not planned:
            raise BatchRefused(code="batch_empty", refused=len(refused))
        by_id = {it.pk: it for it in items}
        changed: list[Item] = []
        for p in planned:
            item = by_id[p.item_id]
            for name, value in p.after.items():
                setattr(item, name, value)
            item.updated_at = now
            changed.append(item)
        Item.objects.bulk_update(changed, [*ITEM_FIELDS, "updated_at"], batch_size=500)
        batch = Batch.objects.create(
            action=change.action, value=change.value(),
            selection={**selection.described, "unknown": [list(u) for u in selection.unknown]},
            refused=[{"code": r.code, **r.data} for r in refused], changed=len(planned),
            applied_at=now, **_actor_fields(actor),
        )  # fmt: skip
        BatchLine.objects.bulk_create(
            (BatchLine(batch=batch, item_id=p.item_id, record_id=by_id[p.item_id].record_id,
                       barcode=p.barcode, before=_jsonable(p.before), after=_jsonable(p.after))
             for p in planned),
            batch_size=1000,
        )  # fmt: skip
        record_ids = sorted({it.record_id for it in changed})
        Record.objects.filter(pk__in=record_ids).update(updated_at=now)
        audit_record(actor=actor, action=AuditAction.BATCH_APPLY, now=now, obj=batch,
                     data={"action": change.action, "value": batch.value,
                           "changed": len(planned), "refused": len(refused),
                           "selection": selection.described})  # fmt: skip
        enqueue_records(record_ids)
    return batch


def batch_undo(*, batch: Batch, actor: Actor, now: dt.datetime) -> Batch:
    """Put every copy the batch changed back as it was, in one transaction, with one
    ``batch.undo`` audit event. Only the values the batch changed are compared and put
    back. Refused as a whole (BatchRefused, nothing written) when the batch is already
    undone (``batch_already_undone``), one of those values changed since or a copy is gone
    (``batch_changed_since`` with the first ``barcodes`` and their ``count``), or is now
    of a library the actor does not work at (``OutOfScope``, audited). Record deletions go
    through ``records_delete_undo``."""
    if batch.action == BatchAction.DELETE_RECORDS:
        return records_delete_undo(batch=batch, actor=actor, now=now)
    lines = list(batch.lines.order_by("item_id"))
    libraries = {line.before["owning_library_id"] for line in lines} | {
        line.after["owning_library_id"] for line in lines
    }
    allowed = _allowed_libraries(actor)
    if allowed is not None and not libraries <= allowed:
        scope_check(actor=actor, library_ids=sorted(libraries - allowed), action="batch.undo",
                    now=now, obj=batch)  # fmt: skip
    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        if locked.undone_at is not None:
            raise BatchRefused(code="batch_already_undone", batch=batch.pk)
        items = {it.pk: it for it in _items([line.item_id for line in lines if line.item_id],
                                            lock=True)}  # fmt: skip
        # only what the batch changed is compared and put back: a copy lent and returned
        # since a shelf-mark batch still gets its old shelf mark
        touched = {line.pk: [k for k in ITEM_FIELDS if line.before.get(k) != line.after.get(k)]
                   for line in lines}  # fmt: skip
        moved = []
        for line in lines:
            item = items.get(line.item_id)  # type: ignore[arg-type]
            now_values = _jsonable(_snapshot(item)) if item is not None else None
            if now_values is None or any(now_values[k] != line.after[k] for k in touched[line.pk]):
                moved.append(line.barcode)
        if moved:
            raise BatchRefused(code="batch_changed_since", barcodes=moved[:NAMED],
                               count=len(moved))  # fmt: skip
        for line in lines:
            item = items[line.item_id]  # type: ignore[index]
            for name in touched[line.pk]:
                setattr(item, name, line.before[name])
            item.updated_at = now
        Item.objects.bulk_update(list(items.values()), [*ITEM_FIELDS, "updated_at"],
                                 batch_size=500)  # fmt: skip
        locked.undone_at = now
        locked.undone_by_label = actor.label[:150]
        locked.save(update_fields=["undone_at", "undone_by_label"])
        record_ids = sorted({it.record_id for it in items.values()})
        Record.objects.filter(pk__in=record_ids).update(updated_at=now)
        audit_record(actor=actor, action=AuditAction.BATCH_UNDO, now=now, obj=locked,
                     data={"action": locked.action, "restored": len(lines)})  # fmt: skip
        enqueue_records(record_ids)
    return locked


def copy_history(item: Item) -> list[tuple[Batch, BatchLine]]:
    """The batches that changed ``item``, newest first, with its line in each."""
    lines = BatchLine.objects.filter(item_id=item.pk).select_related("batch")
    return [(line.batch, line) for line in lines.order_by("-batch__applied_at", "-pk")]


# --- records -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedRecord:
    """A record the batch deletes, with how many copies go with it."""

    record_id: int
    title: str
    copies: int


@dataclass(frozen=True)
class RecordsPreview:
    planned: tuple[PlannedRecord, ...]
    refused: tuple[Refusal, ...]


def records_of(selection: Selection) -> tuple[int, ...]:
    """The records of the selected copies, each once, in the selection's order."""
    by_item = dict(Item.objects.filter(pk__in=selection.item_ids).values_list("pk", "record_id"))
    return tuple(dict.fromkeys(by_item[i] for i in selection.item_ids if i in by_item))


#: what refers to a copy and stops its deletion: loans (open or past), holds, transits
_HISTORY = (("loans", "copy_has_loans"), ("holds", "copy_has_holds"),
            ("transits", "copy_has_transits"))  # fmt: skip


def _plan_record(record: Record, items: list[Item], allowed: set[int] | None,
                 names: dict[int, str]) -> PlannedRecord | Refusal:  # fmt: skip
    data = {"record_id": record.pk, "title": record.title}
    for item in items:
        if allowed is not None and item.owning_library_id not in allowed:
            return Refusal("copy_other_library", {**data, "barcode": item.barcode,
                                                  "library": names.get(item.owning_library_id, "")})  # fmt: skip
        if item.status in CIRCULATING_STATUSES:
            return Refusal("copy_circulating",
                           {**data, "barcode": item.barcode, "status": item.status})  # fmt: skip
    if record.holds.exists():
        return Refusal("record_has_holds", data)
    if hasattr(record, "vendor_title"):
        return Refusal("record_digital", data)
    ids = [it.pk for it in items]
    for relation, code in _HISTORY:
        used = Item.objects.filter(pk__in=ids).exclude(**{f"{relation}__isnull": True})
        first = used.values_list("barcode", flat=True).first()
        if first is not None:
            return Refusal(code, {**data, "barcode": first})
    return PlannedRecord(record.pk, record.title, len(items))


def _plan_records(records: list[Record], actor: Actor,
                  ) -> tuple[list[PlannedRecord], list[Refusal], dict[int, list[Item]]]:  # fmt: skip
    allowed = _allowed_libraries(actor)
    items: dict[int, list[Item]] = {r.pk: [] for r in records}
    for item in Item.objects.filter(record_id__in=list(items)).order_by("pk"):
        items[item.record_id].append(item)
    names = _library_names(it.owning_library_id for its in items.values() for it in its)
    planned: list[PlannedRecord] = []
    refused: list[Refusal] = []
    for record in records:
        outcome = _plan_record(record, items[record.pk], allowed, names)
        (planned if isinstance(outcome, PlannedRecord) else refused).append(outcome)  # type: ignore[arg-type]
    return planned, refused, items


def records_delete_preview(*, record_ids: Sequence[int], actor: Actor,
                           now: dt.datetime) -> RecordsPreview:  # fmt: skip
    """Which records a deletion would remove (with their copies) and which it refuses:
    a copy on loan, in transit or on the hold shelf, a copy of another library, a hold on
    the record, a copy with a loan history (withdraw it instead), a digital title.
    Raises NotCataloguer (audited) for an actor who does not edit records."""
    cataloguer_check(actor=actor, action="batch.apply", now=now)
    order = {pk: i for i, pk in enumerate(record_ids)}
    records = sorted(Record.objects.filter(pk__in=record_ids), key=lambda r: order[r.pk])
    planned, refused, _ = _plan_records(records, actor)
    return RecordsPreview(tuple(planned), tuple(refused))


#: rows that go with a deleted record, restored by the undo (the record first, copies next)
_RECORD_ROWS = (
    (RecordIdentifier, "record_id"), (DuplicateKey, "record_id"), (RecordVersion, "record_id"),
    (MergedIdentifier, "record_id"),
)  # fmt: skip


def _record_snapshot(record: Record, items: list[Item]) -> dict[str, Any]:
    rows: list[Any] = [record, *items]
    for model, column in _RECORD_ROWS:
        rows += list(model.objects.filter(**{column: record.pk}).order_by("pk"))
    rows += list(NotDuplicate.objects.filter(Q(first=record) | Q(second=record)).order_by("pk"))
    return {
        # JSON-ready (dates as text): read back by the python deserializer, which parses them
        "rows": json.loads(serializers.serialize("json", rows)),
        "merges_kept": list(RecordMerge.objects.filter(kept=record).values_list("pk", flat=True)),
    }


def records_delete_apply(*, record_ids: Sequence[int], actor: Actor, now: dt.datetime,
                         selection: dict[str, Any] | None = None) -> Batch:  # fmt: skip
    """Delete the records (and their copies) the preview allows, in one transaction: each
    leaves a tombstone for harvesters, the batch keeps each record as it was (its copies,
    identifiers, history) to undo. One ``batch.apply`` audit event. Raises NotCataloguer,
    BatchRefused ``batch_empty`` when no record can go (nothing written)."""
    cataloguer_check(actor=actor, action="batch.apply", now=now)
    with transaction.atomic():
        records = list(Record.objects.select_for_update().filter(pk__in=record_ids).order_by("pk"))
        # the copies too: a loan made meanwhile waits, then finds the copy gone
        list(Item.objects.select_for_update().filter(record_id__in=[r.pk for r in records])
             .values_list("pk", flat=True))  # fmt: skip
        planned, refused, items = _plan_records(records, actor)
        if not planned:
            raise BatchRefused(code="batch_empty", refused=len(refused))
        by_id = {r.pk: r for r in records}
        batch = Batch.objects.create(
            action=BatchAction.DELETE_RECORDS, selection=selection or {},
            refused=[{"code": r.code, **r.data} for r in refused], changed=len(planned),
            applied_at=now, **_actor_fields(actor),
        )  # fmt: skip
        lines = []
        for p in planned:
            record = by_id[p.record_id]
            lines.append(BatchLine(batch=batch, record_id=record.pk,
                                   before=_record_snapshot(record, items[record.pk]),
                                   after={"copies": p.copies}))  # fmt: skip
        BatchLine.objects.bulk_create(lines)
        ids = [p.record_id for p in planned]
        Item.objects.filter(record_id__in=ids).delete()
        DeletedRecord.objects.bulk_create(
            DeletedRecord(record_id=by_id[i].pk, flavour=by_id[i].flavour,
                          doc_type=by_id[i].doc_type, title=by_id[i].title, deleted_at=now)
            for i in ids
        )  # fmt: skip
        headings_detach(ids)  # the headings index counts them no more
        Record.objects.filter(pk__in=ids).delete()
        audit_record(actor=actor, action=AuditAction.BATCH_APPLY, now=now, obj=batch,
                     data={"action": BatchAction.DELETE_RECORDS.value, "changed": len(ids),
                           "refused": len(refused)})  # fmt: skip
        enqueue_records(ids)
    return batch


def records_delete_undo(*, batch: Batch, actor: Actor, now: dt.datetime) -> Batch:
    """Bring the deleted records back with their numbers, copies, identifiers and history,
    and remove their tombstones. Refused as a whole (BatchRefused, nothing written) when
    already undone, or when a record's number or a copy's barcode is in use again
    (``batch_restore_conflict`` with the ``barcodes``)."""
    cataloguer_check(actor=actor, action="batch.undo", now=now, obj=batch)
    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        if locked.undone_at is not None:
            raise BatchRefused(code="batch_already_undone", batch=batch.pk)
        lines = list(locked.lines.order_by("pk"))
        objects = [obj for line in lines
                   for obj in serializers.deserialize("python", line.before["rows"])]  # fmt: skip
        items = [o.object for o in objects if isinstance(o.object, Item)]
        libraries = {it.owning_library_id for it in items}
        allowed = _allowed_libraries(actor)
        if allowed is not None and not libraries <= allowed:
            scope_check(actor=actor, library_ids=sorted(libraries - allowed),
                        action="batch.undo", now=now, obj=batch)  # fmt: skip
        record_ids = [line.record_id for line in lines if line.record_id is not None]
        taken = list(Item.objects.filter(barcode__in=[it.barcode for it in items])
                     .values_list("barcode", flat=True)[:NAMED])  # fmt: skip
        if Record.objects.filter(pk__in=record_ids).exists() or taken:
            raise BatchRefused(code="batch_restore_conflict", barcodes=taken)
        for obj in objects:
            obj.save()
        for line in lines:
            RecordMerge.objects.filter(pk__in=line.before["merges_kept"]).update(
                kept_id=line.record_id
            )
        DeletedRecord.objects.filter(record_id__in=record_ids).delete()
        Record.objects.filter(pk__in=record_ids).update(updated_at=now)
        headings_refresh(record_ids)
        locked.undone_at = now
        locked.undone_by_label = actor.label[:150]
        locked.save(update_fields=["undone_at", "undone_by_label"])
        audit_record(actor=actor, action=AuditAction.BATCH_UNDO, now=now, obj=locked,
                     data={"action": locked.action, "restored": len(record_ids)})  # fmt: skip
        enqueue_records(record_ids)
    return locked
