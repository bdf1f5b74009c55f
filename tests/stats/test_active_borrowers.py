"""Distinct active borrowers from the year's pseudonyms: exact after the loans are anonymised
and patrons purged, the same through the rollups, and unlinkable once the year is closed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from navette.circulation.models import Loan
from navette.circulation.privacy import loans_anonymise
from navette.circulation.services import loan_checkout
from navette.core.actors import Actor
from navette.core.clock import PARIS
from navette.core.models import AuditEvent, Role, User
from navette.network.scope import OutOfScope
from navette.patrons.models import Patron, PseudonymKey
from navette.patrons.privacy import patrons_purge
from navette.patrons.pseudonyms import (
    YearNotOver,
    forget_cached_keys,
    patron_pseudonym,
    year_key,
)
from navette.reports.services import statistics_year_close
from navette.stats import selectors
from navette.stats.models import CirculationAction, CirculationFact
from navette.stats.rollups import stats_rollup
from tests.stats.conftest import DAY1, DAY2

pytestmark = pytest.mark.django_db


def _figures(libs):  # type: ignore[no-untyped-def]
    by_library = selectors.active_borrowers_by_library(2025)
    return {
        "network": selectors.active_borrowers(2025),
        "lens": selectors.active_borrowers(2025, library=libs["Lens"]),
        "by_library": {k: v for k, v in by_library.items() if v},
        "age": selectors.active_borrowers(2025, "age_group"),
        "category": selectors.active_borrowers(2025, "patron_category"),
        "residence": selectors.active_borrowers(2025, "residence"),
        "lens_age": selectors.active_borrowers(2025, "age_group", library=libs["Lens"]),
    }


EXPECTED = {
    "network": {"": 4},
    "lens": {"": 3},
    "age": {"0-14": 1, "15-64": 2, "65+": 1},
    "category": {"jeune": 1, "adulte": 3},
    "residence": {"62300 LENS": 2, "62210 AVION": 1, "62000 ARRAS": 1},
    "lens_age": {"0-14": 1, "15-64": 2},
}


def test_distinct_borrowers_are_exact_after_anonymisation_and_purge(year_2025, libs):
    """Every loan of the year anonymised and two of the four patrons deleted: the counts
    by network, library, age group, category and commune are still exact, before and after
    the days are rolled up."""
    assert loans_anonymise(now=dt.datetime(2025, 12, 1, tzinfo=PARIS)) == 6
    assert not Loan.objects.filter(patron__isnull=False).exists()
    assert patrons_purge(now=dt.datetime(2026, 6, 1, tzinfo=PARIS), months=1) == 2
    assert Patron.objects.count() == 2
    expected = {**EXPECTED, "by_library": {libs["Lens"].pk: 3, libs["Avion"].pk: 2}}
    assert _figures(libs) == expected
    assert stats_rollup(until=dt.date(2025, 12, 31)) > 0
    assert _figures(libs) == expected


def test_rolled_up_and_recent_days_add_up_without_counting_twice(year_2025, libs):
    """With only the first day rolled up, a borrower seen on both days counts once, a
    borrower first seen on the later day counts too."""
    stats_rollup(until=DAY1.date())
    assert selectors.active_borrowers(2025) == {"": 4}
    assert selectors.active_borrowers(2025, library=libs["Lens"]) == {"": 3}
    assert selectors.active_borrowers(2025, "residence")["62000 ARRAS"] == 1


def test_a_pseudonym_is_the_same_all_year_and_changes_with_the_year(year_2025):
    """Each loan fact of a patron carries the same pseudonym; next year's differs."""
    child = year_2025["child"]
    facts = CirculationFact.objects.filter(action=CirculationAction.CHECKOUT)
    expected = patron_pseudonym(child.pk, DAY1.date())
    assert facts.filter(borrower=expected).count() == 2
    assert patron_pseudonym(child.pk, dt.date(2026, 1, 5)) != expected
    assert facts.filter(borrower__isnull=True).count() == 0


def test_closing_the_year_destroys_its_key_for_good(year_2025, libs):
    """Once 2025 is closed, its key is gone (from the database and the process), no
    pseudonym of 2025 can be recomputed for any patron, the counts stay, and closing is
    audited and idempotent; 2026 cannot be closed in 2026."""
    adult = year_2025["adult"]
    before = patron_pseudonym(adult.pk, DAY1.date())
    assert CirculationFact.objects.filter(borrower=before).exists()
    now = dt.datetime(2026, 2, 1, 9, tzinfo=PARIS)
    assert statistics_year_close(year=2025, actor=Actor.system("tests"), now=now) is True
    row = PseudonymKey.objects.get(year=2025)
    assert row.key is None and row.destroyed_at == now
    forget_cached_keys()
    assert year_key(2025) is None
    assert patron_pseudonym(adult.pk, DAY1.date()) is None
    assert PseudonymKey.objects.filter(year=2025).count() == 1  # never drawn again
    assert selectors.active_borrowers(2025) == {"": 4}
    assert AuditEvent.objects.filter(action="stats.year_close", object_id="2025").exists()
    assert statistics_year_close(year=2025, actor=Actor.system("tests"), now=now) is False
    with pytest.raises(YearNotOver):
        statistics_year_close(year=2026, actor=Actor.system("tests"), now=now)


def test_a_loan_after_the_close_carries_no_pseudonym(year_2025, libs, make_item, actor):
    """A fact dated in a closed year (a late import) is written without a pseudonym rather
    than with a new key."""
    now = dt.datetime(2026, 2, 1, 9, tzinfo=PARIS)
    statistics_year_close(year=2025, actor=Actor.system("tests"), now=now)
    item = make_item()
    loan_checkout(item=item, patron=year_2025["adult"], library=libs["Lens"], actor=actor,
                  now=DAY2 + dt.timedelta(days=30))  # fmt: skip
    assert CirculationFact.objects.filter(borrower__isnull=True).count() == 1


def test_only_a_network_administrator_closes_a_year(year_2025, libs):
    """A librarian may not close the year (refused, audited, the key kept); the command
    closes it as a system job and refuses a year that is not over."""
    librarian = User.objects.create_user("bib", password="x", role=Role.LIBRARIAN)
    librarian.libraries.add(libs["Lens"])
    with pytest.raises(OutOfScope):
        statistics_year_close(year=2025, actor=Actor.staff(librarian),
                              now=dt.datetime(2026, 2, 1, tzinfo=PARIS))  # fmt: skip
    assert PseudonymKey.objects.get(year=2025).key is not None
    call_command("close_statistics_year", "2025")
    assert PseudonymKey.objects.get(year=2025).key is None
    with pytest.raises(CommandError, match="pas terminée"):
        call_command("close_statistics_year", "2999")


def test_rolled_up_counts_equal_the_facts(year_2025, libs):
    """Whatever has been rolled up (nothing, part of March, the whole year), every count by
    month and dimension is the same, for whole months and for a period starting mid-month."""
    periods = [(dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
               (dt.date(2025, 3, 1), dt.date(2025, 3, 31)),
               (dt.date(2025, 3, 5), dt.date(2025, 3, 31))]  # fmt: skip

    lens = libs["Lens"]

    def counts():  # type: ignore[no-untyped-def]
        return [
            (list(selectors.csv_rows(a, b)), selectors.checkouts_by_month(a, b),
             selectors.checkouts_by_month(a, b, lens),
             [(r.library.pk, r.checkouts, r.checkins, r.checkouts_visitors)
              for r in selectors.by_library(a, b)],
             [selectors.checkouts_by(d, a, b, where)
              for d in ("doc_type", "patron_category", "age_band", "home_library")
              for where in (None, lens)],
             selectors.tally(a, b, ["library_id", "action"]),
             selectors.tally(a, b, ["action", "owning_library_id"], library=lens))
            for a, b in periods
        ]  # fmt: skip

    expected = counts()
    assert sum(int(row[-1]) for row in expected[0][0]) == 12  # 6 loans, 6 returns
    # the adult and the pensioner borrowed at Avion, registered at Lens: visitors there
    assert (libs["Avion"].pk, 2, 2, 2) in expected[0][3]
    stats_rollup(until=DAY1.date())
    assert counts() == expected
    stats_rollup(until=dt.date(2025, 12, 31))
    assert counts() == expected
