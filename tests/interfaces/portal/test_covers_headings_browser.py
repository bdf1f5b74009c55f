"""Covers and headings in a real browser (Debian's chromium): the results and record pages
show a cover with its text alternative or a decorative placeholder, the record's subject
link leads through its heading to the search on it; the staff headings page and change
page. axe finds nothing serious at 1280 and 360 px."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from navette.catalogue import covers
from navette.catalogue.models import Record
from navette.core.actors import Actor
from navette.core.models import Role, User
from navette.search.index import rebuild_index
from tests.catalogue.test_covers import png_with_metadata
from tests.catalogue.test_headings import _import, unimarc_book

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def _axe_both_widths(page, axe, what: str) -> None:
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        assert axe(page) == [], f"{what} at {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_covers_on_results_and_record_and_subject_link_through_heading(
    page, axe, settings, tmp_path
):
    """Results: a thumbnail with "Couverture de « Livre 1 »" and placeholders hidden from
    assistive technology; the record page's medium cover is loaded; the subject link opens
    the search on that subject."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.NAVETTE_SEARCH_INDEX_DIR = tmp_path / "index"
    settings.NAVETTE_SEARCH_UPDATES = "inline"
    _import([unimarc_book(n) for n in range(1, 4)])
    user = User.objects.create_user("cat", password="x", role=Role.CATALOGUER)
    record = Record.objects.get(title="Livre 1")
    covers.cover_set(record=record, data=png_with_metadata(), actor=Actor.staff(user), now=NOW)
    rebuild_index()
    page.goto(f"{page.base_url}/recherche/?q=livre")
    thumb = page.get_by_role("img", name="Couverture de « Livre 1 »")
    expect(thumb).to_be_visible()
    # visible as soon as its box is laid out (width and height are given): wait for the file
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0",
                           arg=thumb.element_handle())  # fmt: skip
    assert page.evaluate("(img) => img.naturalWidth", thumb.element_handle()) == 120
    assert page.locator(".cover-placeholder[aria-hidden=true]").count() == 2
    _axe_both_widths(page, axe, "results")
    page.get_by_role("link", name="Livre 1", exact=True).click()
    page.wait_for_url("**/notice/**")
    medium = page.get_by_role("img", name="Couverture de « Livre 1 »")
    expect(medium).to_be_visible()
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0",
                           arg=medium.element_handle())  # fmt: skip
    # a 300 x 450 image is not enlarged to the medium box (400 x 600)
    assert (
        page.evaluate("(img) => img.complete && img.naturalWidth", medium.element_handle()) == 300
    )
    _axe_both_widths(page, axe, "record with cover")
    page.get_by_role("link", name="Oiseaux -- Mythologie").click()
    page.wait_for_url("**/recherche/?sujet=**")
    expect(page.locator("#result-count")).to_contain_text("3 résultats")
    page.goto(f"{page.base_url}/notice/{Record.objects.get(title='Livre 2').pk}/")
    assert page.get_by_role("img").count() == 0  # the placeholder says nothing
    _axe_both_widths(page, axe, "record without cover")


def test_staff_headings_pages(page, axe):
    """The headings list and a change page pass axe at both widths; the change is made from
    the keyboard and announced."""
    _import([unimarc_book(n) for n in range(1, 4)])
    User.objects.create_user("cat", password="x", role=Role.CATALOGUER)
    page.goto(f"{page.base_url}/personnel/")
    page.get_by_label("Identifiant").fill("cat")
    page.get_by_label("Mot de passe").fill("x")
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{page.base_url}/personnel/catalogue/vedettes/?nature=subject")
    _axe_both_widths(page, axe, "headings")
    with page.expect_navigation():
        page.get_by_role("link", name="Changer « Oiseaux -- Mythologie »").click()
    _axe_both_widths(page, axe, "heading change")
    page.get_by_label("Nouvelle forme").fill("Oiseaux -- Contes")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("body")).to_contain_text(
        "« Oiseaux -- Mythologie » devient « Oiseaux -- Contes » dans 3 notices."
    )
    _axe_both_widths(page, axe, "headings after change")
