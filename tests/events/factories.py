"""Test data for the agenda: a library, events and patrons, made explicitly."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from navette.core.actors import Actor
from navette.core.clock import PARIS
from navette.events.models import Event
from navette.events.services import event_create
from navette.network.models import Library, Network
from navette.patrons.models import Patron
from tests.network.factories import make_library
from tests.patrons.factories import make_patron

STAFF = Actor.system("tests")
#: A Tuesday in May: far from any daylight-saving change.
NOW = dt.datetime(2027, 5, 4, 9, 0, tzinfo=PARIS)
_seq = itertools.count(1)


def library(code: str = "", commune: str = "Lens", name: str = "") -> Library:
    n = next(_seq)
    return make_library(
        code=code or f"bib-{n}", commune=commune, name=name or f"Médiathèque {n}",
        network=Network.current(), street="1 rue de la Gare", postcode="62300", city=commune,
        phone="03 21 00 00 00",
    )  # fmt: skip


def event(lib: Library | None, *, days: int = 7, hour: int = 10, **fields: Any) -> Event:
    start = dt.datetime.combine((NOW + dt.timedelta(days=days)).date(), dt.time(hour, 0), PARIS)
    data: dict[str, Any] = {
        "title": fields.pop("title", "Heure du conte"),
        "library": lib,
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=1),
    }
    data.update(fields)
    return event_create(fields=data, actor=STAFF, now=NOW)


def bookable(lib: Library, capacity: int = 2, **fields: Any) -> Event:
    return event(lib, registration_required=True, capacity=capacity, **fields)


def patron(lib: Library, email: str = "", **fields: Any) -> Patron:
    """A patron of ``lib`` without PIN (the agenda's readers)."""
    n = next(_seq)
    return make_patron(
        library=lib, card=f"C{n:08d}", pin="", email=email or f"p{n}@example.org",
        first_name=fields.get("first_name", "Anne"), last_name=fields.get("last_name", f"Lecteur{n}"),
        birth_date=None, membership_expires_on=dt.date(2030, 1, 1), last_activity_at=None, registered=False,
    )  # fmt: skip
