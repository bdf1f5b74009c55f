"""The account pages in a real browser (Debian's chromium): the patron's journey,
accessibility (axe-core) and a 360 px wide screen."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from navette.core import clock
from tests.catalogue.factories import make_item
from tests.circulation.factories import make_loan
from tests.network.factories import make_library
from tests.patrons.factories import STAFF, make_patron

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def journey(clock_at):
    """A patron of Lens with one loan; a title already reserved by someone else."""
    now = clock_at(dt.datetime(2026, 3, 10, 10, 0, tzinfo=clock.PARIS))
    lens = make_library(code="lens", name="Médiathèque Robert-Cousin de Lens")
    make_library(code="lievin", name="Médiathèque de Liévin", commune="Liévin")
    patron = make_patron(library=lens, card="29001234", pin="4821", first_name="Lucie",
                         last_name="Bernard", now=now)  # fmt: skip
    make_loan(item=make_item(library=lens, title="Germinal"), patron=patron, library=lens, now=now)
    wanted = make_item(library=lens, title="La Terre")
    other = make_patron(library=lens, now=now)
    make_loan(item=wanted, patron=other, library=lens, now=now)
    from navette.circulation.services import hold_place

    first = make_patron(library=lens, now=now)
    hold_place(patron=first, record=wanted.record, pickup_library=lens, actor=STAFF, now=now)
    return {"patron": patron, "record": wanted.record}


def _login(page, card="29001234", pin="4821"):
    page.goto(page.base_url + "/compte/")
    expect(page).to_have_url(re.compile(r"/compte/connexion/"))
    page.get_by_label("Numéro de carte").fill(card)
    page.get_by_label("Code PIN ou mot de passe").fill(pin)
    page.get_by_role("button", name="Se connecter").click()


def test_patron_journey(page, journey, axe):
    """Log in, renew a loan, reserve a title for pickup at another library, see the
    position in the queue, cancel, log out; no serious axe violation on the way."""
    _login(page, pin="0000")
    expect(page.get_by_role("alert")).to_contain_text("Numéro de carte ou code incorrect.")
    page.get_by_label("Code PIN ou mot de passe").fill("4821")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mon compte — Lucie Bernard")
    assert axe(page) == []

    page.get_by_role("button", name="Prolonger « Germinal »").click()
    expect(page.locator(".messages")).to_contain_text("« Germinal » est prolongé jusqu'au")
    expect(page.locator("#liste-prets")).to_contain_text("prolongé 1 fois")

    page.goto(page.base_url + f"/compte/reserver/{journey['record'].pk}/")
    page.get_by_label("Bibliothèque de retrait").select_option(
        label="Liévin — Médiathèque de Liévin"
    )
    assert axe(page) == []
    page.get_by_role("button", name="Confirmer la réservation").click()
    expect(page.locator(".messages")).to_contain_text("à retirer à Médiathèque de Liévin")
    hold = page.locator("#liste-reservations li").filter(has_text="La Terre")
    expect(hold).to_contain_text("position dans la file : 2 sur 2")
    expect(hold).to_contain_text("Retrait à Médiathèque de Liévin")
    assert axe(page) == []

    hold.get_by_role("button", name="Annuler la réservation de « La Terre »").click()
    expect(page.locator(".messages")).to_contain_text("Réservation de « La Terre » annulée.")
    expect(page.locator("#reservations")).to_contain_text("0 réservation")

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.locator(".messages")).to_contain_text("Vous êtes déconnecté.")
    page.goto(page.base_url + "/compte/")
    expect(page).to_have_url(re.compile(r"/compte/connexion/\?next=%2Fcompte%2F"))


def test_account_pages_fit_360px_and_pass_axe(browser, live_server, journey, axe):
    """At 360 px wide no account page scrolls sideways, and axe finds nothing serious."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.base_url = live_server.url
    try:
        _login(page)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Mon compte")
        for path in ["/compte/", "/compte/coordonnees/", "/compte/code/", "/compte/mes-donnees/",
                     f"/compte/reserver/{journey['record'].pk}/"]:  # fmt: skip
            page.goto(page.base_url + path)
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
            assert axe(page) == [], path
        page.goto(page.base_url + "/compte/connexion/")
        assert axe(page) == []
    finally:
        context.close()
