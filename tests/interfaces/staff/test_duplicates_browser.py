"""The duplicates review in a real browser: the list and the side-by-side comparison pass
axe on a desktop and a 360 px phone, and a cataloguer merges a pair in one click."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from navette.catalogue.duplicates import keys_refresh
from navette.catalogue.models import Item, Record
from navette.core.models import Role, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cataloguer_reviews_and_merges_a_pair(page, axe, libs, make_record, make_item):
    """Two records of "Le Horla" (a copy at Lens, one at Avion) are listed as one pair once
    the list is computed (the button; otherwise the scheduled job); the
    comparison shows both with their copies; keeping the first moves the second's copy to
    it and the list has nothing left to review."""
    cataloguer = User.objects.create_user("cat", password="pass-cat", role=Role.CATALOGUER)
    cataloguer.libraries.add(libs["Lens"], libs["Avion"])
    kept, dup = make_record("Le Horla"), make_record("Horla (Le)")
    make_item("Lens", record=kept)
    moved = make_item("Avion", record=dup).barcode
    keys_refresh([kept.pk, dup.pk])

    page.goto(f"{page.base_url}/personnel/catalogue/doublons/")
    page.get_by_label("Identifiant").fill("cat")
    page.get_by_label("Mot de passe").fill("pass-cat")
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    # the list is what the last scan found: none yet, the cataloguer computes it now
    expect(page.locator("#pairs-count")).to_have_text("Aucune paire de notices à examiner.")
    with page.expect_navigation():
        page.get_by_role("button", name="Recalculer la liste maintenant").click()
    expect(page.locator(".messages")).to_contain_text(
        "Liste des doublons recalculée : 1 paire de notices."
    )
    compare = f"Comparer les notices {kept.pk} et {dup.pk}"
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{page.base_url}/personnel/catalogue/doublons/")
        expect(page.locator("#pairs-count")).to_have_text("1 paire de notices à examiner")
        assert axe(page) == []
        page.get_by_role("link", name=compare).click()
        expect(page.get_by_role("heading", level=2, name=f"Notice {dup.pk}")).to_be_visible()
        expect(page.locator(f"section[aria-labelledby='notice-{dup.pk}']")).to_contain_text(moved)
        assert axe(page) == []
    with page.expect_navigation():
        page.get_by_role(
            "button", name=f"Garder la notice {kept.pk} et y fusionner l'autre"
        ).click()
    expect(page.locator(".messages")).to_contain_text("1 exemplaire déplacé")
    expect(page.locator("#pairs-count")).to_have_text("Aucune paire de notices à examiner.")
    assert list(Record.objects.values_list("pk", flat=True)) == [kept.pk]
    assert Item.objects.get(barcode=moved).record_id == kept.pk


def test_librarians_do_not_reach_the_duplicates(client, libs):
    """The review is for cataloguers and network administrators: a librarian gets 403."""
    librarian = User.objects.create_user("bib", password="x", role=Role.LIBRARIAN)
    client.force_login(librarian)
    assert client.get("/personnel/catalogue/doublons/").status_code == 403
    assert client.post("/personnel/catalogue/doublons/recalculer/").status_code == 403
