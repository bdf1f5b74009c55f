"""Desk pages over HTTP: scan a card and copies, return screen instructions, navette receipt."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.circulation.models import Loan
from navette.circulation.services import hold_place
from navette.core.clock import PARIS
from navette.core.models import User

NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=PARIS)
pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, libs, clock_at):
    clock_at(NOW)
    user = User.objects.create_user("bib", password="x", role="librarian")
    user.libraries.add(libs["Avion"], libs["Lens"])
    client.force_login(user)
    return client


def test_lend_then_return_says_navette_vers_lens(desk, libs, make_patron, make_item, actor):
    """Scanning a card then a copy lends it; returning it at Avion says 'navette vers Lens' for a hold."""
    patron, item = make_patron(), make_item(owner="Harnes")
    page = desk.get(
        "/personnel/circulation/pret/",
        {"carte": patron.card_number, "bibliotheque": libs["Avion"].code},
    )
    assert b"autofocus" in page.content and patron.full_name.encode() in page.content
    resp = desk.post(
        "/personnel/circulation/pret/",
        {"carte": patron.card_number, "exemplaire": item.barcode},
        follow=True,
    )
    assert "prêté, à rendre le 25/03/2025" in resp.content.decode()
    assert Loan.objects.get().library == libs["Avion"]
    again = desk.post(
        "/personnel/circulation/pret/",
        {"carte": make_patron().card_number, "exemplaire": item.barcode},
        follow=True,
    )
    assert "Document déjà en prêt" in again.content.decode()
    hold_place(
        patron=make_patron(), record=item.record, pickup_library=libs["Lens"], actor=actor, now=NOW
    )
    resp = desk.post("/personnel/circulation/retour/", {"exemplaire": item.barcode}, follow=True)
    assert "navette vers Lens" in resp.content.decode()
    resp = desk.get("/personnel/circulation/navette/")
    assert item.barcode in resp.content.decode()
    resp = desk.post(
        "/personnel/circulation/navette/",
        {"exemplaire": item.barcode, "bibliotheque": libs["Lens"].code},
        follow=True,
    )
    assert "étagère des réservations" in resp.content.decode()


def test_desk_needs_a_librarian(client, libs):
    assert client.get("/personnel/circulation/retour/").status_code == 302
    User.objects.create_user("stat", password="x", role="statistician")
    client.login(username="stat", password="x")
    assert client.get("/personnel/circulation/retour/").status_code == 403
