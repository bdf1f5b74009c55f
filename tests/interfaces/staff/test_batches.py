"""Batch change pages: a file of barcodes uploaded, the preview (changes, refusals with their
reason, unknown barcodes with their line), the batch applied then undone; in a real browser
with axe (nothing serious, no sideways scroll at 320 and 360 px)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from navette.catalogue.models import Batch, Item, ItemStatus
from navette.circulation.services.loans import loan_checkout
from navette.core.actors import Actor
from navette.core.clock import PARIS
from navette.core.models import AuditEvent
from tests.catalogue.factories import make_item, make_record

NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=PARIS)


def _copies(libs, make_patron):
    lens = libs["Lens"]
    record = make_record(title="Usé jusqu'à la corde")
    items = [make_item(library=lens, record=record, barcode=f"W{i:03d}") for i in range(12)]
    loan_checkout(item=items[3], patron=make_patron(home="Lens"), library=lens,
                  actor=Actor.system("t"), now=NOW)  # fmt: skip
    make_item(library=libs["Harnes"], barcode="H001")
    lines = [it.barcode for it in items] + ["H001", "", "ZZZ-INCONNU"]
    return items, "\n".join(lines) + "\n"


@pytest.mark.django_db
def test_preview_apply_and_undo_over_http(client, libs, make_patron, staff_user, clock_at):
    """The Lens librarian uploads the file: the preview lists the copy on loan and the
    Harnes copy as refused with their reason and the unknown barcode with its line;
    nothing changes until the batch is applied; the batch page then offers the undo."""
    clock_at(NOW)
    items, text = _copies(libs, make_patron)
    client.force_login(staff_user("lens"))
    form = {"by": "barcodes", "action": "withdraw",
            "file": SimpleUploadedFile("retrait.txt", text.encode(), "text/plain")}  # fmt: skip
    page = client.post("/personnel/catalogue/lots/apercu/", form)
    assert page.status_code == 200
    body = page.content.decode()
    assert "11 exemplaires seront modifiés." in body
    assert "<strong>W003</strong> : Exemplaire en prêt." in body
    assert "Exemplaire d&#x27;une autre bibliothèque (Harnes" in body
    assert "ligne 15 : ZZZ-INCONNU" in body
    assert not Item.objects.filter(status=ItemStatus.WITHDRAWN).exists()

    hidden = dict(page.context["hidden"])
    applied = client.post("/personnel/catalogue/lots/appliquer/", hidden)
    batch = Batch.objects.get()
    assert applied.status_code == 302 and applied["Location"].endswith(f"/lots/{batch.pk}/")
    assert Item.objects.filter(status=ItemStatus.WITHDRAWN).count() == 11
    detail = client.get(applied["Location"])
    assert "Lot appliqué : 11 modifiés. 2 refusés." in detail.content.decode()
    undone = client.post(f"/personnel/catalogue/lots/{batch.pk}/annuler/", follow=True)
    assert "Lot annulé : 11 rétablis comme avant." in undone.content.decode()
    assert not Item.objects.filter(status=ItemStatus.WITHDRAWN).exists()
    assert AuditEvent.objects.filter(action__in=["batch.apply", "batch.undo"]).count() == 2


@pytest.mark.django_db
def test_bad_input_says_what_and_where(client, libs, staff_user):
    """A file that is not UTF-8 text, a missing new status, a reversed shelf range: each
    refused at its field, nothing applied."""
    client.force_login(staff_user("lens"))
    bad = client.post("/personnel/catalogue/lots/apercu/", {
        "by": "barcodes", "action": "status",
        "file": SimpleUploadedFile("x.txt", b"\xff\xfe\x00\x81", "text/plain"),
    })  # fmt: skip
    assert bad.status_code == 400
    assert bad.context["form"].errors["file"] == ["Le fichier doit être un texte en UTF-8."]
    assert bad.context["form"].errors["status"] == ["Choisissez le nouveau statut."]
    reversed_range = client.post("/personnel/catalogue/lots/apercu/", {
        "by": "range", "range_library": libs["Lens"].pk, "range_first": "900",
        "range_last": "100", "action": "withdraw",
    })  # fmt: skip
    assert reversed_range.status_code == 400
    assert "La cote de début (900) vient après la cote de fin (100)." in (
        reversed_range.content.decode()
    )
    assert not Batch.objects.exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_batch_pages_in_a_browser(page, axe, libs, make_patron, staff_user, clock_at, tmp_path):
    """A librarian uploads a file of barcodes, reads the preview, applies and undoes the
    batch; axe finds nothing serious on each page at 1280 px and at phone widths."""
    clock_at(NOW)
    items, text = _copies(libs, make_patron)
    staff_user("lens")
    path = tmp_path / "retrait.txt"
    path.write_text(text, encoding="utf-8")
    page.goto(f"{page.base_url}/personnel/")
    page.get_by_label("Identifiant").fill("bib-lens")
    page.get_by_label("Mot de passe").fill("x")
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{page.base_url}/personnel/catalogue/lots/")
    assert axe(page) == []
    page.get_by_label("ou un fichier texte, un code-barres par ligne").set_input_files(str(path))
    page.locator("#id_action").select_option("withdraw")
    with page.expect_navigation():
        page.get_by_role("button", name="Prévisualiser").click()
    expect(page.locator("#batch-summary")).to_contain_text("11 exemplaires seront modifiés.")
    expect(page.locator(".batch-refused")).to_contain_text("W003 : Exemplaire en prêt.")
    expect(page.locator(".batch-unknown")).to_contain_text("ligne 15 : ZZZ-INCONNU")
    assert axe(page) == []
    with page.expect_navigation():
        page.get_by_role("button", name="Appliquer le lot").click()
    expect(page.locator(".messages")).to_contain_text("Lot appliqué : 11 modifiés. 2 refusés.")
    assert axe(page) == []
    with page.expect_navigation():
        page.get_by_role("button", name="Annuler ce lot").click()
    expect(page.locator("#batch-undone")).to_be_visible()
    assert not Item.objects.filter(status=ItemStatus.WITHDRAWN).exists()
    # the locations page too
    page.goto(f"{page.base_url}/personnel/catalogue/emplacements/")
    page.locator("#id_code").fill("jeunesse")
    page.locator("#id_name").fill("Espace jeunesse")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer l'emplacement").click()
    expect(page.locator(".messages")).to_contain_text("Emplacement « Espace jeunesse » enregistré.")
    assert axe(page) == []


@pytest.mark.django_db
def test_saved_search_then_batch_by_it(client, libs, staff_user, clock_at):
    """A search saved on the batch page selects its copies for a batch."""
    clock_at(NOW)
    make_item(library=libs["Lens"], title="Vieux guide", barcode="G1")
    make_item(library=libs["Lens"], title="Roman", barcode="R1")
    client.force_login(staff_user("lens"))
    saved = client.post("/personnel/catalogue/lots/recherches/",
                        {"name": "Guides", "library": libs["Lens"].pk, "title": "guide"},
                        follow=True)  # fmt: skip
    assert "Recherche « Guides » enregistrée." in saved.content.decode()
    search = saved.context["form"].fields["saved_search"].queryset.get(name="Guides")
    page = client.post("/personnel/catalogue/lots/apercu/",
                       {"by": "search", "saved_search": search.pk, "action": "status",
                        "status": "in_repair"})  # fmt: skip
    assert "1 exemplaire sera modifié." in page.content.decode()
    assert [p.barcode for p in page.context["preview"].planned] == ["G1"]


@pytest.mark.django_db
def test_locations_page_lists_and_saves_for_own_libraries(client, libs, staff_user):
    """The page lists the librarian's libraries only; a location saved appears in it; a
    library that is not hers is not offered (refused as a choice)."""
    client.force_login(staff_user("lens"))
    done = client.post("/personnel/catalogue/emplacements/",
                       {"library": libs["Lens"].pk, "code": "jeunesse", "name": "Jeunesse",
                        "call_number_prefix": "J", "is_active": "on"}, follow=True)  # fmt: skip
    body = done.content.decode()
    assert "Emplacement « Jeunesse » enregistré." in body and "Harnes" not in body
    refused = client.post("/personnel/catalogue/emplacements/",
                          {"library": libs["Harnes"].pk, "code": "x", "name": "X"})  # fmt: skip
    assert refused.status_code == 400
    assert "library" in refused.context["form"].errors


@pytest.mark.django_db
def test_copy_page_lists_the_batches_that_changed_it(client, libs, staff_user):
    """A copy's edit page links to each batch that changed it."""
    from navette.catalogue import batches
    from navette.catalogue.models import BatchAction

    item = make_item(library=libs["Lens"], barcode="K1")
    user = staff_user("lens")
    batch = batches.batch_apply(selection=batches.select_by_barcodes("K1"),
                                change=batches.Change(action=BatchAction.CALL_NUMBER,
                                                      call_number="R KAF"),
                                actor=Actor.staff(user), now=NOW)  # fmt: skip
    client.force_login(user)
    page = client.get(f"/personnel/catalogue/exemplaires/{item.pk}/modifier/")
    assert f'href="/personnel/catalogue/lots/{batch.pk}/"' in page.content.decode()
    assert f"Lot {batch.pk} : Changer la cote" in page.content.decode()
