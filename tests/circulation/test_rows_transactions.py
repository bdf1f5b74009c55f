"""navette.core.rows.atomic_together on PostgreSQL, in real transactions (not the tests' own):
BEGIN goes with the first statement and COMMIT with the last writes, and the outcome is
exactly that of ``transaction.atomic()``: all or nothing, errors at COMMIT raised as Django
errors, hooks after the commit, the connection left as Django expects it."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from navette.catalogue.models import Item, ItemStatus
from navette.circulation.models import Loan
from navette.circulation.services import loan_checkout
from navette.core.models import AuditEvent
from navette.core.rows import atomic_together, insert, update
from tests.circulation.conftest import NOW

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _elsewhere(sql: str, params=()):  # type: ignore[no-untyped-def]
    """Read through another connection: only what is committed."""
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"],
        dbname=settings["NAME"], password=settings["PASSWORD"] or None,
    ) as other:  # fmt: skip
        return other.execute(sql, params).fetchall()


def _django_state() -> tuple[bool, bool, str]:
    raw = connection.connection
    return connection.get_autocommit(), raw.autocommit, raw.info.transaction_status.name


def _event(action: str) -> AuditEvent:
    return AuditEvent(at=NOW, actor_kind="system", actor_label="tests", action=action)


def test_the_writes_and_the_commit_go_together(libs, make_patron, make_item, actor, monkeypatch):
    """A loan is committed when the service returns (seen from another connection), the
    hooks run after the commit, and the connection is back in Django's autocommit."""
    from navette.core import rows

    patron, item = make_patron(), make_item()
    ran, sent = [], []
    command = rows._command
    monkeypatch.setattr(rows, "_command", lambda raw, sql: (sent.append(sql), command(raw, sql)))
    loan = loan_checkout(item=item, patron=patron, library=libs["Lens"], actor=actor, now=NOW)
    assert _elsewhere("SELECT patron_id FROM circulation_loan WHERE id = %s", [loan.pk]) == [
        (patron.pk,)
    ]
    assert _elsewhere("SELECT status FROM catalogue_item WHERE id = %s", [item.pk]) == [
        (ItemStatus.ON_LOAN,)
    ]
    assert _django_state() == (True, True, "IDLE")
    assert sent == ["BEGIN", "COMMIT"]  # sent by the block, in its pipeline
    with atomic_together():
        transaction.on_commit(lambda: ran.append(_elsewhere(
            "SELECT count(*) FROM core_auditevent WHERE action = 'hooked'")[0][0]))  # fmt: skip
        insert([_event("hooked")], keys=False)
    assert ran == [1]  # the hook ran once the event was committed
    assert _django_state() == (True, True, "IDLE")


def test_an_error_in_the_block_keeps_nothing(make_item):
    """The block's writes (sent or not) are rolled back with the error."""
    item = make_item()
    with pytest.raises(RuntimeError), atomic_together():
        insert([_event("lost")], keys=False)
        item.status = ItemStatus.LOST
        update(item, ["status", "updated_at"])
        assert Item.objects.get(pk=item.pk).status == ItemStatus.LOST  # sent, not committed
        raise RuntimeError("refused")
    assert _django_state() == (True, True, "IDLE")
    assert not AuditEvent.objects.filter(action="lost").exists()
    assert Item.objects.get(pk=item.pk).status == ItemStatus.AVAILABLE


def test_an_error_at_commit_is_djangos_and_keeps_nothing(libs, make_item):
    """A constraint checked at COMMIT (a deferred foreign key) fails the whole block: Django's
    IntegrityError, nothing written, the connection usable."""
    item = make_item()
    with pytest.raises(IntegrityError), atomic_together():
        insert([_event("at-commit")], keys=False)
        insert([Loan(item=item, patron_id=987654321, library=libs["Lens"], doc_type="book",
                     loaned_at=NOW, due_on=dt.date(2025, 3, 25))])  # fmt: skip
    assert _django_state() == (True, True, "IDLE")
    assert not AuditEvent.objects.filter(action="at-commit").exists()
    assert not Loan.objects.exists()


def test_inside_another_transaction_it_is_a_savepoint(make_item):
    """Nested in an atomic block, nothing is committed early: the outer block decides."""
    item = make_item()
    with pytest.raises(RuntimeError), transaction.atomic():
        with atomic_together():
            insert([_event("nested")], keys=False)
            item.status = ItemStatus.LOST
            update(item, ["status", "updated_at"])
        assert _elsewhere("SELECT count(*) FROM core_auditevent WHERE action = 'nested'") == [(0,)]
        raise RuntimeError("the outer block fails")
    assert not AuditEvent.objects.filter(action="nested").exists()
    assert Item.objects.get(pk=item.pk).status == ItemStatus.AVAILABLE


def test_a_vanished_row_fails_the_writes_before_their_commit(make_item):
    """An update whose row is gone fails the statement that carries all the block's writes
    (sent with the COMMIT): nothing is committed, and the error says which table."""
    item = make_item()
    Item.objects.filter(pk=item.pk).delete()
    with pytest.raises(DatabaseError, match="catalogue_item"), atomic_together():
        insert([_event("vanished")], keys=False)
        item.status = ItemStatus.LOST
        update(item, ["status", "updated_at"])
    assert _django_state() == (True, True, "IDLE")
    assert not AuditEvent.objects.filter(action="vanished").exists()
