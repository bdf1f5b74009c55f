"""Patron factories: categories (ORM) and patrons (through the registration service)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from navette.core import clock
from navette.core.actors import Actor
from navette.network.models import Library
from navette.patrons.models import Patron, PatronCard, PatronCategory
from navette.patrons.services import (
    ContactDetails,
    add_months,
    patron_register,
    patron_set_pin,
)
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
    registered: bool = True,
    **fields: Any,
) -> Patron:
    """A patron registered through ``patron_register`` (card, audit) and, unless ``pin=""``,
    given a PIN through ``patron_set_pin``.

    ``email=None`` gives a made-up address, ``email=""`` none; ``birth_date=None`` none. Membership runs for the
    category's months from ``now`` unless ``membership_expires_on``; ``fields`` set any
    other column afterwards. ``registered=False`` writes the same rows without the
    registration's audit event (tests that count audit events).
    """
    n = next(_seq)
    cat = category if isinstance(category, PatronCategory) else make_category(code=category)
    number = card or f"2900{n:08d}"
    email = f"lecteur{n}@example.org" if email is None else email
    born = dt.date(1990, 1, 1) + dt.timedelta(days=n) if birth_date is MADE_UP else birth_date
    home = library or make_library()
    if registered:
        patron = patron_register(
            first_name=first_name, last_name=last_name or f"Martin{n}", birth_date=born,
            contact=ContactDetails(email=email), category=cat, home_library=home,
            card_number=number, actor=STAFF, now=now,
        )  # fmt: skip
    else:  # the same rows without the registration's audit event
        patron = Patron.objects.create(
            card_number=number, first_name=first_name, last_name=last_name or f"Martin{n}",
            birth_date=born, email=email, category=cat, home_library=home,
            membership_expires_on=add_months(clock.today(now), cat.membership_months),
            last_activity_at=now,
        )  # fmt: skip
        PatronCard.objects.create(patron=patron, number=number, issued_at=now)
    if pin:
        patron_set_pin(patron=patron, secret=pin, actor=STAFF, now=now)
    if membership_expires_on is not None:
        fields["membership_expires_on"] = membership_expires_on
    if fields:
        for name, value in fields.items():
            setattr(patron, name, value)
        patron.save()
    return patron
