"""A record merged into another: copies, loan history and holds follow it (each patron
keeping their place in the queue), the merge is audited, the index told through the
outbox, and it can be undone unless something done since forbids it. Only cataloguers
working at the copies' libraries and network administrators may merge."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.catalogue.merging import UndoRefused, record_merge, record_merge_undo
from navette.catalogue.models import DeletedRecord, Item, MergedIdentifier, Record, RecordIdentifier
from navette.circulation.models import Hold, Loan
from navette.circulation.selectors import record_hold_queue
from navette.circulation.services import hold_cancel, hold_place, loan_checkin, loan_checkout
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.models import AuditEvent, RecordChange, Role, User
from navette.network.scope import CatalogueRoleRequired, OutOfScope

from .conftest import NOW

H = dt.timedelta(hours=1)


@pytest.fixture
def pair(libs, make_record, make_item, make_patron, actor):
    """Two records of one book: a copy each (Lens, Avion), a past loan of the duplicate's
    copy, and holds: p2 on the duplicate first, p1 on the kept record, p3 on both (the
    duplicate earlier)."""
    kept, dup = make_record("Le Horla"), make_record("Le Horla")
    RecordIdentifier.objects.create(record=dup, kind="001+003", value="AUTRE|D9")
    kept_item, dup_item = make_item("Lens", record=kept), make_item("Avion", record=dup)
    reader = make_patron()
    loan_checkout(item=dup_item, patron=reader, library=libs["Avion"], actor=actor,
                  now=NOW - 48 * H)  # fmt: skip
    loan_checkin(item=dup_item, library=libs["Avion"], actor=actor, now=NOW - 24 * H)
    p1, p2, p3 = make_patron(), make_patron(), make_patron()

    def hold(patron, record, at):
        return hold_place(patron=patron, record=record, pickup_library=libs["Lens"],
                          actor=actor, now=NOW + at * H)  # fmt: skip

    holds = {"p2": hold(p2, dup, 0), "p1": hold(p1, kept, 1), "p3_dup": hold(p3, dup, 2),
             "p3_kept": hold(p3, kept, 3)}  # fmt: skip
    return {"kept": kept, "dup": dup, "kept_item": kept_item, "dup_item": dup_item,
            "holds": holds, "patrons": (p1, p2, p3)}  # fmt: skip


def test_merge_moves_copies_history_and_holds_in_queue_order(pair, actor):
    """After the merge the kept record has both copies, the past loan (through its copy),
    and one queue ordered by when each hold was placed; p3 keeps the earlier of their two
    holds, the other is cancelled. The duplicate is gone (a tombstone for harvesters), its
    identifiers point to the kept record, both records are queued for the index, and the
    merge is audited."""
    kept, dup, holds = pair["kept"], pair["dup"], pair["holds"]
    dup_id = dup.pk
    RecordChange.objects.all().delete()
    merge = record_merge(kept=kept, merged=dup, actor=actor, now=NOW + 5 * H)

    assert set(Item.objects.filter(record=kept).values_list("pk", flat=True)) == {
        pair["kept_item"].pk, pair["dup_item"].pk}  # fmt: skip
    assert Loan.objects.get(item=pair["dup_item"]).item.record_id == kept.pk
    p1, p2, p3 = pair["patrons"]
    assert [h.pk for h in record_hold_queue(kept)] == [
        holds["p2"].pk, holds["p1"].pk, holds["p3_dup"].pk]  # fmt: skip
    assert Hold.objects.get(pk=holds["p3_kept"].pk).status == "cancelled"
    assert not Record.objects.filter(pk=dup_id).exists()
    assert DeletedRecord.objects.filter(record_id=dup_id).exists()
    assert list(MergedIdentifier.objects.values_list("record_id", "value")) == [
        (kept.pk, "AUTRE|D9")]  # fmt: skip
    assert set(RecordChange.objects.values_list("record_id", flat=True)) == {kept.pk, dup_id}
    event = AuditEvent.objects.get(action=AuditAction.RECORD_MERGE)
    assert (event.object_id, event.data["merged"]) == (str(merge.pk), dup_id)


def test_undo_restores_the_record_its_copies_holds_and_identifiers(pair, actor):
    """Undoing gives back the duplicate with its id and title, its copy, its identifiers and
    its holds (p3's cancelled hold on the kept record waits again); a second undo is
    refused with its reason."""
    kept, dup, holds = pair["kept"], pair["dup"], pair["holds"]
    dup_id = dup.pk
    merge = record_merge(kept=kept, merged=dup, actor=actor, now=NOW + 5 * H)
    restored = record_merge_undo(merge=merge, actor=actor, now=NOW + 6 * H)

    assert (restored.pk, restored.title) == (dup_id, "Le Horla")
    assert Item.objects.get(pk=pair["dup_item"].pk).record_id == dup_id
    assert [h.pk for h in record_hold_queue(restored)] == [holds["p2"].pk, holds["p3_dup"].pk]
    assert [h.pk for h in record_hold_queue(kept)] == [holds["p1"].pk, holds["p3_kept"].pk]
    assert list(
        RecordIdentifier.objects.filter(record_id=dup_id).values_list("value", flat=True)
    ) == ["AUTRE|D9"]
    assert not MergedIdentifier.objects.exists()
    assert not DeletedRecord.objects.filter(record_id=dup_id).exists()
    with pytest.raises(UndoRefused) as refused:
        record_merge_undo(merge=merge, actor=actor, now=NOW + 7 * H)
    assert refused.value.code == "already_undone"


def test_undo_refused_while_a_moved_copy_is_held_for_the_kept_record(pair, libs, actor,
                                                                       make_patron):  # fmt: skip
    """A hold placed after the merge on the kept record for the duplicate's copy forbids the
    undo (the copy would leave the record the hold is on); nothing changes. Once that hold
    is cancelled, the undo goes through."""
    kept, dup = pair["kept"], pair["dup"]
    merge = record_merge(kept=kept, merged=dup, actor=actor, now=NOW + 5 * H)
    later = hold_place(patron=make_patron(), record=kept, item=pair["dup_item"],
                       pickup_library=libs["Lens"], actor=actor, now=NOW + 6 * H)  # fmt: skip
    with pytest.raises(UndoRefused) as refused:
        record_merge_undo(merge=merge, actor=actor, now=NOW + 7 * H)
    assert refused.value.code == "copy_held_for_kept"
    assert Item.objects.get(pk=pair["dup_item"].pk).record_id == kept.pk
    assert Record.objects.count() == 1
    hold_cancel(hold=later, actor=actor, now=NOW + 8 * H)
    assert record_merge_undo(merge=merge, actor=actor, now=NOW + 9 * H).pk == merge.merged_record_id


def test_only_cataloguers_at_the_copies_libraries_merge(libs, make_record, make_item):
    """A librarian is refused for their role, a cataloguer of Lens for a duplicate whose copy
    is at Avion (both audited, nothing merged); a cataloguer of Avion merges."""
    kept, dup = make_record("A"), make_record("A")
    make_item("Avion", record=dup)

    def user(name, role, library):
        account = User.objects.create_user(name, password="x", role=role)
        account.libraries.add(libs[library])
        return Actor.staff(account)

    with pytest.raises(CatalogueRoleRequired):
        record_merge(kept=kept, merged=dup, actor=user("bib", Role.LIBRARIAN, "Avion"), now=NOW)
    with pytest.raises(OutOfScope):
        record_merge(kept=kept, merged=dup, actor=user("cat-lens", Role.CATALOGUER, "Lens"),
                     now=NOW)  # fmt: skip
    assert AuditEvent.objects.filter(action=AuditAction.SCOPE_REFUSED).count() == 2
    assert Record.objects.count() == 2
    record_merge(kept=kept, merged=dup, actor=user("cat-avion", Role.CATALOGUER, "Avion"), now=NOW)
    assert Record.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_merge_races_an_edit_of_the_copy_and_a_hold_without_deadlock(pair, libs, make_patron):
    """A merge, an edit of the duplicate's copy (which locks the copy, then touches its
    record) and a hold placed on the duplicate, at once: no deadlock, the merge done, and
    every copy and hold on a record that exists."""
    import threading  # noqa: PLC0415
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    from django.db import connection  # noqa: PLC0415

    from navette.catalogue.models import RecordMerge  # noqa: PLC0415
    from navette.catalogue.services import item_update  # noqa: PLC0415

    actor, patron = Actor.system("tests"), make_patron()
    kept, dup, dup_item = pair["kept"], pair["dup"], pair["dup_item"]
    barrier = threading.Barrier(3)

    def run(fn):
        try:
            barrier.wait()
            return fn()
        except Exception as exc:  # asserted below
            return exc
        finally:
            connection.close()

    calls = [
        lambda: record_merge(kept=kept, merged=dup, actor=actor, now=NOW + 5 * H),
        lambda: item_update(item=dup_item, actor=actor, now=NOW + 5 * H, call_number="R MAU"),
        lambda: hold_place(
            patron=patron, record=dup, pickup_library=libs["Lens"], actor=actor, now=NOW + 5 * H
        ),  # fmt: skip
    ]
    with ThreadPoolExecutor(3) as pool:
        merged, edited, held = pool.map(run, calls)
    assert isinstance(merged, RecordMerge), merged
    assert not isinstance(edited, Exception), edited
    assert "deadlock" not in str(held).lower()
    records = set(Record.objects.values_list("pk", flat=True))
    assert records == {kept.pk}
    assert set(Item.objects.values_list("record_id", flat=True)) <= records
    assert set(Hold.objects.values_list("record_id", flat=True)) <= records
    assert Item.objects.get(pk=dup_item.pk).call_number == "R MAU"
