"""Patron factories: categories and patrons with their card, straight through the ORM."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from navette.core import clock
from navette.core.actors import Actor
from navette.network.models import Library
from navette.patrons.models import Patron, PatronCard, PatronCategory
from navette.patrons.services import add_months, patron_set_pin
from tests.network.factories import make_library

STAFF = Actor.system("tests")
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=clock.PARIS)
_seq = itertools.count(1)


def make_category(*, code: str = "adulte", membership_months: int = 12) -> PatronCategory:
    category, _created = PatronCategory.objects.get_or_create(
        code=code, defaults={"label": code.capitalize(), "membership_months": membership_months}
    )
    return category


def make_patron(
    *,
    library: Library | None = None,
    category: str | PatronCategory = "adulte",
    card: str = "",
    pin: str = "1234",
    email: str | None = None,
    first_name: str = "Lucie",
    last_name: str = "",
    birth_date: dt.date | None = dt.date(1990, 1, 1),
    membership_expires_on: dt.date | None = None,
    now: dt.datetime = NOW,
    **fields: Any,
) -> Patron:
    """A patron with a card (the same rows as a registration) and, unless ``pin=""``, a PIN.

    ``email=None`` gives a made-up address, ``email=""`` none. Membership runs for the category's months from ``now``; ``fields`` set any other column.
    """
    n = next(_seq)
    cat = category if isinstance(category, PatronCategory) else make_category(code=category)
    number = card or f"2900{n:08d}"
    values: dict[str, Any] = {"last_activity_at": now, **fields}
    patron = Patron.objects.create(
        card_number=number,
        first_name=first_name,
        last_name=last_name or f"Martin{n}",
        birth_date=birth_date,
        email=f"lecteur{n}@example.org" if email is None else email,
        category=cat,
        home_library=library or make_library(),
        membership_expires_on=membership_expires_on
        or add_months(clock.today(now), cat.membership_months),
        **values,
    )
    PatronCard.objects.create(patron=patron, number=number, issued_at=now)
    if pin:
        patron_set_pin(patron=patron, secret=pin, actor=STAFF, now=now)
    return patron
