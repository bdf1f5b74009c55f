"""Copy services (add, update, withdraw) and the staff pages that call them."""

from __future__ import annotations

import pytest

from navette.catalogue import services
from navette.catalogue.models import Item, ItemStatus
from navette.core.actors import Actor
from navette.core.errors import ValidationFailed
from navette.core.models import AuditEvent, RecordChange

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("test")


def test_item_add_audits_and_enqueues(record, relire, now):
    """A new copy is stored, audited and its record queued for indexing."""
    item = services.item_add(record=record, barcode=" 000123 ", owning_library=relire["lens"],
                             actor=ACTOR, now=now)  # fmt: skip
    assert item.barcode == "000123"
    assert item.current_library == relire["lens"]
    assert AuditEvent.objects.filter(action="item.add", object_id=str(item.pk)).exists()
    assert RecordChange.objects.filter(record_id=record.pk).exists()


def test_barcode_in_use_is_a_clear_french_error_and_changes_nothing(record, relire, now):
    """A second copy with the same barcode is refused with a message naming the other copy."""
    services.item_add(
        record=record, barcode="B1", owning_library=relire["lens"], actor=ACTOR, now=now
    )
    with pytest.raises(services.BarcodeInUse) as exc:
        services.item_add(
            record=record, barcode="B1", owning_library=relire["harnes"], actor=ACTOR, now=now
        )
    assert exc.value.code == "barcode_in_use"
    assert "Le code-barres B1 est déjà utilisé" in exc.value.message
    assert "Le Phénix" in exc.value.message
    assert Item.objects.count() == 1


def test_item_update_refuses_a_used_barcode_and_circulation_statuses(record, relire, now):
    a = services.item_add(
        record=record, barcode="A", owning_library=relire["lens"], actor=ACTOR, now=now
    )
    services.item_add(
        record=record, barcode="B", owning_library=relire["lens"], actor=ACTOR, now=now
    )
    with pytest.raises(services.BarcodeInUse):
        services.item_update(item=a, actor=ACTOR, now=now, barcode="B")
    with pytest.raises(ValidationFailed):
        services.item_update(item=a, actor=ACTOR, now=now, status=ItemStatus.ON_LOAN)
    updated = services.item_update(
        item=a, actor=ACTOR, now=now, call_number="R PHE", status="damaged"
    )
    assert (updated.call_number, updated.status, updated.barcode) == ("R PHE", "damaged", "A")


def test_withdraw_refused_while_on_loan(record, relire, now):
    """A copy on loan cannot be withdrawn; an available one can."""
    item = services.item_add(
        record=record, barcode="W", owning_library=relire["lens"], actor=ACTOR, now=now
    )
    Item.objects.filter(pk=item.pk).update(status=ItemStatus.ON_LOAN)
    with pytest.raises(services.ItemNotWithdrawable, match="en prêt"):
        services.item_withdraw(item=item, actor=ACTOR, now=now)
    Item.objects.filter(pk=item.pk).update(status=ItemStatus.AVAILABLE)
    assert (
        services.item_withdraw(item=item, actor=ACTOR, now=now, reason="abîmé").status
        == "withdrawn"
    )


def test_staff_record_page_needs_login(client, record):
    response = client.get(f"/personnel/catalogue/notices/{record.pk}/")
    assert response.status_code == 302
    assert "/connexion/" in response["Location"]


def test_staff_record_page_shows_record_marc_and_manages_copies(client, librarian, record, relire):
    """A librarian reads the record (human form and MARC), adds a copy, is told of a used barcode,
    edits it and withdraws it."""
    client.force_login(librarian)
    url = f"/personnel/catalogue/notices/{record.pk}/"
    page = client.get(url).content.decode()
    assert "Le Phénix" in page and "245" in page and "$a Le Phénix /" in page
    data = {"barcode": "S1", "owning_library": relire["lens"].pk, "circulates": "on"}
    assert client.post(url, data).status_code == 302
    item = Item.objects.get(barcode="S1")
    again = client.post(url, data)
    assert again.status_code == 400
    assert "Le code-barres S1 est déjà utilisé" in again.content.decode()
    edit = f"/personnel/catalogue/exemplaires/{item.pk}/modifier/"
    assert client.get(edit).status_code == 200
    response = client.post(edit, {**data, "call_number": "R PHE", "status": "available"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.call_number == "R PHE"
    client.post(f"/personnel/catalogue/exemplaires/{item.pk}/retirer/")
    item.refresh_from_db()
    assert item.status == "withdrawn"
    assert "Retiré" in client.get(url).content.decode()
