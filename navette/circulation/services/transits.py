"""The navette: receiving copies at their destination, declaring losses."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from navette.catalogue.models import Item, ItemStatus
from navette.circulation import locks, store
from navette.circulation.errors import TransitRefused
from navette.circulation.models import (
    CirculationSettings,
    Crate,
    Hold,
    HoldStatus,
    Transit,
    TransitStatus,
)
from navette.circulation.policies import Reason
from navette.circulation.services._common import network_settings, record_fact
from navette.circulation.services.routing import (
    CheckinAction,
    CheckinKind,
    CheckinResult,
    make_ready,
    route_item,
    send_in_navette,
)
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_record
from navette.core.outbox import enqueue_record
from navette.network.models import Library
from navette.network.scope import scope_check
from navette.patrons.models import Patron
from navette.stats.models import CirculationAction


def transit_receive(
    *, item: Item, library: Library, actor: Actor, now: dt.datetime
) -> CheckinResult:
    """Receive a copy from the navette at ``library`` and say what to do with it.

    At its destination: hold shelf for the waiting patron, or the shelf. Arrived
    at the wrong library: it goes back into the navette to the right one.
    Raises ``TransitRefused`` when the copy is not in the navette, ``OutOfScope`` when a
    staff actor may not act at ``library``.
    """
    scope_check(actor=actor, library_ids=[library.pk], action="transit.receive", now=now,
                obj=item)  # fmt: skip
    with transaction.atomic():
        hold_patron = (
            Transit.objects.filter(item_id=item.pk, status=TransitStatus.IN_TRANSIT)
            .values_list("hold__patron_id", flat=True)
            .first()
        )
        if hold_patron:
            locks.lock_patron(hold_patron)
        it = locks.lock_item(item.pk)
        transit = (
            Transit.objects.select_for_update()
            .filter(item_id=it.pk, status=TransitStatus.IN_TRANSIT)
            .first()
        )
        if transit is None:
            raise TransitRefused(Reason.NOT_IN_TRANSIT)
        settings = network_settings(library.network_id)
        return receive_locked(
            item=it, transit=transit, library=library, settings=settings, actor=actor, now=now
        )


def receive_locked(
    *,
    item: Item,
    transit: Transit,
    library: Library,
    settings: CirculationSettings,
    actor: Actor,
    now: dt.datetime,
) -> CheckinResult:
    """Close ``transit`` at ``library`` and route the copy (item and transit locked)."""
    arrived = transit.to_library_id == library.pk
    transit.status = TransitStatus.RECEIVED if arrived else TransitStatus.REROUTED
    transit.closed_at = now
    db = store.current()
    db.save(transit, ["status", "closed_at"])
    audit_record(actor=actor, action=AuditAction.TRANSIT_RECEIVE, now=now, library_id=library.pk, obj=transit,
                 data={"item": item.barcode, "expected": transit.to_library_id})  # fmt: skip
    record_fact(action=CirculationAction.TRANSIT_RECEIVE, now=now, library_id=library.pk, item=item)
    hold = None
    if transit.hold_id:
        hold = db.hold_in_transit(transit.hold_id)
    if hold is not None:
        patron = Patron.objects.filter(pk=hold.patron_id).first() if hold.patron_id else None
        if hold.pickup_library_id == library.pk:
            make_ready(hold=hold, item=item, library=library, now=now)
            return CheckinResult(
                item=item, action=CheckinAction.HOLD_SHELF, kind=CheckinKind.HOLD_SHELF,
                destination=library, hold=hold, hold_patron=patron,
            )  # fmt: skip
        pickup = Library.objects.get(pk=hold.pickup_library_id)
        send_in_navette(
            item=item, to_library=pickup, from_library=library, hold=hold, actor=actor, now=now
        )
        return CheckinResult(
            item=item, action=CheckinAction.TRANSIT, kind=CheckinKind.TRANSIT_FOR_HOLD,
            destination=pickup, hold=hold, hold_patron=patron,
        )  # fmt: skip
    return route_item(item=item, library=library, settings=settings, actor=actor, now=now)


def transit_declare_lost(
    *, transit: Transit, actor: Actor, now: dt.datetime, library: Library | None = None
) -> Transit:
    """Declare the copy of an open transit lost. Its hold, if any, waits again at its place in the queue.

    Only a staff actor working at the library the copy left or was sent to may (else
    ``OutOfScope``, whatever desk ``library`` the interface names: it is recorded as the place).
    """
    scope_check(actor=actor, library_ids=[transit.from_library_id, transit.to_library_id],
                action="transit.lost", now=now, obj=transit)  # fmt: skip
    with transaction.atomic():
        hold_patron = (
            Transit.objects.filter(pk=transit.pk).values_list("hold__patron_id", flat=True).first()
        )
        if hold_patron:
            locks.lock_patron(hold_patron)
        it = locks.lock_item(transit.item_id)
        current = Transit.objects.select_for_update().get(pk=transit.pk)
        if current.status != TransitStatus.IN_TRANSIT:
            raise TransitRefused(Reason.NOT_IN_TRANSIT)
        current.status = TransitStatus.LOST
        current.closed_at = now
        current.save(update_fields=["status", "closed_at"])
        it.status = ItemStatus.LOST
        it.save(update_fields=["status", "updated_at"])
        if current.hold_id:
            Hold.objects.filter(pk=current.hold_id, status=HoldStatus.IN_TRANSIT).update(
                status=HoldStatus.WAITING, trapped_item=None, trapped_at=None
            )
        enqueue_record(it.record_id)
        audit_record(actor=actor, action=AuditAction.TRANSIT_LOST, now=now,
                     library_id=(library.pk if library else current.from_library_id), obj=current,
                     data={"item": it.barcode})  # fmt: skip
        record_fact(
            action=CirculationAction.TRANSIT_LOST,
            now=now,
            library_id=current.from_library_id,
            item=it,
        )
    return current


def crate_send(
    *, from_library: Library, to_library: Library, transit_ids: list[int], actor: Actor,
    now: dt.datetime,
) -> Crate:  # fmt: skip
    """Record that a crate left ``from_library`` for ``to_library`` with the copies of
    ``transit_ids`` (the ones on its slip): those still in the navette between these two
    libraries and in no crate yet go in it; the others (received meanwhile, already sent)
    are left out. Audited as ``crate.send``.

    Raises ``TransitRefused(CRATE_EMPTY)`` when none is left to send (nothing written),
    ``OutOfScope`` when a staff actor may not act at ``from_library``.
    """
    scope_check(actor=actor, library_ids=[from_library.pk], action="crate.send", now=now)
    with transaction.atomic():
        transits = list(
            Transit.objects.select_for_update()
            .filter(
                pk__in=transit_ids,
                from_library_id=from_library.pk,
                to_library_id=to_library.pk,
                status=TransitStatus.IN_TRANSIT,
                crate__isnull=True,
            )  # fmt: skip
            .select_related("item")
            .order_by("pk")
        )
        if not transits:
            raise TransitRefused(Reason.CRATE_EMPTY)
        crate = Crate.objects.create(
            from_library=from_library, to_library=to_library, sent_at=now,
            sent_by=actor.label[:150],
        )  # fmt: skip
        Transit.objects.filter(pk__in=[t.pk for t in transits]).update(crate=crate)
        audit_record(
            actor=actor, action=AuditAction.CRATE_SEND, now=now, library_id=from_library.pk,
            obj=crate,
            data={"to": to_library.pk, "items": [t.item.barcode for t in transits]},
        )  # fmt: skip
    return crate
