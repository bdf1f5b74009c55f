"""Factories for circulation tests: libraries open Tuesday to Saturday, patrons, copies."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from navette.catalogue.models import Item, Record
from navette.circulation.models import CirculationSettings, LoanRule
from navette.core.actors import Actor
from navette.core.clock import PARIS
from navette.network.models import Library, OpeningPeriod
from navette.patrons.models import Patron, PatronCategory

#: Tuesday 4 March 2025, 10:00 in Paris
NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=PARIS)
_seq = itertools.count(1)


@pytest.fixture
def libs(relire):
    """The Relire libraries by commune, each open Tuesday to Saturday 10-18, with network rules."""
    periods = [
        OpeningPeriod(library=lib, weekday=wd, opens=dt.time(10), closes=dt.time(18))
        for lib in relire.values()
        for wd in (1, 2, 3, 4, 5)
    ]
    OpeningPeriod.objects.bulk_create(periods)
    LoanRule.objects.create(
        loan_days=21, max_renewals=2, renew_when_waiting=False, max_loans=20, holds_allowed=True,
        max_holds=10, hold_shelf_days=7,
    )  # fmt: skip
    LoanRule.objects.create(doc_type="video", max_loans=5)
    LoanRule.objects.create(doc_type="video_game", max_loans=2)
    network = next(iter(relire.values())).network
    CirculationSettings.objects.get_or_create(network=network)
    by_commune = {}
    for lib in Library.objects.order_by("pk"):
        by_commune.setdefault(lib.commune, lib)
    return by_commune


@pytest.fixture
def actor():
    return Actor.system("tests")


@pytest.fixture
def make_patron(libs):
    def make(home="Lens", category="adulte", **kw):
        cat, _ = PatronCategory.objects.get_or_create(code=category, defaults={"label": category})
        n = next(_seq)
        return Patron.objects.create(
            card_number=f"P{n:07d}", first_name=kw.pop("first_name", f"Prénom{n}"),
            last_name=kw.pop("last_name", f"Nom{n}"), category=cat, home_library=libs[home],
            membership_expires_on=kw.pop("membership_expires_on", dt.date(2026, 1, 1)),
            birth_date=kw.pop("birth_date", dt.date(1980, 5, 1)), **kw,
        )  # fmt: skip

    return make


@pytest.fixture
def make_record(db):
    def make(title="Titre", doc_type="book"):
        return Record.objects.create(flavour="unimarc", marc={}, title=title, doc_type=doc_type)

    return make


@pytest.fixture
def make_item(libs, make_record):
    def make(owner="Lens", record=None, **kw):
        record = record or make_record(doc_type=kw.pop("doc_type", "book"))
        n = next(_seq)
        return Item.objects.create(
            record=record,
            barcode=f"I{n:08d}",
            owning_library=libs[owner],
            current_library=libs[owner],
            **kw,
        )

    return make
