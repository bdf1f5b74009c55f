"""Circulation statistics from the anonymous facts: per library, by criterion, by month, CSV;
and that they survive the anonymisation of the loans they count."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from navette.core.models import User
from navette.stats import selectors
from navette.stats.models import CirculationAction as A
from navette.stats.models import CirculationFact

pytestmark = pytest.mark.django_db
JAN, FEB, MAR = dt.date(2026, 1, 10), dt.date(2026, 2, 3), dt.date(2026, 3, 15)


@pytest.fixture
def facts(relire):
    lens, harnes = relire["lens"], relire["harnes"]

    def fact(day, action, library, home=None, doc_type="book", category="adulte", age="26-39"):  # type: ignore[no-untyped-def]
        return CirculationFact(
            day=day, action=action, library=library, owning_library=library, doc_type=doc_type,
            patron_category=category, age_band=age, home_library=home or library,
        )  # fmt: skip

    CirculationFact.objects.bulk_create(
        [
            fact(JAN, A.CHECKOUT, lens),
            fact(
                JAN, A.CHECKOUT, lens, home=harnes, doc_type="video", age="12-14", category="jeune"
            ),
            fact(FEB, A.CHECKOUT, lens, doc_type="comic", age="6-11", category="jeune"),
            fact(FEB, A.CHECKIN, lens),
            fact(FEB, A.RENEW, lens),
            fact(MAR, A.CHECKOUT, harnes),
            fact(MAR, A.HOLD_PLACE, harnes),
            fact(MAR, A.HOLD_FULFIL, harnes),
            fact(MAR, A.TRANSIT_SEND, lens),
            fact(dt.date(2025, 12, 31), "checkout", lens),  # before the period
        ]
    )
    return relire


def test_month_bounds_cover_whole_months_and_default_to_this_year():
    today = dt.date(2026, 5, 20)
    assert selectors.month_bounds("2026-01", "2026-02", today) == (
        JAN.replace(day=1),
        dt.date(2026, 2, 28),
    )
    assert selectors.month_bounds("", "", today) == (dt.date(2026, 1, 1), today)
    # months given the wrong way round still cover both months whole
    assert selectors.month_bounds("2026-03", "2026-01", today) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 3, 31),
    )
    assert selectors.month_bounds("mars", "2024-13", today) == (dt.date(2026, 1, 1), today)


def test_per_library_counts_and_visitors(facts):
    rows = {
        r.library.code: r for r in selectors.by_library(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    }
    assert len(rows) == 27  # every library, those with nothing too
    lens, harnes = rows["lens"], rows["harnes"]
    assert (lens.checkouts, lens.checkins, lens.renewals, lens.transits_sent) == (3, 1, 1, 1)
    assert (lens.checkouts_visitors, lens.visitors_percent) == (1, 33)
    assert (harnes.checkouts, harnes.holds_placed, harnes.holds_fulfilled) == (1, 1, 1)
    assert rows["vimy"].checkouts == 0


def test_loans_by_criterion_and_by_month(facts):
    start, end = dt.date(2026, 1, 1), dt.date(2026, 3, 31)
    by_type = [(s.key, s.count, s.percent) for s in selectors.checkouts_by("doc_type", start, end)]
    assert by_type == [("book", 2, 50), ("comic", 1, 25), ("video", 1, 25)]
    ages = [s.key for s in selectors.checkouts_by("age_band", start, end)]
    assert ages == ["6-11", "12-14", "26-39"]  # in age order
    at_lens = selectors.checkouts_by("patron_category", start, end, facts["lens"])
    assert [(s.key, s.count) for s in at_lens] == [("jeune", 2), ("adulte", 1)]
    assert selectors.checkouts_by_month(start, end) == [
        (dt.date(2026, 1, 1), 2),
        (dt.date(2026, 2, 1), 1),
        (dt.date(2026, 3, 1), 1),
    ]
    with pytest.raises(ValueError):
        selectors.checkouts_by("patron_id", start, end)


def test_page_for_a_statistician_and_the_csv(client, facts):
    user = User.objects.create_user("stats", password="x", role="statistician")
    client.force_login(user)
    page = client.get("/personnel/statistiques/", {"de": "2026-01", "a": "2026-03"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Du 01/01/2026 au 31/03/2026." in html and "Prêts par tranche d" in html
    # months are named, never shown as "2026-01"
    assert '<th scope="row">janvier 2026</th>' in html and ">2026-01<" not in html
    lens_row = html.split("Lens — Médiathèque Robert Cousin</th>")[1].split("</tr>")[0]
    assert lens_row.startswith("<td>3</td><td>1 (33 %)</td><td>1</td><td>1</td>")
    response = client.get(
        "/personnel/statistiques/circulation.csv",
        {"de": "2026-01", "a": "2026-03", "bibliotheque": "lens"},
    )
    assert response["Content-Disposition"].endswith('circulation-2026-01-2026-03-lens.csv"')
    rows = list(
        csv.reader(io.StringIO(b"".join(response.streaming_content).decode()), delimiter=";")
    )
    assert rows[0] == selectors.CSV_HEADER
    assert [
        "2026-01",
        "lens",
        "loan.checkout",
        "video",
        "jeune",
        "12-14",
        "harnes",
        "lens",
        "1",
    ] in rows
    assert sum(int(r[-1]) for r in rows[1:]) == 6  # Lens's facts of the period, nobody else's


def test_statistics_need_a_staff_login(client, facts):
    assert client.get("/personnel/statistiques/").status_code == 302
