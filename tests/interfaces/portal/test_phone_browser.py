"""The portal on a phone: a compact header with a menu button, filters reached from the top."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from navette.search.index import rebuild_index

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_phone_header_folds_the_menu_and_results_lead_to_the_filters(page, axe, catalogue):
    """At 360 px the header (name, language, menu button) takes at most a fifth of an 800 px
    screen, the menu opens and closes from its button, and a 'Filtrer' link at the top of the
    results leads to the filters; at 1280 px the menu is open with no button."""
    rebuild_index()
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(page.base_url + "/recherche/?q=guerre")
    header = page.locator(".site-header").bounding_box()
    assert header and header["height"] <= 800 / 5, header
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("link", name="Bibliothèques", exact=True)).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="Bibliothèques", exact=True)).to_be_visible()
    menu.click()
    expect(page.get_by_role("link", name="Bibliothèques", exact=True)).to_be_hidden()
    filters = page.get_by_role("link", name="Filtrer les résultats")
    assert filters.bounding_box()["y"] < 800, "the filter link is on the first screen"
    filters.click()
    page.wait_for_url("**#facets-title")
    assert page.locator("#facets-title").bounding_box()["y"] < 200
    assert axe(page) == []
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(menu).to_be_hidden()
    expect(page.get_by_role("link", name="Bibliothèques", exact=True)).to_be_visible()
    expect(filters).to_be_hidden()
