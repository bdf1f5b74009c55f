"""API: the network's libraries."""

from __future__ import annotations

from ninja import Router, Schema

from navette.core import clock
from navette.network.hours import opening_status
from navette.network.selectors import active_libraries, schedules_for

router = Router(tags=["réseau"])


class LibraryOut(Schema):
    code: str
    name: str
    commune: str
    street: str
    postcode: str
    city: str
    phone: str
    is_open_now: bool


@router.get("/libraries", response=list[LibraryOut])
def list_libraries(request):
    now = clock.now()
    libraries = active_libraries()
    schedules = schedules_for(libraries, clock.today(now))
    return [
        LibraryOut(
            code=lib.code,
            name=lib.name,
            commune=lib.commune,
            street=lib.street,
            postcode=lib.postcode,
            city=lib.city,
            phone=lib.phone,
            is_open_now=opening_status(schedules[lib.pk], now).is_open,
        )
        for lib in libraries
    ]
