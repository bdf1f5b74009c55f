"""Absurd periods on the statistics pages: a clear answer, never a 500."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.core.models import User
from navette.stats import selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def statistician(client, relire):
    client.force_login(User.objects.create_user("stats", password="x", role="statistician"))
    return client


@pytest.mark.parametrize(("de", "a"), [("2026-03", "2026-01"), ("2026-13", "2026-00")])
def test_reversed_or_unreadable_months_give_a_page_and_a_csv(statistician, de, a):
    """Months the wrong way round are put in order; an unreadable month takes its default."""
    assert statistician.get("/personnel/statistiques/", {"de": de, "a": a}).status_code == 200
    csv = statistician.get("/personnel/statistiques/circulation.csv", {"de": de, "a": a})
    assert csv.status_code == 200
    b"".join(csv.streaming_content)


@pytest.mark.parametrize(("de", "a"), [("9999-12", "9999-12"), ("9999-12", "0001-01"),
                                       ("0001-01", "2026-01")])  # fmt: skip
def test_months_outside_the_calendar_of_facts_are_a_clear_400(statistician, de, a):
    """December 9999 used to overflow the date arithmetic (500), and year 1 to 9999 would
    list 120,000 months: the page and the CSV answer 400 saying which month and the limits."""
    page = statistician.get("/personnel/statistiques/", {"de": de, "a": a})
    assert page.status_code == 400
    assert "Mois hors limites" in page.content.decode()
    csv = statistician.get("/personnel/statistiques/circulation.csv", {"de": de, "a": a})
    assert csv.status_code == 400 and "Mois hors limites" in csv.content.decode()


def test_month_bounds_refuse_months_outside_the_limits():
    with pytest.raises(selectors.InvalidPeriod):
        selectors.month_bounds("2026-01", "9999-12", dt.date(2026, 5, 1))
    assert selectors.month_bounds("2999-12", "2999-12", dt.date(2026, 5, 1)) == (
        dt.date(2999, 12, 1),
        dt.date(2999, 12, 31),
    )
