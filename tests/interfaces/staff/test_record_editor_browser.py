"""The record editor and copy cataloguing in a real browser (Debian's chromium): a UNIMARC
record from a template, a MARC21 record copied from a Z39.50 target (yaz-ztest), copies
added, both found in the portal's search at once; a validation error shown at its field;
an earlier version restored. axe finds nothing serious at 1280 and 360 px."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from navette.catalogue.models import Record, RemoteTarget
from navette.core.actions import AuditAction
from navette.core.clock import PARIS
from navette.core.models import AuditEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = dt.datetime(2026, 3, 3, 10, 0, tzinfo=PARIS)


def _login(page, who: str) -> None:
    page.goto(f"{page.base_url}/personnel/")
    page.get_by_label("Identifiant").fill(who)
    page.get_by_label("Mot de passe").fill("x")
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()


def _axe_both_widths(page, axe, what: str) -> None:
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        assert axe(page) == [], f"{what} at {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})


def _field(page, tag: str):
    return page.locator("fieldset.marc-field", has=page.locator("legend", has_text=f"{tag} —"))


def _press(page, locator) -> None:
    """Reach a button from the keyboard and press Enter (the page answers with a new page)."""
    locator.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _op(page, locator) -> None:
    """Press a form-changing button from the keyboard: htmx posts the form and swaps it in.
    Returns once the new editor has replaced the old one and settled, so that the next step
    does not act on (or focus) an element of the editor being replaced."""
    page.evaluate("document.getElementById('editor').dataset.stale = '1'")
    locator.focus()
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.keyboard.press("Enter")
    page.wait_for_function(
        "() => { const e = document.getElementById('editor');"
        " return e && !e.dataset.stale && !document.querySelector('.htmx-settling'); }"
    )


def _add_copy_and_find_in_portal(page, barcode: str, library, words: str, title: str):
    page.locator("#id_barcode").fill(barcode)
    page.locator("#id_owning_library").select_option(str(library.pk))
    page.locator("#id_call_number").fill("R TST")
    with page.expect_navigation():
        page.get_by_role("button", name="Ajouter l'exemplaire").click()
    expect(page.locator(".messages")).to_contain_text(f"Exemplaire {barcode} ajouté.")
    page.goto(f"{page.base_url}/recherche/?q={words}")
    expect(page.get_by_role("link", name=title).first).to_be_visible(timeout=1000)


def test_unimarc_record_from_template_with_error_at_field_then_copy_and_portal(
    page, axe, clock_at, libs, staff_user, index_dir
):
    """A librarian creates a UNIMARC book from the template by keyboard; a subfield that
    200 does not have is refused, the error shown at that subfield and in the summary;
    once removed the record is saved (audited), a copy added, and the portal finds it."""
    clock_at(NOW)
    user = staff_user("avion")
    _login(page, "bib-avion")
    page.goto(f"{page.base_url}/personnel/catalogue/notices/nouvelle/")
    _axe_both_widths(page, axe, "template choice")
    page.get_by_label("Format").select_option("unimarc")
    page.get_by_label("Type de document").select_option("book")
    with page.expect_navigation():
        page.get_by_role("button", name="Ouvrir le modèle").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle notice UNIMARC")
    _axe_both_widths(page, axe, "editor")

    title = _field(page, "200")
    title.locator("input[id$='-s0-v']").fill("Le Goéland des dunes")
    title.locator("input[id$='-s2-v']").fill("Anne Marin")
    _field(page, "010").locator("input[id$='-s0-v']").fill("978-2-07-061275-8")
    _op(page, title.get_by_role("button", name="Ajouter un sous-champ à 200"))
    # the new subfield's code has the focus: type it, Tab to its text
    expect(page.locator("#f5-s3-c")).to_be_focused()
    page.keyboard.type("w")
    page.keyboard.press("Tab")
    page.keyboard.type("texte en trop")
    _press(page, page.get_by_role("button", name="Enregistrer la notice"))

    error = page.locator("#f5-s3-error")
    expect(error).to_have_text("Le sous-champ $w n'existe pas dans cette zone.")
    expect(page.locator("#f5-s3-v")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#summary")).to_be_focused()
    expect(page.locator("#summary")).to_contain_text("1 erreur à corriger")
    assert not Record.objects.exists()
    _axe_both_widths(page, axe, "editor with an error")

    _op(page, page.get_by_role("button", name="Supprimer $w de 200"))
    _press(page, page.get_by_role("button", name="Enregistrer la notice"))
    expect(page.locator(".messages")).to_contain_text("Notice « Le Goéland des dunes » créée.")
    record = Record.objects.get()
    assert (record.flavour, record.doc_type, record.isbns) == ("unimarc", "book", ["9782070612758"])
    assert AuditEvent.objects.filter(action=AuditAction.RECORD_CREATE, actor_id=user.pk).exists()
    _add_copy_and_find_in_portal(page, "31000000000042", libs["Avion"],
                                 "goéland dunes", "Le Goéland des dunes")  # fmt: skip


def test_marc21_record_copied_from_z3950_then_restored(
    page, axe, clock_at, libs, staff_user, index_dir, ztest_server
):
    """From yaz-ztest, a MARC21 record is found by title and opened in the editor; its two
    indicators the MARC21 rules refuse are shown at their fields and corrected from the
    keyboard; saved, given a copy, found in the portal; then its title is changed and the
    first version restored from the history page."""
    clock_at(NOW)
    RemoteTarget.objects.create(name="Test Z39.50", protocol="z3950", address=ztest_server,
                                database="Default", record_syntax="marc21")  # fmt: skip
    staff_user("lens")
    _login(page, "bib-lens")
    page.goto(f"{page.base_url}/personnel/catalogue/copie/")
    page.get_by_label("Chercher par").select_option("title")
    page.get_by_label("Recherche").fill("computer")
    with page.expect_navigation():
        page.get_by_label("Recherche").press("Enter")
    expect(page.get_by_role("heading", level=3).first).to_have_text("1. How to program a computer")
    _axe_both_widths(page, axe, "copy search results")
    _press(page, page.get_by_role("button", name="Ouvrir la notice 1 dans l'éditeur"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle notice MARC21")
    _press(page, page.get_by_role("button", name="Enregistrer la notice"))

    expect(page.locator("#summary")).to_contain_text("2 erreurs à corriger")
    author_ind2 = _field(page, "100").get_by_label("Indicateur 2")
    imprint_ind1 = _field(page, "260").get_by_label("Indicateur 1", exact=False)
    expect(author_ind2).to_have_attribute("aria-invalid", "true")
    expect(_field(page, "100").locator(".error")).to_have_text(
        "Second indicateur « 0 » non permis."
    )
    author_ind2.focus()
    author_ind2.select_option(" ")
    imprint_ind1.select_option(" ")
    _press(page, page.get_by_role("button", name="Enregistrer la notice"))
    expect(page.locator(".messages")).to_contain_text("Notice « How to program a computer » créée.")
    record = Record.objects.get()
    assert (record.flavour, record.control_source) == ("marc21", "DLC")
    assert record.versions.get().source == "Test Z39.50"
    _add_copy_and_find_in_portal(page, "31000000000043", libs["Lens"],
                                 "program computer", "How to program a computer")  # fmt: skip

    page.goto(f"{page.base_url}/personnel/catalogue/notices/{record.pk}/modifier/")
    _field(page, "245").locator("input[id$='-s0-v']").fill("How to program a robot")
    _press(page, page.get_by_role("button", name="Enregistrer la notice"))
    expect(page.locator(".messages")).to_contain_text("Notice enregistrée (version 2).")
    page.get_by_role("link", name="Historique des versions").click()
    expect(page.locator("tbody tr")).to_have_count(2)
    _axe_both_widths(page, axe, "history")
    _press(page, page.get_by_role("button", name="Restaurer la version 1"))
    expect(page.locator(".messages")).to_contain_text("Version 1 restaurée (nouvelle version 3).")
    record.refresh_from_db()
    assert record.title == "How to program a computer"
    assert record.items.count() == 1
