"""Where a copy goes once it is free: hold shelf here, navette, home, or the shelf.

Called with the patron (if any), the copy and the holds already locked, in
the order patron, item, holds. Never opens a transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from navette.catalogue.models import Item, ItemStatus
from navette.circulation import store
from navette.circulation.models import (
    CirculationSettings,
    Hold,
    HoldStatus,
    Loan,
    ReturnPolicy,
    Transit,
    TransitReason,
    TransitStatus,
)
from navette.circulation.policies import HoldCandidate, pick_hold, shelf_expiry
from navette.circulation.services._common import (
    library_schedule,
    record_fact,
    return_policy,
    rule_for,
    rule_rows,
)
from navette.core import clock
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_record
from navette.core.outbox import enqueue_record
from navette.network.models import Library
from navette.patrons.models import Patron
from navette.stats.models import CirculationAction


class CheckinAction(StrEnum):
    SHELVE = "shelve"
    HOLD_SHELF = "hold_shelf"
    TRANSIT = "transit"


class CheckinKind(StrEnum):
    """Why the copy goes where it goes (``messages.checkin_message`` words it)."""

    SHELVE = "shelve"
    HOLD_SHELF = "hold_shelf"
    #: already set aside for a hold before this return
    ALREADY_ON_HOLD_SHELF = "already_on_hold_shelf"
    TRANSIT_FOR_HOLD = "transit_for_hold"
    #: back to its owning library (return policy "home")
    TRANSIT_HOME = "transit_home"


@dataclass
class CheckinResult:
    """What the desk must do with a returned (or received) copy, as data: ``kind`` says why,
    a late return's penalty is ``suspended_until`` or ``fine_cents``."""

    item: Item
    action: CheckinAction
    kind: CheckinKind
    destination: Library | None = None
    hold: Hold | None = None
    hold_patron: Patron | None = None
    loan: Loan | None = None
    days_late: int = 0
    suspended_until: dt.date | None = None
    fine_cents: int = 0


def route_item(
    *, item: Item, library: Library, settings: CirculationSettings, actor: Actor, now: dt.datetime,
    holds_waiting: bool = True,
) -> CheckinResult:  # fmt: skip
    """Trap the copy for the first eligible hold, or send it home, or shelve it here.

    ``item`` must be locked and free (no open loan, no active trap, no open transit).
    ``holds_waiting=False``: the caller read, after taking its locks, that no
    hold waits for this copy, so there is none to lock.
    """
    today = clock.today(now)
    holds = store.current().lock_waiting_holds(item) if holds_waiting else []
    candidates = [
        HoldCandidate(h.pk, h.placed_at, h.pickup_library_id, h.suspended_from, h.suspended_until)
        for h in holds
    ]
    chosen = pick_hold(
        candidates,
        here_library_id=library.pk,
        prefer_local=settings.prefer_local_pickup,
        today=today,
    )
    if chosen is not None:
        hold = next(h for h in holds if h.pk == chosen.hold_id)
        return trap_for_hold(item=item, hold=hold, library=library, actor=actor, now=now)
    policy = return_policy(library, settings)
    if policy == ReturnPolicy.HOME and item.owning_library_id != library.pk:
        home = Library.objects.get(pk=item.owning_library_id)
        send_in_navette(
            item=item, to_library=home, from_library=library, hold=None, actor=actor, now=now
        )
        return CheckinResult(
            item=item,
            action=CheckinAction.TRANSIT,
            destination=home,
            kind=CheckinKind.TRANSIT_HOME,
        )
    item.status = ItemStatus.AVAILABLE
    item.current_library = library
    store.current().save(item, ["status", "current_library", "updated_at"])
    enqueue_record(item.record_id)
    return CheckinResult(item=item, action=CheckinAction.SHELVE, kind=CheckinKind.SHELVE)


def trap_for_hold(
    *, item: Item, hold: Hold, library: Library, actor: Actor, now: dt.datetime
) -> CheckinResult:
    """Set the copy aside for ``hold``: hold shelf here, or navette to the pickup library."""
    patron = (
        Patron.objects.select_related("category").get(pk=hold.patron_id) if hold.patron_id else None
    )
    hold.trapped_item = item
    hold.trapped_at = now
    audit_record(actor=actor, action=AuditAction.HOLD_TRAP, now=now, library_id=library.pk, obj=hold,
                 data={"item": item.barcode})  # fmt: skip
    if hold.pickup_library_id == library.pk:
        make_ready(hold=hold, item=item, library=library, now=now)
        return CheckinResult(
            item=item,
            action=CheckinAction.HOLD_SHELF,
            kind=CheckinKind.HOLD_SHELF,
            destination=library,
            hold=hold,
            hold_patron=patron,
        )
    pickup = Library.objects.get(pk=hold.pickup_library_id)
    hold.status = HoldStatus.IN_TRANSIT
    store.current().save(hold, ["trapped_item", "trapped_at", "status"])
    send_in_navette(
        item=item, to_library=pickup, from_library=library, hold=hold, actor=actor, now=now
    )
    return CheckinResult(
        item=item,
        action=CheckinAction.TRANSIT,
        destination=pickup,
        hold=hold,
        hold_patron=patron,
        kind=CheckinKind.TRANSIT_FOR_HOLD,
    )


def make_ready(*, hold: Hold, item: Item, library: Library, now: dt.datetime) -> None:
    """The copy is on the hold shelf at the pickup library; the patron has shelf days to collect it."""
    today = clock.today(now)
    patron = (
        Patron.objects.filter(pk=hold.patron_id).values("category_id").first()
        if hold.patron_id
        else None
    )
    rule = rule_for(
        rule_rows([library.pk]),
        library.pk,
        patron["category_id"] if patron else None,
        item.doc_type,
    )
    hold.status = HoldStatus.READY
    hold.ready_at = now
    hold.shelf_expires_on = shelf_expiry(
        today, rule.hold_shelf_days, library_schedule(library, today)
    )
    db = store.current()
    db.save(hold, ["trapped_item", "trapped_at", "status", "ready_at", "shelf_expires_on"])
    item.status = ItemStatus.ON_HOLD_SHELF
    item.current_library = library
    db.save(item, ["status", "current_library", "updated_at"])
    enqueue_record(item.record_id)


def send_in_navette(
    *,
    item: Item,
    to_library: Library,
    from_library: Library,
    hold: Hold | None,
    actor: Actor,
    now: dt.datetime,
) -> Transit:
    db = store.current()
    transit = Transit(
        item=item,
        from_library=from_library,
        to_library=to_library,
        hold=hold,
        reason=TransitReason.HOLD if hold is not None else TransitReason.RETURN_HOME,
        status=TransitStatus.IN_TRANSIT,
        sent_at=now,
    )
    db.add(transit)
    item.status = ItemStatus.IN_TRANSIT
    item.current_library = from_library
    db.save(item, ["status", "current_library", "updated_at"])
    enqueue_record(item.record_id)
    audit_record(actor=actor, action=AuditAction.TRANSIT_SEND, now=now, library_id=from_library.pk, obj=transit,
                 data={"item": item.barcode, "to": to_library.code})  # fmt: skip
    record_fact(
        action=CirculationAction.TRANSIT_SEND, now=now, library_id=from_library.pk, item=item
    )
    return transit
