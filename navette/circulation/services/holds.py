"""Holds: place on a title or a copy, cancel, suspend, change the pickup library, expire."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q

from navette.catalogue.models import Item, ItemStatus, Record
from navette.circulation import locks
from navette.circulation.errors import HoldRefused, PatronRefused
from navette.circulation.models import Hold, HoldStatus, Loan, Transit, TransitStatus
from navette.circulation.models.loans import ACTIVE_HOLD_STATUSES
from navette.circulation.policies import Reason, check_hold, check_patron_for_holds
from navette.circulation.services._common import (
    network_settings,
    patron_facts,
    record_fact,
    rule_for,
    rule_rows,
)
from navette.circulation.services.routing import route_item, send_in_navette
from navette.core import clock
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_record
from navette.network.models import Library
from navette.network.scope import scope_check
from navette.patrons.models import Patron
from navette.stats.models import CirculationAction

PATRON_REASONS = {
    Reason.CARD_EXPIRED,
    Reason.PATRON_BLOCKED,
    Reason.PATRON_SUSPENDED,
    Reason.FINES_DUE,
}
UNHOLDABLE = (ItemStatus.LOST, ItemStatus.WITHDRAWN, ItemStatus.DAMAGED)


def hold_place(
    *, patron: Patron, record: Record, item: Item | None = None, pickup_library: Library, actor: Actor,
    now: dt.datetime, library: Library | None = None,
) -> Hold:  # fmt: skip
    """Place a hold on ``record`` (any copy) or on ``item``, to collect at ``pickup_library``.

    Rules are those of the pickup library for the patron's category and the
    title's document type. Raises ``PatronRefused`` or ``HoldRefused``; ``OutOfScope`` when a
    staff actor may not act at ``library`` (the desk where it is asked), or, when none is
    named, at the pickup library.
    """
    scope_check(actor=actor, library_ids=[(library or pickup_library).pk], action="hold.place",
                now=now, obj=record)  # fmt: skip
    today = clock.today(now)
    with transaction.atomic():
        p = locks.lock_patron(patron.pk)
        settings = network_settings(pickup_library.network_id)
        if not pickup_library.is_active:
            raise HoldRefused(Reason.PICKUP_INACTIVE)
        patron_ok = check_patron_for_holds(patron_facts(p, settings), today)
        copies = Item.objects.filter(record_id=record.pk, circulates=True).exclude(
            status__in=UNHOLDABLE
        )
        if item is not None:
            copies = copies.filter(pk=item.pk)
        rule = rule_for(
            rule_rows([pickup_library.pk]), pickup_library.pk, p.category_id, record.doc_type
        )
        decision = check_hold(
            patron=patron_ok,
            rule=rule,
            active_holds=Hold.objects.active().filter(patron_id=p.pk).count(),
            already_held=Hold.objects.active().filter(patron_id=p.pk, record_id=record.pk).exists(),
            already_on_loan=Loan.objects.open().filter(patron_id=p.pk, item__record_id=record.pk).exists(),
            holdable_copies=copies.count(),
        )  # fmt: skip
        if not decision.allowed:
            cls = PatronRefused if decision.reason in PATRON_REASONS else HoldRefused
            raise cls(decision.reason, **dict(decision.context or {}))
        try:
            with transaction.atomic():
                hold = Hold.objects.create(
                    patron=p, record=record, item=item, pickup_library=pickup_library, placed_at=now
                )
        except IntegrityError as exc:
            raise HoldRefused(Reason.ALREADY_HELD) from exc
        audit_record(actor=actor, action=AuditAction.HOLD_PLACE, now=now, library_id=pickup_library.pk, obj=hold,
                     data={"record": record.pk, "item": item.pk if item else None})  # fmt: skip
        record_fact(
            action=CirculationAction.HOLD_PLACE,
            now=now,
            library_id=pickup_library.pk,
            doc_type=record.doc_type,
            patron=p,
        )
    return hold


def _lock_hold(hold: Hold) -> tuple[Patron | None, Item | None, Hold]:
    """Lock patron, trapped copy, then the hold (the one order), and return them fresh."""
    row = Hold.objects.filter(pk=hold.pk).values("patron_id", "trapped_item_id").first()
    if row is None:
        raise HoldRefused(Reason.HOLD_CLOSED)
    p = locks.lock_patron(row["patron_id"]) if row["patron_id"] else None
    it = locks.lock_item(row["trapped_item_id"]) if row["trapped_item_id"] else None
    current = locks.lock_holds(Q(pk=hold.pk)).get()
    return p, it, current


def _release_trapped(*, item: Item | None, hold: Hold, actor: Actor, now: dt.datetime) -> None:
    """A trapped copy whose hold ends passes to the next hold (or home / shelf).

    On the hold shelf: routed at the library where it sits. In the navette: it
    travels on and is routed on arrival.
    """
    if item is None or hold.status != HoldStatus.READY:
        return
    library = Library.objects.get(pk=item.current_library_id)
    route_item(
        item=item,
        library=library,
        settings=network_settings(library.network_id),
        actor=actor,
        now=now,
    )


def hold_cancel(
    *, hold: Hold, actor: Actor, now: dt.datetime, library: Library | None = None
) -> Hold:
    """Cancel an active hold. A copy already set aside passes to the next patron in the queue.

    A staff actor acts at ``library``, or when none is named at the pickup library (else
    ``OutOfScope``)."""
    scope_check(actor=actor, library_ids=[library.pk if library else hold.pickup_library_id],
                action="hold.cancel", now=now, obj=hold)  # fmt: skip
    with transaction.atomic():
        p, it, current = _lock_hold(hold)
        if current.status not in ACTIVE_HOLD_STATUSES:
            raise HoldRefused(Reason.HOLD_CLOSED)
        previous = current.status
        current.status = HoldStatus.CANCELLED
        current.closed_at = now
        current.save(update_fields=["status", "closed_at"])
        if previous == HoldStatus.READY:
            current.status = HoldStatus.READY  # route the copy as a released trap
            _release_trapped(item=it, hold=current, actor=actor, now=now)
            current.status = HoldStatus.CANCELLED
        audit_record(actor=actor, action=AuditAction.HOLD_CANCEL, now=now,
                     library_id=library.pk if library else current.pickup_library_id, obj=current,
                     data={"was": previous})  # fmt: skip
        record_fact(action=CirculationAction.HOLD_CANCEL, now=now, library_id=current.pickup_library_id,
                    doc_type=current.record.doc_type, patron=p)  # fmt: skip
    return current


def hold_suspend(
    *, hold: Hold, start: dt.date | None, end: dt.date | None, actor: Actor, now: dt.datetime
) -> Hold:
    """Suspend a waiting hold between two dates (inclusive); ``None, None`` lifts the suspension.

    While suspended, the hold keeps its place in the queue but no copy is set aside for it.
    """
    scope_check(actor=actor, library_ids=[hold.pickup_library_id], action="hold.suspend",
                now=now, obj=hold)  # fmt: skip
    if start is not None and end is not None and end < start:
        raise HoldRefused(Reason.BAD_SUSPENSION)
    with transaction.atomic():
        _p, _it, current = _lock_hold(hold)
        if current.status not in ACTIVE_HOLD_STATUSES:
            raise HoldRefused(Reason.HOLD_CLOSED)
        if current.status != HoldStatus.WAITING:
            raise HoldRefused(Reason.HOLD_TRAPPED)
        current.suspended_from = start
        current.suspended_until = end
        current.save(update_fields=["suspended_from", "suspended_until"])
        audit_record(actor=actor, action=AuditAction.HOLD_SUSPEND, now=now, library_id=current.pickup_library_id, obj=current,
                     data={"from": start.isoformat() if start else None, "until": end.isoformat() if end else None})  # fmt: skip
    return current


def hold_change_pickup(
    *, hold: Hold, pickup_library: Library, actor: Actor, now: dt.datetime,
    library: Library | None = None,
) -> Hold:  # fmt: skip
    """Collect the hold at another library. A copy on the hold shelf goes into the navette;
    a copy already travelling is redirected. A staff actor acts at ``library``, or when none
    is named at the current pickup library (else ``OutOfScope``)."""
    scope_check(actor=actor, library_ids=[library.pk if library else hold.pickup_library_id],
                action="hold.change_pickup", now=now, obj=hold)  # fmt: skip
    if not pickup_library.is_active:
        raise HoldRefused(Reason.PICKUP_INACTIVE)
    with transaction.atomic():
        _p, it, current = _lock_hold(hold)
        if current.status not in ACTIVE_HOLD_STATUSES:
            raise HoldRefused(Reason.HOLD_CLOSED)
        previous = current.pickup_library_id
        if previous == pickup_library.pk:
            return current
        current.pickup_library = pickup_library
        if current.status == HoldStatus.IN_TRANSIT:
            Transit.objects.filter(hold_id=current.pk, status=TransitStatus.IN_TRANSIT).update(
                to_library=pickup_library
            )
            current.save(update_fields=["pickup_library"])
        elif current.status == HoldStatus.READY and it is not None:
            current.status = HoldStatus.IN_TRANSIT
            current.ready_at = None
            current.shelf_expires_on = None
            current.save(update_fields=["pickup_library", "status", "ready_at", "shelf_expires_on"])
            here = Library.objects.get(pk=previous)
            send_in_navette(
                item=it,
                to_library=pickup_library,
                from_library=here,
                hold=current,
                actor=actor,
                now=now,
            )
        else:
            current.save(update_fields=["pickup_library"])
        audit_record(actor=actor, action=AuditAction.HOLD_CHANGE_PICKUP, now=now, library_id=pickup_library.pk, obj=current,
                     data={"from": previous, "to": pickup_library.pk})  # fmt: skip
    return current


def hold_expire(*, hold: Hold, actor: Actor, now: dt.datetime) -> Hold | None:
    """Expire a hold left uncollected past its shelf days; the copy passes to the next in the queue.

    Returns ``None`` when the hold is no longer due to expire (collected, cancelled: idempotent).
    """
    today = clock.today(now)
    with transaction.atomic():
        p, it, current = _lock_hold(hold)
        if (
            current.status != HoldStatus.READY
            or current.shelf_expires_on is None
            or current.shelf_expires_on >= today
        ):
            return None
        _release = current.status
        current.status = HoldStatus.EXPIRED
        current.closed_at = now
        current.save(update_fields=["status", "closed_at"])
        current.status = _release
        _release_trapped(item=it, hold=current, actor=actor, now=now)
        current.status = HoldStatus.EXPIRED
        audit_record(
            actor=actor,
            action=AuditAction.HOLD_EXPIRE,
            now=now,
            library_id=current.pickup_library_id,
            obj=current,
        )
        record_fact(action=CirculationAction.HOLD_EXPIRE, now=now, library_id=current.pickup_library_id,
                    doc_type=current.record.doc_type, patron=p)  # fmt: skip
    return current
