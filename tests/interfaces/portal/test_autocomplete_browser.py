"""Autocomplete in a real browser: the ARIA 1.2 combobox of the search boxes, used from the
keyboard, checked with axe at 1280, 360 and 320 px; the portal's boxes and the staff's."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from navette.search.index import rebuild_index

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _type(page, selector: str, text: str):  # type: ignore[no-untyped-def]
    box = page.locator(selector)
    box.click()
    box.press_sequentially(text, delay=30)
    listbox = page.locator("#" + box.get_attribute("aria-controls"))
    expect(listbox.get_by_role("option").first).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    return box, listbox


def test_home_box_suggests_and_opens_a_title_from_the_keyboard(page, axe, catalogue):
    """On the home page, 'mysté' lists L'Étoile mystérieuse; 'tolst' lists Léon Tolstoï. Down selects the first
    option (aria-activedescendant, aria-selected), Escape closes the list, Down opens it again,
    Enter opens the record. axe finds nothing serious with the list open, at any width."""
    cache.clear()
    rebuild_index()
    page.goto(page.base_url + "/")
    box, listbox = _type(page, "#home-q", "tolst")
    assert box.get_attribute("role") == "combobox"
    assert box.get_attribute("aria-autocomplete") == "list"
    options = listbox.get_by_role("option")
    expect(options).to_have_text(["Auteur : Léon Tolstoï"])
    box.fill("")
    box, listbox = _type(page, "#home-q", "mysté")
    expect(options.first).to_have_text("Titre : L'Étoile mystérieuse")
    for width in (1280, 360, 320):
        page.set_viewport_size({"width": width, "height": 800})
        assert axe(page) == [], f"home with suggestions at {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})
    box.press("ArrowDown")
    first = options.first
    expect(first).to_have_attribute("aria-selected", "true")
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    box.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(listbox).to_be_hidden()
    assert box.input_value() == "mysté"
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press("ArrowDown")
    expect(first).to_have_attribute("aria-selected", "true")
    with page.expect_navigation():
        box.press("Enter")
    assert f"/notice/{catalogue['etoile'].pk}/" in page.url


def test_results_box_searches_a_chosen_author_and_works_without_choosing(page, axe, catalogue):
    """On the results page, choosing the author 'Victor Hugo' with the arrows searches
    auteur:"Victor Hugo"; typing and pressing Enter without choosing searches what was typed
    (the plain form)."""
    cache.clear()
    rebuild_index()
    page.goto(page.base_url + "/recherche/?q=guerre")
    page.locator("#q").fill("")
    box, listbox = _type(page, "#q", "victor hu")
    author = listbox.get_by_role("option").filter(has_text="Auteur : Victor Hugo")
    expect(author).to_have_count(1)
    for _ in range(10):
        box.press("ArrowDown")
        if author.get_attribute("aria-selected") == "true":
            break
    with page.expect_navigation():
        box.press("Enter")
    expect(page.locator("#q")).to_have_value('auteur:"Victor Hugo"')
    expect(page.locator("#result-count")).to_contain_text("1 résultat")
    assert axe(page) == [], "results for an author"
    page.locator("#q").fill("miserabels")
    with page.expect_navigation():
        page.locator("#q").press("Enter")
    link = page.locator(".did-you-mean a")
    expect(link).to_have_text("miserables")
    with page.expect_navigation():
        link.click()
    expect(page.locator(".results")).to_contain_text("Les Misérables")


def test_staff_catalogue_box_opens_the_staff_record(page, axe, catalogue, staff_user):
    """The staff catalogue search box has the same combobox; a title opens the staff record
    page, not the portal's."""
    cache.clear()
    rebuild_index()
    staff_user("lens")
    page.goto(f"{page.base_url}/personnel/")
    page.get_by_label("Identifiant").fill("bib-lens")
    page.get_by_label("Mot de passe").fill("x")
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{page.base_url}/personnel/catalogue/")
    box, listbox = _type(page, "#q", "mysté")
    assert axe(page) == [], "staff catalogue with suggestions"
    box.press("ArrowDown")
    with page.expect_navigation():
        box.press("Enter")
    assert page.url.endswith(f"/personnel/catalogue/notices/{catalogue['etoile'].pk}/")
