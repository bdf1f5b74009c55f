"""The navette at a desk: receiving a copy, declaring a transit lost."""

from __future__ import annotations

import datetime as dt

from navette.circulation.errors import CirculationError
from navette.circulation.models import Transit, TransitStatus
from navette.circulation.services import crate_send, transit_declare_lost, transit_receive
from navette.core.actors import Actor
from navette.desk.identifiers import item_by_barcode, normal_barcode
from navette.desk.outcomes import Code, Outcome, done, from_error, refused
from navette.network.models import Library


def desk_transit_receive(
    *, barcode: str, library: Library, actor: Actor, now: dt.datetime
) -> Outcome:
    """Receive the copy ``barcode`` from the navette: ``received`` with ``result`` (the
    ``CheckinResult``: hold shelf, shelf, or on to another library)."""
    item = item_by_barcode(barcode)
    if item is None:
        return refused(Code.ITEM_NOT_FOUND, barcode=normal_barcode(barcode))
    try:
        result = transit_receive(item=item, library=library, actor=actor, now=now)
    except CirculationError as exc:
        return from_error(exc, barcode=item.barcode)
    return done(Code.RECEIVED, barcode=item.barcode, title=item.record.title, result=result)


def desk_transit_lost(
    *, transit_id: int, library: Library | None, actor: Actor, now: dt.datetime
) -> Outcome:
    """Declare an open transit lost: ``transit_lost`` with the copy's ``barcode``."""
    transit = (
        Transit.objects.select_related("item")
        .filter(pk=transit_id, status=TransitStatus.IN_TRANSIT)
        .first()
    )
    if transit is None:
        return refused(Code.TRANSIT_CLOSED, transit_id=transit_id)
    try:
        transit_declare_lost(transit=transit, actor=actor, now=now, library=library)
    except CirculationError as exc:
        return from_error(exc, barcode=transit.item.barcode)
    return done(Code.TRANSIT_LOST, barcode=transit.item.barcode)


def desk_crate_send(
    *, library: Library, to_library_code: str, transit_ids: list[int], actor: Actor,
    now: dt.datetime,
) -> Outcome:  # fmt: skip
    """Record the departure of ``library``'s crate for the library ``to_library_code`` with
    the copies of ``transit_ids`` (those listed on its slip): ``crate_sent`` with ``crate``,
    ``to_library`` and ``count``; ``library_not_found``, or the refusal ``crate_empty``."""
    to_library = Library.objects.filter(code=to_library_code).first()
    if to_library is None:
        return refused(Code.LIBRARY_NOT_FOUND, library_code=to_library_code)
    try:
        crate = crate_send(from_library=library, to_library=to_library, transit_ids=transit_ids,
                           actor=actor, now=now)  # fmt: skip
    except CirculationError as exc:
        return from_error(exc, to_library=to_library)
    return done(Code.CRATE_SENT, crate=crate, to_library=to_library,
                count=crate.transits.count())  # fmt: skip
