"""The catalogue in a real browser: from the home page to a record's copies, with axe-core."""

from __future__ import annotations

import pytest

from navette.search.index import rebuild_index

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_horizontal_scroll(page) -> bool:  # type: ignore[no-untyped-def]
    page.wait_for_timeout(50)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 361)
                 .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + e.getBoundingClientRect().right)"""
        )
        print("too wide:", wide)
    return overflow <= 0


def test_search_from_home_apply_two_facets_open_record(page, axe, catalogue):
    """Search 'guerre' from the home page, tick Lens and the 2000s, apply, open the record and
    see its copies by library; home, results and record pages have no serious or critical
    axe violation and fit 360 px."""
    rebuild_index()
    page.goto(page.base_url + "/")
    assert axe(page) == [], "home"
    page.fill("#home-q", "guerre")
    page.keyboard.press("Enter")
    page.wait_for_url("**/recherche/?q=guerre")
    assert page.locator("#result-count").inner_text().startswith("3 résultats")
    assert axe(page) == [], "results"
    page.check("input[type=checkbox][name=bib][value=lens]")
    page.check("input[name=decennie][value='2000']")
    page.locator("#facet-form button[type=submit]").first.press("Enter")
    page.wait_for_url("**decennie=2000**")
    assert page.locator("#result-count").inner_text().startswith("1 résultat")
    assert page.locator("input[type=checkbox][name=bib][value=lens]").is_checked()
    page.set_viewport_size({"width": 360, "height": 740})
    assert no_horizontal_scroll(page), "results at 360 px"
    page.click("text=Les journaux de guerre")
    page.wait_for_url("**/notice/**")
    copies = page.locator(".copies").inner_text()
    assert "Lens — Médiathèque Robert Cousin" in copies and "Vimy — " in copies
    assert "En transit" in copies and "Disponible" in copies
    assert no_horizontal_scroll(page), "record at 360 px"
    page.set_viewport_size({"width": 1280, "height": 900})
    assert axe(page) == [], "record"
