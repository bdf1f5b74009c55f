"""The kiosk monitor in a real browser (Debian's chromium), checked by axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from navette.core.models import User
from tests.interfaces.sip2.conftest import build_world
from tests.interfaces.sip2.test_handlers import B, logged_in, talk
from tests.interfaces.sip2.test_monitor import at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_monitor_shows_a_silent_kiosk_without_serious_axe_violation(page, axe, clock_at):
    """A librarian reads, from the staff home's alert, the monitor of a kiosk that lent at
    13:00 and has been silent since: the page says so and axe finds nothing serious."""
    clock_at(at(13))
    world = build_world()
    stamp = at(13).strftime("%Y%m%d    %H%M%S")
    talk(logged_in(), f"11NN{stamp}{B}AOrelire|AA29000001|AB31000001|AC|")
    clock_at(at(14, 30))
    librarian = User.objects.create_user("bib-lens", password="pass-lens", role="librarian")
    librarian.libraries.add(world.lens)
    page.goto(f"{page.base_url}/personnel/")
    page.get_by_label("Identifiant").fill("bib-lens")
    page.get_by_label("Mot de passe").fill("pass-lens")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("1 automate silencieux depuis 30 minutes")
    with page.expect_navigation():
        alert.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Automates")
    row = page.get_by_role("row", name="Borne de prêt, Lens")
    expect(row).to_contain_text("silencieux pendant l'ouverture")
    assert axe(page) == []
