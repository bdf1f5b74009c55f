"""Circulation test fixtures: the Relire libraries open Tuesday to Saturday, patrons, copies.

Thin wrappers over the factories of tests/<app>/factories.py; tests/interfaces/conftest.py
imports them too.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from navette.core.actors import Actor
from navette.core.clock import PARIS
from navette.network.models import Library
from navette.patrons.pseudonyms import pseudonym_keys_prepare
from tests.catalogue import factories as catalogue
from tests.circulation.factories import make_loan_rules
from tests.network.factories import make_opening_hours
from tests.patrons import factories as patrons

#: Tuesday 4 March 2025, 10:00 in Paris
NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=PARIS)
_seq = itertools.count(1)


@pytest.fixture
def libs(relire):
    """The Relire libraries by commune, each open Tuesday to Saturday 10-18, with network rules."""
    make_opening_hours(libraries=relire.values())
    make_loan_rules(network=next(iter(relire.values())).network)
    # the borrower pseudonym keys drawn ahead, as the ``pseudonym-keys`` job does
    pseudonym_keys_prepare(years=[2025, 2026], now=NOW)
    by_commune = {}
    for lib in Library.objects.order_by("pk"):
        by_commune.setdefault(lib.commune, lib)
    return by_commune


@pytest.fixture
def actor():
    return Actor.system("tests")


@pytest.fixture
def make_patron(libs):
    """``make_patron(home="Lens", category="adulte", **columns)``: no PIN, no e-mail."""

    def make(home="Lens", category="adulte", **kw):
        n = next(_seq)
        kw = {
            "card": f"P{n:07d}", "first_name": f"Prénom{n}", "last_name": f"Nom{n}", "pin": "",
            "email": "", "membership_expires_on": dt.date(2026, 1, 1),
            "birth_date": dt.date(1980, 5, 1), "last_activity_at": None, "now": NOW,
            "registered": False, **kw,
        }  # fmt: skip
        return patrons.make_patron(library=libs[home], category=category, **kw)

    return make


@pytest.fixture
def make_record(db):
    def make(title="Titre", doc_type="book"):
        return catalogue.make_record(title=title, doc_type=doc_type, marc={}, languages=[])

    return make


@pytest.fixture
def make_item(libs, make_record):
    def make(owner="Lens", record=None, **kw):
        record = record or make_record(doc_type=kw.pop("doc_type", "book"))
        n = next(_seq)
        return catalogue.make_item(library=libs[owner], record=record, barcode=f"I{n:08d}", **kw)

    return make
