"""Holds at a desk: place (e.g. asked by phone), cancel, change the pickup library."""

from __future__ import annotations

import datetime as dt

from navette.catalogue.models import Item, Record
from navette.circulation.errors import CirculationError
from navette.circulation.models import Hold
from navette.circulation.services import hold_cancel, hold_change_pickup, hold_place
from navette.core.actors import Actor
from navette.desk.outcomes import Code, Outcome, done, from_error, refused
from navette.network.models import Library
from navette.patrons.models import Patron


def desk_hold_place(
    *, patron: Patron, record: Record, item: Item | None = None, pickup_library: Library,
    library: Library | None, actor: Actor, now: dt.datetime,
) -> Outcome:  # fmt: skip
    """Place a hold for ``patron``: ``hold_placed`` with ``hold`` and ``pickup_library``."""
    try:
        hold = hold_place(patron=patron, record=record, item=item, pickup_library=pickup_library,
                          actor=actor, now=now, library=library)  # fmt: skip
    except CirculationError as exc:
        return from_error(exc)
    return done(Code.HOLD_PLACED, hold=hold, patron=patron, pickup_library=pickup_library)


def active_hold(*, patron: Patron, record: Record) -> Hold | None:
    """``patron``'s active hold on ``record`` (there is at most one), or None."""
    return (
        Hold.objects.select_related("record", "pickup_library")
        .active()
        .filter(patron_id=patron.pk, record_id=record.pk)
        .first()
    )


def desk_hold_cancel(
    *, hold_id: int | None = None, record: Record | None = None, patron: Patron,
    library: Library | None, actor: Actor, now: dt.datetime,
) -> Outcome:  # fmt: skip
    """Cancel one of ``patron``'s active holds, given by its id or its ``record`` (a kiosk
    knows only the title): ``hold_cancelled`` with ``title``."""
    hold: Hold | None = None
    if record is not None:
        hold = active_hold(patron=patron, record=record)
    elif hold_id is not None:
        hold = (
            Hold.objects.select_related("record").active().filter(pk=hold_id, patron=patron).first()
        )
    if hold is None:
        return refused(Code.HOLD_NOT_ACTIVE, hold_id=hold_id)
    try:
        hold_cancel(hold=hold, actor=actor, now=now, library=library)
    except CirculationError as exc:
        return from_error(exc, title=hold.record.title)
    return done(Code.HOLD_CANCELLED, hold=hold, title=hold.record.title, patron=patron)


def desk_hold_change_pickup(
    *, hold: Hold, pickup_library: Library, library: Library | None, actor: Actor,
    now: dt.datetime,
) -> Outcome:  # fmt: skip
    """Collect ``hold`` at ``pickup_library``: ``pickup_changed`` with ``pickup_library``."""
    try:
        hold_change_pickup(hold=hold, pickup_library=pickup_library, actor=actor, now=now,
                           library=library)  # fmt: skip
    except CirculationError as exc:
        return from_error(exc)
    return done(Code.PICKUP_CHANGED, hold=hold, pickup_library=pickup_library)
