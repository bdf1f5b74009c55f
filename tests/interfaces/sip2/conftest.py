"""A small network for SIP2 tests: two libraries, one kiosk, patrons with PINs, copies."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.hashers import make_password

from navette.catalogue.models import Item, Record
from navette.circulation.models import CirculationSettings, LoanRule
from navette.core.clock import PARIS
from navette.network.models import Library, Network, OpeningPeriod
from navette.patrons.models import Patron, PatronCategory
from navette.sip2.models import Kiosk

#: Tuesday 3 March 2026, 14:30 in Paris
NOW = dt.datetime(2026, 3, 3, 14, 30, tzinfo=PARIS)
PIN = "4821"
KIOSK_PASSWORD = "borne-secrete"


@dataclass
class World:
    lens: Library
    lievin: Library
    kiosk: Kiosk
    patron: Patron
    other: Patron
    items: list[Item] = field(default_factory=list)


def build_world(n_items: int = 6, n_patrons: int = 2) -> World:
    """Create the test network. Patron cards are 29000001, 29000002...; copies 31000001..."""
    network = Network.objects.create(name="Relire")
    lens = Library.objects.create(
        network=network, code="lens", name="Médiathèque Robert Cousin", commune="Lens"
    )
    lievin = Library.objects.create(
        network=network, code="lievin", name="Médiathèque de Liévin", commune="Liévin"
    )
    OpeningPeriod.objects.bulk_create(
        OpeningPeriod(library=lib, weekday=wd, opens=dt.time(10), closes=dt.time(18))
        for lib in (lens, lievin)
        for wd in (1, 2, 3, 4, 5)
    )
    LoanRule.objects.create(
        loan_days=21, max_renewals=2, renew_when_waiting=False, max_loans=20, holds_allowed=True,
        max_holds=10, hold_shelf_days=7,
    )  # fmt: skip
    CirculationSettings.objects.get_or_create(network=network)
    category = PatronCategory.objects.create(code="adulte", label="Adulte")
    pin_hash = make_password(PIN)
    patrons = [
        Patron.objects.create(
            card_number=f"2900{n:04d}",
            first_name=first,
            last_name=last,
            category=category,
            home_library=lens,
            membership_expires_on=dt.date(2027, 1, 1),
            pin_hash=pin_hash,
            email=f"lecteur{n}@example.org",
        )  # fmt: skip
        for n, (first, last) in enumerate(
            [("Camille", "Martin"), ("Louis", "Durand")]
            + [(f"Prénom{i}", f"Nom{i}") for i in range(3, n_patrons + 1)],
            start=1,
        )
    ]
    kiosk = Kiosk(login="borne-lens", name="Borne de prêt, Lens", library=lens)
    kiosk.set_password(KIOSK_PASSWORD)
    kiosk.save()
    items = []
    for n in range(1, n_items + 1):
        record = Record.objects.create(
            flavour="unimarc", marc={}, title=f"Titre {n}", doc_type="book"
        )
        items.append(
            Item.objects.create(
                record=record, barcode=f"3100{n:04d}", owning_library=lens, current_library=lens
            )
        )
    return World(
        lens=lens, lievin=lievin, kiosk=kiosk, patron=patrons[0], other=patrons[1], items=items
    )


@pytest.fixture
def world(db, clock_at):
    clock_at(NOW)
    return build_world()


@pytest.fixture(autouse=True)
def _no_search_reindexing(settings):
    """Loans re-index their record after commit; SIP2 tests do not look at the index."""
    settings.NAVETTE_SEARCH_UPDATES = "deferred"
