"""Batch changes of copies and records: selected from a file, a shelf range or a saved
search; previewed, applied in one transaction, audited, undone."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.catalogue import batches
from navette.catalogue.models import (
    Batch,
    BatchAction,
    BatchLine,
    DeletedRecord,
    Item,
    ItemStatus,
    Location,
    Record,
    RecordIdentifier,
    SavedCopySearch,
)
from navette.circulation.services.loans import loan_checkout
from navette.core.actors import Actor
from navette.core.errors import DomainError, ValidationFailed
from navette.core.models import AuditEvent, RecordChange, User
from navette.network.scope import OutOfScope
from tests.catalogue.factories import make_item, make_record
from tests.circulation.conftest import NOW

pytestmark = pytest.mark.django_db
LATER = NOW + dt.timedelta(hours=2)


@pytest.fixture
def lens_librarian(libs):
    user = User.objects.create_user("lens", password="motdepasse-long-42", role="librarian")
    user.libraries.add(libs["Lens"])
    return Actor.staff(user)


def _copies(library, n, *, prefix="W", per_record=10):
    """``n`` copies of ``library`` (ten per record), barcodes W000001..., shelf marks R 0001..."""
    records = [make_record(title=f"Livre {i}") for i in range(0, n, per_record)]
    Item.objects.bulk_create(
        Item(record=records[i // per_record], barcode=f"{prefix}{i:06d}", owning_library=library,
             current_library=library, call_number=f"R {i:04d}")
        for i in range(n)
    )  # fmt: skip
    return list(Item.objects.filter(barcode__startswith=prefix).order_by("barcode"))


def test_withdrawal_of_1000_copies_from_a_file_previewed_applied_audited_undone(
    libs,
    make_patron,
    lens_librarian,
    tmp_path,
):
    """A file of 1,000 scanned barcodes (with blank lines, a duplicate, two unknown
    barcodes and one copy of another library) is previewed: the copies on loan and the
    other library's copy are refused with their reason, the unknown barcodes listed with
    their line; nothing changes. Applied: every other copy is withdrawn in one batch, one
    audit event, one line per copy with its values before and after, its record queued for
    indexing. Undone: every copy is back as it was, audited; a second undo is refused."""
    lens, harnes = libs["Lens"], libs["Harnes"]
    items = _copies(lens, 997)
    stranger = make_item(library=harnes, barcode="H000001")
    patron = make_patron(home="Lens")
    system = Actor.system("tests")
    lent = [items[10], items[500], items[996]]
    for item in lent:
        loan_checkout(item=item, patron=patron, library=lens, actor=system, now=NOW)
    lines = [it.barcode for it in items] + [stranger.barcode, "INCONNU-1", "", items[3].barcode,
                                            "  INCONNU-2  "]  # fmt: skip
    path = tmp_path / "desherbage.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    selection = batches.select_by_barcodes(path.read_text(encoding="utf-8"))
    assert len(selection.item_ids) == 998
    assert selection.unknown == ((999, "INCONNU-1"), (1002, "INCONNU-2"))

    change = batches.Change(action=BatchAction.WITHDRAW)
    preview = batches.batch_preview(selection=selection, change=change, actor=lens_librarian,
                                    now=LATER)  # fmt: skip
    assert len(preview.planned) == 994
    assert preview.planned[0].before["status"] == "available"
    assert preview.planned[0].after["status"] == "withdrawn"
    refused = {r.data["barcode"]: r for r in preview.refused}
    assert set(refused) == {it.barcode for it in lent} | {"H000001"}
    assert refused[lent[0].barcode].code == "copy_circulating"
    assert DomainError(code="copy_circulating", **refused[lent[0].barcode].data).message == (
        "Exemplaire en prêt."
    )
    assert refused["H000001"].code == "copy_other_library"
    assert "Harnes" in DomainError(code="copy_other_library", **refused["H000001"].data).message
    assert Item.objects.filter(status=ItemStatus.WITHDRAWN).count() == 0
    assert not Batch.objects.exists()

    RecordChange.objects.all().delete()
    batch = batches.batch_apply(selection=selection, change=change, actor=lens_librarian,
                                now=LATER)  # fmt: skip
    assert batch.changed == 994
    assert Item.objects.filter(status=ItemStatus.WITHDRAWN).count() == 994
    assert set(Item.objects.filter(status=ItemStatus.ON_LOAN).values_list("barcode", flat=True)) \
        == {it.barcode for it in lent}  # fmt: skip
    assert Item.objects.get(barcode="H000001").status == ItemStatus.AVAILABLE
    assert {(r["code"], r["barcode"]) for r in batch.refused} == {
        *(("copy_circulating", it.barcode) for it in lent),
        ("copy_other_library", "H000001"),
    }
    assert batch.selection["unknown"] == [[999, "INCONNU-1"], [1002, "INCONNU-2"]]
    events = AuditEvent.objects.filter(action="batch.apply")
    assert events.count() == 1
    assert events.get().data["changed"] == 994 and events.get().actor_id == lens_librarian.id
    assert BatchLine.objects.filter(batch=batch).count() == 994
    line = BatchLine.objects.get(batch=batch, barcode=items[0].barcode)
    assert (line.before["status"], line.after["status"]) == ("available", "withdrawn")
    history = batches.copy_history(items[0])
    assert [b.pk for b, _ in history] == [batch.pk]
    assert set(RecordChange.objects.values_list("record_id", flat=True)) == {
        it.record_id for it in items
    }

    undone = batches.batch_undo(batch=batch, actor=lens_librarian, now=LATER)
    assert undone.undone_at == LATER
    assert Item.objects.filter(status=ItemStatus.WITHDRAWN).count() == 0
    assert Item.objects.filter(status=ItemStatus.AVAILABLE).count() == 995
    assert AuditEvent.objects.filter(action="batch.undo").count() == 1
    with pytest.raises(batches.BatchRefused) as again:
        batches.batch_undo(batch=batch, actor=lens_librarian, now=LATER)
    assert again.value.code == "batch_already_undone"


def test_undo_refused_when_a_copy_changed_since(libs, lens_librarian):
    """A copy moved after the batch (here: its shelf mark changed by hand) blocks the undo,
    which names it and changes nothing."""
    lens = libs["Lens"]
    items = _copies(lens, 5)
    selection = batches.select_by_barcodes("\n".join(it.barcode for it in items))
    batch = batches.batch_apply(
        selection=selection, change=batches.Change(action=BatchAction.CALL_NUMBER,
                                                   call_number="944 ROU"),
        actor=lens_librarian, now=NOW,
    )  # fmt: skip
    assert set(Item.objects.values_list("call_number", flat=True)) == {"944 ROU"}
    Item.objects.filter(pk=items[2].pk).update(call_number="944 ROUX")
    with pytest.raises(batches.BatchRefused) as exc:
        batches.batch_undo(batch=batch, actor=lens_librarian, now=LATER)
    assert exc.value.code == "batch_changed_since"
    assert exc.value.context == {"barcodes": [items[2].barcode], "count": 1}
    assert items[2].barcode in exc.value.message
    assert Item.objects.filter(call_number="944 ROU").count() == 4
    assert Batch.objects.get().undone_at is None


def test_shelf_range_location_library_and_loan_category(libs, lens_librarian):
    """A shelf range of one library selects its copies from the first mark to the last
    (the last taken as a prefix); location, library and loan category change and undo."""
    lens, harnes = libs["Lens"], libs["Harnes"]
    _copies(lens, 30)
    make_item(library=harnes, call_number="R 0005", barcode="H1")
    selection = batches.select_shelf_range(library=lens, first="r 0010", last="R 001")
    assert [Item.objects.get(pk=i).call_number for i in selection.item_ids] == [
        f"R {n:04d}" for n in range(10, 20)
    ]
    with pytest.raises(ValidationFailed) as reversed_range:
        batches.select_shelf_range(library=lens, first="R 9", last="R 1")
    assert reversed_range.value.code == "shelf_range_reversed"

    corner = Location.objects.create(library=lens, code="jeunesse", name="Espace jeunesse")
    other = Location.objects.create(library=harnes, code="adultes", name="Adultes")
    moved = batches.batch_apply(selection=selection,
                                change=batches.Change(action=BatchAction.LOCATION, location=corner),
                                actor=lens_librarian, now=NOW)  # fmt: skip
    assert moved.changed == 10
    assert set(Item.objects.filter(location=corner).values_list("shelving_location", flat=True)) \
        == {"Espace jeunesse"}  # fmt: skip
    preview = batches.batch_preview(selection=selection, actor=lens_librarian, now=NOW,
                                    change=batches.Change(action=BatchAction.LOCATION,
                                                          location=other))  # fmt: skip
    assert {r.code for r in preview.refused} == {"location_other_library"}

    category = batches.batch_apply(selection=selection, actor=lens_librarian, now=NOW,
                                   change=batches.Change(action=BatchAction.LOAN_CATEGORY,
                                                         doc_type="comic"))  # fmt: skip
    assert Item.objects.filter(doc_type_override="comic").count() == 10
    batches.batch_undo(batch=category, actor=lens_librarian, now=NOW)
    assert Item.objects.filter(doc_type_override="comic").count() == 0

    # a transfer to a library the librarian does not work at is refused, audited
    with pytest.raises(OutOfScope):
        batches.batch_apply(selection=selection, actor=lens_librarian, now=NOW,
                            change=batches.Change(action=BatchAction.LIBRARY, library=harnes))  # fmt: skip
    assert AuditEvent.objects.filter(action="scope.refused").exists()
    admin = Actor.staff(User.objects.create_user("admin", password="x" * 20, role="network_admin"))
    transfer = batches.batch_apply(selection=selection, actor=admin, now=NOW,
                                   change=batches.Change(action=BatchAction.LIBRARY,
                                                         library=harnes))  # fmt: skip
    assert Item.objects.filter(owning_library=harnes, current_library=harnes,
                               location__isnull=True).count() == 11  # fmt: skip
    batches.batch_undo(batch=transfer, actor=admin, now=NOW)
    assert Item.objects.filter(owning_library=lens, location=corner).count() == 10
    # the Lens librarian may not undo a batch touching Harnes copies... but this one is
    # back at Lens: undoing the location move is hers
    batches.batch_undo(batch=moved, actor=lens_librarian, now=NOW)
    assert not Item.objects.filter(location__isnull=False).exists()


def test_status_batch_marks_damaged_and_in_repair_then_back(libs, lens_librarian):
    """Status changes go to the staff statuses only; lost, damaged, in repair and back."""
    items = _copies(libs["Lens"], 4)
    selection = batches.select_by_barcodes("\n".join(it.barcode for it in items))
    with pytest.raises(ValidationFailed):
        batches.batch_preview(selection=selection, actor=lens_librarian, now=NOW,
                              change=batches.Change(action=BatchAction.STATUS, status="on_loan"))  # fmt: skip
    batches.batch_apply(selection=selection, actor=lens_librarian, now=NOW,
                        change=batches.Change(action=BatchAction.STATUS, status="in_repair"))  # fmt: skip
    assert Item.objects.filter(status=ItemStatus.IN_REPAIR).count() == 4
    back = batches.batch_apply(selection=selection, actor=lens_librarian, now=NOW,
                               change=batches.Change(action=BatchAction.STATUS,
                                                     status="available"))  # fmt: skip
    assert back.changed == 4
    with pytest.raises(batches.BatchRefused) as empty:
        batches.batch_apply(selection=selection, actor=lens_librarian, now=NOW,
                            change=batches.Change(action=BatchAction.STATUS, status="available"))  # fmt: skip
    assert empty.value.code == "batch_empty"


def test_saved_search_selects_copies_by_criteria(libs):
    """A saved copy search finds the copies matching its criteria now."""
    lens = libs["Lens"]
    old = make_item(library=lens, title="Vieux guide", acquired_on=dt.date(1998, 1, 1))
    make_item(library=lens, title="Guide récent", acquired_on=dt.date(2024, 1, 1))
    make_item(library=libs["Harnes"], title="Vieux guide ailleurs",
              acquired_on=dt.date(1990, 1, 1))  # fmt: skip
    search = SavedCopySearch.objects.create(
        name="Guides d'avant 2000 à Lens", created_at=NOW,
        criteria={"library": lens.pk, "title": "guide", "acquired_before": "2000-01-01"},
    )  # fmt: skip
    selection = batches.select_saved_search(search)
    assert selection.item_ids == (old.pk,)
    assert selection.described["by"] == "saved_search"


def test_records_deleted_with_their_copies_and_restored(libs, make_patron, lens_librarian):
    """Records whose copies are all on the shelf go with their copies (tombstones left);
    one with a copy on loan is refused with its reason; the undo brings them back with
    their numbers, copies and identifiers."""
    lens = libs["Lens"]
    gone = make_record(title="À supprimer")
    RecordIdentifier.objects.create(record=gone, kind="isbn", value="9782070000001")
    gone_copies = [make_item(library=lens, record=gone, barcode=f"G{i}") for i in range(3)]
    kept = make_record(title="Prêtée")
    lent = make_item(library=lens, record=kept, barcode="L1")
    loan_checkout(item=lent, patron=make_patron(home="Lens"), library=lens,
                  actor=Actor.system("t"), now=NOW)  # fmt: skip
    selection = batches.select_by_barcodes("G0\nG1\nL1\n")
    record_ids = batches.records_of(selection)
    assert record_ids == (gone.pk, kept.pk)
    preview = batches.records_delete_preview(record_ids=record_ids, actor=lens_librarian, now=NOW)
    assert [(p.record_id, p.copies) for p in preview.planned] == [(gone.pk, 3)]
    assert [(r.code, r.data["barcode"]) for r in preview.refused] == [("copy_circulating", "L1")]

    batch = batches.records_delete_apply(record_ids=record_ids, actor=lens_librarian, now=LATER)
    assert not Record.objects.filter(pk=gone.pk).exists()
    assert not Item.objects.filter(barcode__startswith="G").exists()
    assert DeletedRecord.objects.filter(record_id=gone.pk).exists()
    assert Record.objects.filter(pk=kept.pk).exists()
    assert AuditEvent.objects.filter(action="batch.apply", object_id=str(batch.pk)).count() == 1

    batches.batch_undo(batch=batch, actor=lens_librarian, now=LATER)
    restored = Record.objects.get(pk=gone.pk)
    assert restored.title == "À supprimer"
    assert sorted(restored.items.values_list("pk", flat=True)) == [i.pk for i in gone_copies]
    assert restored.identifiers.filter(kind="isbn", value="9782070000001").exists()
    assert not DeletedRecord.objects.filter(record_id=gone.pk).exists()


def test_record_undo_refused_when_a_barcode_was_reused(libs, lens_librarian):
    """A barcode given to a new copy after the deletion blocks the undo, named."""
    lens = libs["Lens"]
    gone = make_record(title="Éphémère")
    make_item(library=lens, record=gone, barcode="E1")
    batch = batches.records_delete_apply(record_ids=[gone.pk], actor=lens_librarian, now=NOW)
    make_item(library=lens, barcode="E1")
    with pytest.raises(batches.BatchRefused) as exc:
        batches.batch_undo(batch=batch, actor=lens_librarian, now=LATER)
    assert exc.value.code == "batch_restore_conflict"
    assert "E1" in exc.value.message
    assert not Record.objects.filter(pk=gone.pk).exists()


def test_undo_puts_back_only_what_the_batch_changed(libs, make_patron, lens_librarian):
    """A copy lent after a shelf-mark batch still gets its old shelf mark back (its loan,
    which the batch did not touch, stays)."""
    lens = libs["Lens"]
    items = _copies(lens, 3)
    batch = batches.batch_apply(
        selection=batches.select_by_barcodes("\n".join(it.barcode for it in items)),
        change=batches.Change(action=BatchAction.CALL_NUMBER, call_number="R NEW"),
        actor=lens_librarian, now=NOW,
    )  # fmt: skip
    lent = Item.objects.get(pk=items[1].pk)
    loan_checkout(item=lent, patron=make_patron(home="Lens"), library=lens,
                  actor=Actor.system("t"), now=NOW)  # fmt: skip
    batches.batch_undo(batch=batch, actor=lens_librarian, now=LATER)
    assert sorted(Item.objects.values_list("call_number", flat=True)) == [
        "R 0000", "R 0001", "R 0002"]  # fmt: skip
    assert Item.objects.get(pk=items[1].pk).status == ItemStatus.ON_LOAN
