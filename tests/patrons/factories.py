"""Small factories for patron, notice and account tests."""

from __future__ import annotations

import datetime as dt
import itertools

from navette.core import clock
from navette.core.actors import Actor
from navette.network.models import Library, Network
from navette.patrons.models import Patron, PatronCategory
from navette.patrons.services import ContactDetails, patron_register, patron_set_pin

STAFF = Actor.system("tests")
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=clock.PARIS)
_seq = itertools.count(1)


def make_library(code: str = "", name: str = "") -> Library:
    network = Network.objects.first() or Network.objects.create(name="Réseau test")
    n = next(_seq)
    code = code or f"bib-{n}"
    return Library.objects.create(
        network=network, code=code, name=name or f"Médiathèque {code}", commune=f"Ville {n}",
        street="1 rue des Livres", postcode="62300", city="Lens",
    )  # fmt: skip


def make_category(code: str = "adulte") -> PatronCategory:
    category, _created = PatronCategory.objects.get_or_create(
        code=code, defaults={"label": code.capitalize(), "membership_months": 12}
    )
    return category


def make_patron(
    *,
    library: Library | None = None,
    card: str = "",
    pin: str = "1234",
    email: str = "",
    now: dt.datetime = NOW,
    first_name: str = "Lucie",
    last_name: str = "",
    birth_date: dt.date | None = None,
    **changes,
) -> Patron:
    n = next(_seq)
    patron = patron_register(
        first_name=first_name,
        last_name=last_name or f"Martin{n}",
        birth_date=birth_date or dt.date(1990, 1, 1) + dt.timedelta(days=n),
        contact=ContactDetails(email=email or f"lecteur{n}@example.org"),
        category=make_category(),
        home_library=library or make_library(),
        card_number=card or f"2900{n:08d}",
        actor=STAFF,
        now=now,
    )
    if pin:
        patron_set_pin(patron=patron, secret=pin, actor=STAFF, now=now)
    if changes:
        for name, value in changes.items():
            setattr(patron, name, value)
        patron.save()
    return patron


def make_item(library: Library, title: str = "Germinal", barcode: str = ""):  # type: ignore[no-untyped-def]
    """A record with one available copy at ``library``."""
    from navette.catalogue.models import Item, Record

    n = next(_seq)
    record = Record.objects.create(flavour="unimarc", marc={"fields": []}, title=title)
    return Item.objects.create(
        record=record, barcode=barcode or f"3100{n:08d}", owning_library=library,
        current_library=library,
    )  # fmt: skip


def checkout(item, patron: Patron, library: Library, now: dt.datetime):  # type: ignore[no-untyped-def]
    """Lend through the circulation service (the real path)."""
    from navette.circulation.services import loan_checkout

    return loan_checkout(item=item, patron=patron, library=library, actor=STAFF, now=now)
