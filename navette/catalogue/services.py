"""Catalogue services: copies (items) added, edited and withdrawn by staff."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from navette.catalogue.barcodes import barcode_problem
from navette.catalogue.heading_index import headings_detach
from navette.catalogue.models import (
    CataloguingSettings,
    DeletedRecord,
    DocType,
    Item,
    ItemStatus,
    Location,
    Record,
)
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_record
from navette.core.errors import DomainError, ValidationFailed
from navette.core.outbox import enqueue_record
from navette.network.models import Library
from navette.network.scope import scope_check


class BarcodeInUse(DomainError):
    code = "barcode_in_use"


class ItemNotWithdrawable(DomainError):
    code = "item_not_withdrawable"


class RecordNotDeletable(DomainError):
    code = "record_not_deletable"


def _touch_record(record_id: int, now: dt.datetime) -> None:
    """Move the record's datestamp: its copies are part of what harvesters receive."""
    Record.objects.filter(pk=record_id).update(updated_at=now)


EDITABLE_FIELDS = {
    "barcode", "owning_library", "current_library", "call_number", "shelving_location",
    "doc_type_override", "circulates", "acquired_on", "notes", "status", "price", "location",
}  # fmt: skip
#: statuses staff may set by hand (and take back); the others belong to circulation
STAFF_STATUSES = {ItemStatus.AVAILABLE, ItemStatus.LOST, ItemStatus.DAMAGED,
                  ItemStatus.IN_REPAIR}  # fmt: skip
#: statuses circulation owns: a copy in one of them keeps it until circulation moves it
CIRCULATING_STATUSES = (ItemStatus.ON_LOAN, ItemStatus.IN_TRANSIT, ItemStatus.ON_HOLD_SHELF)


def barcode_rule(library_id: int) -> str:
    """The check-digit rule of the network ``library_id`` belongs to ("" for none)."""
    settings = CataloguingSettings.objects.filter(network__libraries=library_id).first()
    return settings.barcode_checksum if settings is not None else ""


def barcode_check(barcode: str, *, library_id: int) -> None:
    """Refuse a barcode its network's check-digit rule rejects: ValidationFailed
    ``barcode_checksum`` naming the ``rule`` (and the ``expected`` last digit)."""
    rule = barcode_rule(library_id)
    problem = barcode_problem(rule, barcode)
    if problem is not None:
        raise ValidationFailed(code="barcode_checksum", barcode=barcode, rule=rule,
                               why=problem.code, expected=problem.expected)  # fmt: skip


def _clean_price(price: Any) -> Decimal | None:
    if price is None or price == "":
        return None
    try:
        value = Decimal(str(price))
    except ArithmeticError:
        raise ValidationFailed(code="bad_price", price=str(price)) from None
    if not value.is_finite() or value < 0 or value >= Decimal("10000000"):
        raise ValidationFailed(code="bad_price", price=str(price))
    return value.quantize(Decimal("0.01"))


def _check_location(location: Location | None, library_id: int) -> None:
    if location is not None and location.library_id != library_id:
        raise ValidationFailed(code="location_other_library", location=location.name)


def _clean_barcode(barcode: str) -> str:
    barcode = (barcode or "").strip()
    if not barcode:
        raise ValidationFailed(code="barcode_required")
    if len(barcode) > 64:
        raise ValidationFailed(code="barcode_too_long", barcode=barcode, limit=64)
    return barcode


def _barcode_in_use(barcode: str) -> BarcodeInUse:
    other = Item.objects.filter(barcode=barcode).select_related("record", "owning_library").first()
    if other is None:
        return BarcodeInUse(barcode=barcode)
    return BarcodeInUse(barcode=barcode, item_id=other.pk, title=other.record.title,
                        library=other.owning_library.name)  # fmt: skip


def item_add(
    *,
    record: Record,
    barcode: str,
    owning_library: Library,
    actor: Actor,
    now: dt.datetime,
    current_library: Library | None = None,
    call_number: str = "",
    shelving_location: str = "",
    location: Location | None = None,
    doc_type_override: str = "",
    circulates: bool = True,
    acquired_on: dt.date | None = None,
    price: Decimal | None = None,
    notes: str = "",
    is_demo: bool = False,
) -> Item:
    """Add a copy to ``record``. Raises BarcodeInUse when the barcode already exists,
    ValidationFailed (``barcode_checksum`` when the network's check-digit rule refuses it,
    ``location_other_library``, ``bad_price``), ``OutOfScope`` when a staff actor may not
    act at ``owning_library``. A ``location`` of the library names the shelving location."""
    scope_check(actor=actor, library_ids=[owning_library.pk], action="item.add", now=now,
                obj=record)  # fmt: skip
    barcode = _clean_barcode(barcode)
    barcode_check(barcode, library_id=owning_library.pk)
    if doc_type_override and doc_type_override not in DocType.values:
        raise ValidationFailed(code="bad_doc_type", doc_type=doc_type_override)
    _check_location(location, owning_library.pk)
    if location is not None:
        shelving_location = location.name
    try:
        with transaction.atomic():
            item = Item.objects.create(
                record=record, barcode=barcode, owning_library=owning_library,
                current_library=current_library or owning_library, call_number=call_number,
                shelving_location=shelving_location, location=location,
                doc_type_override=doc_type_override, circulates=circulates,
                acquired_on=acquired_on, price=_clean_price(price), notes=notes, is_demo=is_demo,
            )  # fmt: skip
            audit_record(actor=actor, action=AuditAction.ITEM_ADD, now=now, library_id=owning_library.pk,
                         obj=item, data={"barcode": barcode, "record": record.pk})  # fmt: skip
            _touch_record(record.pk, now)
            enqueue_record(record.pk)
    except IntegrityError:
        raise _barcode_in_use(barcode) from None
    return item


def item_update(*, item: Item, actor: Actor, now: dt.datetime, **changes: Any) -> Item:
    """Change a copy's description. Status may only be set to available, lost, damaged or
    in repair (and back), and not while circulation holds the copy (on loan, in transit, on
    the hold shelf). A new ``location`` names the shelving location.

    Raises BarcodeInUse, ValidationFailed; nothing is changed on error. A staff actor must
    work at the copy's owning library, transfers included (else ``OutOfScope``, audited).
    """
    scope_check(actor=actor, library_ids=[item.owning_library_id], action="item.update",
                now=now, obj=item)  # fmt: skip
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed(code="fields_not_editable", fields=sorted(unknown))
    if "barcode" in changes:
        changes["barcode"] = _clean_barcode(changes["barcode"])
        if changes["barcode"] != item.barcode:
            barcode_check(changes["barcode"], library_id=item.owning_library_id)
    if "price" in changes:
        changes["price"] = _clean_price(changes["price"])
    owner_id = (
        changes["owning_library"].pk if "owning_library" in changes else item.owning_library_id
    )
    if "location" in changes:
        _check_location(changes["location"], owner_id)
        if changes["location"] is not None:
            changes["shelving_location"] = changes["location"].name
    elif "owning_library" in changes and item.location_id is not None:
        # a transferred copy leaves its old library's location list
        changes["location"] = None
    if (
        "status" in changes
        and changes["status"] != item.status
        and changes["status"] not in STAFF_STATUSES
    ):
        raise ValidationFailed(code="status_not_editable", status=str(changes["status"]))
    before = {k: str(getattr(item, k)) for k in changes}
    try:
        with transaction.atomic():
            locked = Item.objects.select_for_update().get(pk=item.pk)
            if (
                "status" in changes
                and changes["status"] != locked.status
                and locked.status not in STAFF_STATUSES
            ):
                raise ValidationFailed(code="status_held_by_circulation", barcode=locked.barcode,
                                       status=str(locked.status))  # fmt: skip
            for key, value in changes.items():
                setattr(locked, key, value)
            locked.save()
            audit_record(actor=actor, action=AuditAction.ITEM_UPDATE, now=now,
                         library_id=locked.owning_library_id, obj=locked,
                         data={"before": before, "after": {k: str(v) for k, v in changes.items()}})  # fmt: skip
            _touch_record(locked.record_id, now)
            enqueue_record(locked.record_id)
    except IntegrityError:
        raise _barcode_in_use(changes.get("barcode", item.barcode)) from None
    return locked


def item_withdraw(*, item: Item, actor: Actor, now: dt.datetime, reason: str = "") -> Item:
    """Withdraw a copy (désherbage). Refused while it is on loan, in transit or on the hold shelf,
    and to a staff actor not working at its owning library (``OutOfScope``, audited)."""
    scope_check(actor=actor, library_ids=[item.owning_library_id], action="item.withdraw",
                now=now, obj=item)  # fmt: skip
    with transaction.atomic():
        locked = Item.objects.select_for_update().get(pk=item.pk)
        if locked.status in CIRCULATING_STATUSES:
            raise ItemNotWithdrawable(barcode=locked.barcode, status=str(locked.status))
        if locked.status == ItemStatus.WITHDRAWN:
            return locked
        locked.status = ItemStatus.WITHDRAWN
        if reason:
            # the note is the copy's record kept in the network's language, not a message
            locked.notes = (
                locked.notes + "\n" if locked.notes else ""
            ) + f"Retrait : {reason}"  # stored
        locked.save(update_fields=["status", "notes", "updated_at"])
        audit_record(actor=actor, action=AuditAction.ITEM_WITHDRAW, now=now,
                     library_id=locked.owning_library_id, obj=locked, data={"reason": reason})  # fmt: skip
        _touch_record(locked.record_id, now)
        enqueue_record(locked.record_id)
    return locked


def record_delete(*, record: Record, actor: Actor, now: dt.datetime) -> DeletedRecord:
    """Delete a record that has no copy and no hold, leaving a tombstone for harvesters.

    The record row is locked first: a copy or hold added at the same moment
    either waits and then fails on the missing record, or is seen here.
    Raises RecordNotDeletable (nothing changed) while a copy or a hold refers to it.
    """
    with transaction.atomic():
        locked = Record.objects.select_for_update().filter(pk=record.pk).first()
        if locked is None:
            raise RecordNotDeletable(why="gone", record_id=record.pk)
        if Item.objects.filter(record_id=locked.pk).exists():
            raise RecordNotDeletable(why="copies", record_id=locked.pk, title=locked.title)  # fmt: skip
        if locked.holds.exists():
            raise RecordNotDeletable(why="holds", record_id=locked.pk, title=locked.title)  # fmt: skip
        tombstone = DeletedRecord.objects.create(
            record_id=locked.pk, flavour=locked.flavour, doc_type=locked.doc_type,
            title=locked.title, deleted_at=now,
        )  # fmt: skip
        audit_record(actor=actor, action=AuditAction.RECORD_DELETE, now=now, obj=locked,
                     data={"title": locked.title})  # fmt: skip
        record_id = locked.pk
        headings_detach([record_id])
        locked.delete()
        enqueue_record(record_id)
    return tombstone
