"""The statistics pages in a real browser (Debian's chromium): the charts are drawn, each
an image with a title followed by its table, and axe finds nothing serious, on a desktop
and on a 360 px phone; the annual report page too."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from navette.circulation.services import loan_checkout
from navette.core.clock import PARIS
from navette.core.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=PARIS)


def test_statistics_charts_and_annual_report_pass_axe(
    page, axe, clock_at, libs, make_patron, make_item, actor
):
    clock_at(NOW)
    User.objects.create_user("stat", password="pass-stat", role="statistician")
    for days, doc_type in ((0, "book"), (1, "video"), (400, "book")):
        loan_checkout(item=make_item(doc_type=doc_type), patron=make_patron(),
                      library=libs["Lens"], actor=actor, now=NOW - dt.timedelta(days=days))  # fmt: skip
    page.goto(f"{page.base_url}/personnel/")
    page.get_by_label("Identifiant").fill("stat")
    page.get_by_label("Mot de passe").fill("pass-stat")
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{page.base_url}/personnel/statistiques/?de=2025-01&a=2025-03")
        months = page.get_by_role("img", name="Prêts par mois, comparés à un an plus tôt")
        expect(months).to_be_visible()
        expect(page.locator("#graphique-mois-title + desc + line")).to_have_count(1)
        expect(page.get_by_role("img", name="Emprunteurs actifs cumulés par mois")).to_be_visible()
        expect(page.get_by_role("img", name="Part de chaque type de document dans les prêts")
               ).to_be_visible()  # fmt: skip
        assert page.locator("#graphique-mois-title").evaluate("e => e.closest('svg')") is not None
        assert axe(page) == []
        page.screenshot(path=f"/tmp/stats23-charts-{width}.png", full_page=True)
        page.goto(f"{page.base_url}/personnel/statistiques/rapport-annuel/?annee=2024")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Rapport annuel 2024")
        expect(page.get_by_role("link", name="E4")).to_have_attribute("href", "#calcul-E4")
        assert axe(page) == []
