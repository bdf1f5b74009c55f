"""Patron factories: categories (ORM) and patrons (through the registration service)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from navette.core import clock
from navette.core.actors import Actor
from navette.network.models import Library
from navette.patrons.models import Patron, PatronCategory
from navette.patrons.services import ContactDetails, patron_register, patron_set_pin
from tests.network.factories import make_library

STAFF = Actor.system("tests")
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=clock.PARIS)
_seq = itertools.count(1)
#: ``make_patron(birth_date=MADE_UP)``, the default: a different date for each patron
MADE_UP = dt.date(1, 1, 1)


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
    birth_date: dt.date | None = MADE_UP,
    membership_expires_on: dt.date | None = None,
    now: dt.datetime = NOW,
    **fields: Any,
) -> Patron:
    """A patron registered through ``patron_register`` (card, audit) and, unless ``pin=""``,
    given a PIN through ``patron_set_pin``.

    ``email=None`` gives a made-up address, ``email=""`` none; ``birth_date=None`` none. Membership runs for the
    category's months from ``now`` unless ``membership_expires_on``; ``fields`` set any
    other column afterwards.
    """
    n = next(_seq)
    patron = patron_register(
        first_name=first_name,
        last_name=last_name or f"Martin{n}",
        birth_date=dt.date(1990, 1, 1) + dt.timedelta(days=n)
        if birth_date is MADE_UP
        else birth_date,
        contact=ContactDetails(email=f"lecteur{n}@example.org" if email is None else email),
        category=category if isinstance(category, PatronCategory) else make_category(code=category),
        home_library=library or make_library(),
        card_number=card or f"2900{n:08d}",
        actor=STAFF,
        now=now,
    )
    if pin:
        patron_set_pin(patron=patron, secret=pin, actor=STAFF, now=now)
    if membership_expires_on is not None:
        fields["membership_expires_on"] = membership_expires_on
    if fields:
        for name, value in fields.items():
            setattr(patron, name, value)
        patron.save()
    return patron
