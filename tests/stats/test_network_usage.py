"""Usage for councils and vendors: online resources launched and event registrations, by the
patron's library (a member library as any other) and by commune, month by month; the same
figures in the CSV and ODS exports; still counted after the registrations are anonymised."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import pytest

from navette.core.clock import PARIS
from navette.core.models import User
from navette.digital.services import tokens_spend
from navette.events.models import Registration
from navette.events.services import registration_create
from navette.reports.usage import usage_by_commune, usage_by_library
from tests.digital import factories as digital
from tests.events import factories as events

pytestmark = pytest.mark.django_db

STAFF = events.STAFF


@pytest.fixture
def usage():
    """Roubaix (a member library) and two libraries of Lille; in April 2027 two films are
    launched by a Roubaix patron and one by a Lille patron; in May, registrations to an
    event in Lille: two Roubaix patrons (one with two seats), one Lille patron, one guest."""
    roubaix = events.library("roubaix", commune="Roubaix", name="Médiathèque La Grand-Plage")
    lille_a = events.library("lille-a", commune="Lille", name="Médiathèque Jean Lévy")
    lille_b = events.library("lille-b", commune="Lille", name="Bibliothèque de Wazemmes")
    resource = digital.vod(cas=False)
    films = [digital.film(resource, f"Film {n}", 2020) for n in range(3)]
    reader_rbx = digital.patron(home_library=roubaix)
    reader_lille = digital.patron(home_library=lille_b)
    april = dt.datetime(2027, 4, 12, 15, 0, tzinfo=PARIS)
    tokens_spend(patron=reader_rbx, title=films[0], actor=STAFF, now=april)
    tokens_spend(patron=reader_rbx, title=films[1], actor=STAFF, now=april)
    tokens_spend(patron=reader_lille, title=films[2], actor=STAFF, now=april)
    storytime = events.bookable(lille_a, capacity=10)
    may = dt.datetime(2027, 5, 3, 10, 0, tzinfo=PARIS)
    registration_create(event=storytime, patron=events.patron(roubaix), seats=2, actor=STAFF,
                        now=may)  # fmt: skip
    registration_create(event=storytime, patron=events.patron(roubaix), actor=STAFF, now=may)
    registration_create(event=storytime, patron=events.patron(lille_a), actor=STAFF, now=may)
    registration_create(event=storytime, guest_name="Invitée", guest_email="i@example.org",
                        actor=STAFF, now=may)  # fmt: skip
    return {"roubaix": roubaix, "lille_a": lille_a, "lille_b": lille_b}


def table(rows):
    return [(r.month, r.library.code if r.library else "", r.launches, r.tokens_halves,
             r.registrations, r.seats) for r in rows]  # fmt: skip


def test_usage_by_library_and_commune_month_by_month(usage):
    """April: launches by the patrons' libraries; May: registrations by the patrons'
    libraries (not the event's), the guest under no library; communes add their libraries
    up; a month outside the period is left out."""
    rows = usage_by_library(dt.date(2027, 4, 1), dt.date(2027, 5, 31))
    april, may = dt.date(2027, 4, 1), dt.date(2027, 5, 1)
    spent = rows[0].tokens_halves  # a film's price in half tokens, as the resource says
    assert spent > 0
    assert table(rows) == [
        (april, "lille-b", 1, spent, 0, 0),
        (april, "roubaix", 2, 2 * spent, 0, 0),
        (may, "lille-a", 0, 0, 1, 1),
        (may, "roubaix", 0, 0, 2, 3),
        (may, "", 0, 0, 1, 1),
    ]
    communes = [(r.month, r.commune, r.launches, r.registrations, r.seats)
                for r in usage_by_commune(rows)]  # fmt: skip
    assert communes == [
        (april, "Lille", 1, 0, 0), (april, "Roubaix", 2, 0, 0),
        (may, "Lille", 0, 1, 1), (may, "Roubaix", 0, 2, 3), (may, "", 0, 1, 1),
    ]  # fmt: skip
    assert table(usage_by_library(dt.date(2027, 5, 1), dt.date(2027, 5, 31)))[0][0] == may
    only_roubaix = usage_by_library(april, dt.date(2027, 5, 31), {usage["roubaix"].pk})
    assert {r.library.code for r in only_roubaix} == {"roubaix"}


def test_registrations_still_counted_after_anonymisation(usage):
    """The anonymisation erases who registered; the patron's library stays for the figures."""
    Registration.objects.update(patron=None, guest_name="", guest_email="")
    rows = usage_by_library(dt.date(2027, 5, 1), dt.date(2027, 5, 31))
    assert [(r.library.code if r.library else "", r.registrations) for r in rows] == [
        ("lille-a", 1), ("roubaix", 2), ("", 1),
    ]  # fmt: skip


def test_page_and_exports(usage, client):
    """A statistician reads the page and downloads each table as CSV and both as ODS, with the
    same figures."""
    user = User.objects.create_user("stats", password="x", role="statistician")
    client.force_login(user)
    period = {"de": "2027-04", "a": "2027-05"}
    page = client.get("/personnel/statistiques/usages/", period)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Roubaix" in html and "Médiathèque La Grand-Plage" in html
    assert "Sans bibliothèque (invités)" in html

    by_library = client.get("/personnel/statistiques/usages-bibliotheques.csv", period)
    lines = list(csv.reader(io.StringIO(by_library.content.decode()), delimiter=";"))
    assert lines[0][:3] == ["Mois", "Commune", "Bibliothèque"]
    roubaix_may = [line for line in lines if line[2] == "Médiathèque La Grand-Plage"][-1]
    assert roubaix_may[-2:] == ["2", "3"]
    communes = client.get("/personnel/statistiques/usages-communes.csv", period)
    assert "Lille" in communes.content.decode()
    assert client.get("/personnel/statistiques/usages-nulle-part.csv", period).status_code == 404

    ods = client.get("/personnel/statistiques/usages.ods", period)
    assert ods["Content-Type"] == "application/vnd.oasis.opendocument.spreadsheet"
    content = zipfile.ZipFile(io.BytesIO(ods.content)).read("content.xml").decode()
    assert "Par commune" in content and "Médiathèque La Grand-Plage" in content

    bad = client.get("/personnel/statistiques/usages/", {"de": "1200-01"})
    assert bad.status_code == 400
