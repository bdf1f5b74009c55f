"""The circulation desk in a real browser (Debian's chromium): keyboard only, like a
barcode scanner (characters then Enter), and accessibility with axe-core."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from navette.circulation.models import Loan
from navette.circulation.services import hold_place
from navette.core.clock import PARIS
from navette.core.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=PARIS)


def _scan(page, code: str) -> None:
    """What a barcode scanner does: type the code into the focused field, then Enter
    (which submits the form: wait for the page that answers)."""
    page.keyboard.type(code)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_desk_lends_by_keyboard_and_return_says_navette(
    page, axe, clock_at, libs, make_patron, make_item, actor
):
    """A librarian logs in and, at Avion, lends two copies by scanning the card then each
    copy; on the return screen, scanning a copy that a Lens patron waits for says
    'navette vers Lens'. The lend and return pages have no serious axe violation."""
    clock_at(NOW)
    librarian = User.objects.create_user("bib-avion", password="pass-avion", role="librarian")
    librarian.libraries.add(libs["Avion"])
    patron = make_patron(home="Avion", first_name="Inès", last_name="Carpentier")
    first, second = make_item(owner="Harnes"), make_item(owner="Avion")

    page.goto(f"{page.base_url}/personnel/circulation/pret/?bibliotheque={libs['Avion'].code}")
    expect(page.get_by_label("Identifiant")).to_be_focused()
    page.keyboard.type("bib-avion")
    page.keyboard.press("Tab")
    _scan(page, "pass-avion")

    expect(page.get_by_role("heading", level=1)).to_have_text("Prêt — Avion")
    expect(page.get_by_label("Carte du lecteur")).to_be_focused()
    assert axe(page) == []
    _scan(page, patron.card_number)
    expect(page.get_by_role("heading", level=2)).to_contain_text("Inès Carpentier")

    for n, item in enumerate((first, second), start=1):
        expect(page.get_by_label("Code-barres de l'exemplaire")).to_be_focused()
        _scan(page, item.barcode)
        expect(page.locator(".messages")).to_contain_text(
            f"« {item.record.title} » prêté à Inès Carpentier, à rendre le 25/03/2025."
        )
        expect(
            page.get_by_role("heading", level=3, name=re.compile(rf"^{n} prêts? en cours$"))
        ).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(2)
    assert axe(page) == []
    assert set(Loan.objects.values_list("item__barcode", flat=True)) == {
        first.barcode,
        second.barcode,
    }

    waiting = make_patron(home="Lens")
    hold_place(
        patron=waiting, record=first.record, pickup_library=libs["Lens"], actor=actor, now=NOW
    )
    page.goto(f"{page.base_url}/personnel/circulation/retour/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Retour — Avion")
    expect(page.get_by_label("Code-barres de l'exemplaire rendu")).to_be_focused()
    _scan(page, first.barcode)
    row = page.locator("tbody tr").first
    expect(row).to_contain_text(first.barcode)
    expect(row).to_contain_text("navette vers Lens")
    assert axe(page) == []


def test_staff_home_navette_and_statistics_pages_pass_axe(
    page, axe, clock_at, libs, make_patron, make_item, actor
):
    """The librarian's day (staff home counts, the navette page with its pull list and
    tables) and the statistics page have no serious or critical axe violation, on a
    desktop and on a 360 px phone."""
    from navette.circulation.services import loan_checkout

    clock_at(NOW)
    librarian = User.objects.create_user("bib-lens", password="pass-lens", role="librarian")
    librarian.libraries.add(libs["Lens"])
    held = make_item(owner="Lens", call_number="R ZOL")
    hold_place(
        patron=make_patron(home="Avion"), record=held.record, pickup_library=libs["Avion"],
        actor=actor, now=NOW,
    )  # fmt: skip
    loan_checkout(item=make_item(), patron=make_patron(), library=libs["Lens"], actor=actor,
                  now=NOW - dt.timedelta(days=40))  # fmt: skip

    page.goto(f"{page.base_url}/personnel/")
    page.get_by_label("Identifiant").fill("bib-lens")
    page.get_by_label("Mot de passe").fill("pass-lens")
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{page.base_url}/personnel/")
        expect(page.get_by_role("heading", level=2)).to_contain_text("Aujourd'hui à")
        assert axe(page) == []
        page.get_by_role("link", name="Documents à sortir des rayons pour les réservations").click()
        expect(page.locator("#rayons + p + .table-scroll table")).to_contain_text("R ZOL")
        assert axe(page) == []
        page.goto(f"{page.base_url}/personnel/statistiques/?de=2025-01&a=2025-03")
        expect(page.get_by_role("heading", level=1)).to_have_text("Statistiques de circulation")
        assert axe(page) == []


def test_a_refusal_is_an_alert_with_a_sound_the_librarian_turned_on(
    page, axe, clock_at, libs, make_patron, make_item, actor
):
    """A librarian who turned the sound on in their preferences scans a copy already lent:
    the refusal shows as an alert (role=alert, red, its icon) and navette.js plays the short
    beep through the Web Audio API; a loan that succeeds is a status and plays nothing. The
    preferences page and the desk pass axe. On the phone the workspace's menu folds."""
    from navette.circulation.services import loan_checkout

    clock_at(NOW)
    librarian = User.objects.create_user("bib-lens", password="pass-lens", role="librarian")
    librarian.libraries.add(libs["Lens"])
    patron = make_patron(home="Lens", first_name="Jeanne", last_name="Martin")
    lent, free = make_item(owner="Lens"), make_item(owner="Lens")
    loan_checkout(item=lent, patron=make_patron(), library=libs["Lens"], actor=actor, now=NOW)

    page.goto(f"{page.base_url}/personnel/preferences/")
    page.get_by_label("Identifiant").fill("bib-lens")
    page.get_by_label("Mot de passe").fill("pass-lens")
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    page.get_by_label("Signal sonore à chaque refus").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("Préférences enregistrées.")
    assert axe(page) == []

    page.goto(f"{page.base_url}/personnel/circulation/pret/?carte={patron.card_number}")
    _scan(page, free.barcode)
    expect(page.get_by_role("status")).to_contain_text(
        f"« {free.record.title} » prêté à Jeanne Martin"
    )
    expect(page.locator("body")).not_to_have_attribute("data-alert-sounded", re.compile(".*"))
    page.get_by_label("Code-barres de l'exemplaire").focus()
    _scan(page, lent.barcode)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Document déjà en prêt")
    expect(alert.locator("svg.alert-icon")).to_be_attached()
    assert alert.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(253, 236, 234)"
    expect(page.locator("body")).to_have_attribute(
        "data-alert-sounded", re.compile("^(running|suspended)$")
    )
    assert axe(page) == []

    page.set_viewport_size({"width": 360, "height": 800})
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#staff-menu")).to_be_hidden()
    menu.click()
    expect(page.locator("#staff-menu").get_by_role("link", name="Navette")).to_be_visible()
