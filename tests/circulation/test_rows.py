"""navette.core.rows: the hot paths' prebuilt SQL reads and writes give what the ORM gives."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, transaction

from navette.catalogue.models import Item, ItemStatus
from navette.circulation.models import Loan
from navette.core.models import AuditEvent
from navette.core.rows import RowQuery, insert, together, update
from navette.patrons.models import Patron
from tests.circulation.conftest import NOW

pytestmark = pytest.mark.django_db


def _fields(obj):
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_row_query_reads_what_the_orm_reads(make_patron, make_item):
    """Every column, converted as the ORM converts it (dates, datetimes, booleans), with the
    joined rows in the instance's cache: no further query to reach them."""
    patron = make_patron(birth_date=dt.date(1990, 2, 3), suspended_until=dt.date(2025, 4, 1))
    item = make_item(circulates=False)
    by_card = RowQuery(Patron, "t.card_number = %s", related=("category", "home_library"))
    got = by_card.get(patron.card_number)
    orm = Patron.objects.select_related("category", "home_library").get(pk=patron.pk)
    assert _fields(got) == _fields(orm)
    assert _fields(got.category) == _fields(orm.category)
    assert got.home_library == orm.home_library and got.home_library.code == orm.home_library.code
    locked = RowQuery(Item, "t.id = %s", related=("record",), lock=True)
    with transaction.atomic():
        it = locked.get(item.pk)
    assert _fields(it) == _fields(Item.objects.get(pk=item.pk))
    assert (it.circulates, it.doc_type) == (False, "book")
    assert by_card.first("nobody") is None
    with pytest.raises(Patron.DoesNotExist):
        by_card.get("nobody")


def test_insert_applies_defaults_and_returns_keys(make_patron, make_item, libs):
    """Defaults and auto_now_add are applied, JSON is stored as JSON, keys are set; the one
    open loan per copy is still the database's to enforce (IntegrityError, as from the ORM)."""
    patron, item = make_patron(), make_item()
    loan = Loan(item=item, patron=patron, library=libs["Lens"], doc_type="book", loaned_at=NOW,
                due_on=dt.date(2025, 3, 25))  # fmt: skip
    event = AuditEvent(at=NOW, actor_kind="system", actor_label="tests", action="x",
                       data={"item": "I1", "n": [1, 2]})  # fmt: skip
    with transaction.atomic():
        insert([loan])
        insert([event])
    assert _fields(Loan.objects.get(pk=loan.pk)) == _fields(loan)
    assert loan.renewals == 0 and loan.returned_at is None
    assert AuditEvent.objects.get(pk=event.pk).data == {"item": "I1", "n": [1, 2]}
    with pytest.raises(IntegrityError), transaction.atomic():
        insert([Loan(item=item, patron=patron, library=libs["Lens"], doc_type="book",
                     loaned_at=NOW, due_on=dt.date(2025, 3, 25))])  # fmt: skip
    assert Loan.objects.filter(item=item).count() == 1


def test_update_writes_the_fields_and_auto_now(make_item, libs):
    """Only the named fields are written (auto_now included); a vanished row is an error."""
    item = make_item()
    before = Item.objects.get(pk=item.pk).updated_at
    item.status = ItemStatus.ON_LOAN
    item.current_library = libs["Avion"]
    item.call_number = "not written"
    update(item, ["status", "current_library", "updated_at"])
    stored = Item.objects.get(pk=item.pk)
    assert (stored.status, stored.current_library, stored.call_number) == (
        ItemStatus.ON_LOAN, libs["Avion"], "",
    )  # fmt: skip
    assert stored.updated_at > before
    Item.objects.filter(pk=item.pk).delete()
    with pytest.raises(DatabaseError):
        update(item, ["status"])


def test_writes_sent_together_read_and_fail_as_one_by_one(make_patron, make_item, libs):
    """Inside together() (one round trip on PostgreSQL), statements still run in the order
    written: a read sees the queued writes before it, an ORM update counts its rows, keys are
    set on leaving, and a constraint violation is Django's IntegrityError, nothing kept."""
    patron, item = make_patron(), make_item()
    with transaction.atomic(), together():
        item.status = ItemStatus.ON_LOAN
        update(item, ["status", "updated_at"])
        event = insert([AuditEvent(at=NOW, actor_kind="system", actor_label="t", action="a")])[0]
        assert Item.objects.get(pk=item.pk).status == ItemStatus.ON_LOAN
        assert Item.objects.filter(pk=item.pk).update(call_number="R 123") == 1
        loan = Loan(item=item, patron=patron, library=libs["Lens"], doc_type="book",
                    loaned_at=NOW, due_on=dt.date(2025, 3, 25))  # fmt: skip
        insert([loan], wait=True)
        assert loan.pk is not None
    assert event.pk is not None and AuditEvent.objects.filter(pk=event.pk).exists()
    assert (Item.objects.get(pk=item.pk).call_number, Loan.objects.get().pk) == ("R 123", loan.pk)
    with pytest.raises(IntegrityError), transaction.atomic(), together():
        insert([AuditEvent(at=NOW, actor_kind="system", actor_label="t", action="b")])
        insert([Loan(item=item, patron=patron, library=libs["Lens"], doc_type="book",
                     loaned_at=NOW, due_on=dt.date(2025, 3, 25))])  # fmt: skip
    assert not AuditEvent.objects.filter(action="b").exists()
    assert Loan.objects.count() == 1


def test_a_related_row_can_be_read_in_part(make_item, django_assert_num_queries):
    """A copy's lock reads its title's type and title only: the record's other fields (its
    MARC above all) are deferred, read by the ORM when used, with the right values."""
    from navette.circulation import locks

    item = make_item()
    with transaction.atomic():
        with django_assert_num_queries(1):
            it = locks.lock_item(item.pk)
            assert (it.record.title, it.doc_type) == (item.record.title, "book")
        assert it.record.get_deferred_fields() >= {"marc", "flavour"}
        with django_assert_num_queries(1):
            assert it.record.marc == item.record.marc


def test_a_loan_reads_only_what_it_needs_of_its_patron(libs, make_patron, make_item, actor):
    """A check-out locks its patron without the contact details and login state, which are
    read by the ORM if ever used, with the right values."""
    from navette.circulation.services import loan_checkout

    patron = make_patron(email="lecteur@example.org")
    loan = loan_checkout(item=make_item(), patron=patron, library=libs["Lens"], actor=actor,
                         now=NOW)  # fmt: skip
    assert {"email", "pin_hash", "failed_logins"} <= loan.patron.get_deferred_fields()
    assert (loan.patron.card_number, loan.patron.category.code) == (
        patron.card_number, patron.category.code,
    )  # fmt: skip
    assert loan.patron.email == "lecteur@example.org"
