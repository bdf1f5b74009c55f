"""navette.core.rows.atomic_together on PostgreSQL, in real transactions (not the tests' own):
Django's transaction.atomic() with the statements sent through psycopg's pipeline; the
outcome is exactly that of ``transaction.atomic()``: all or nothing, errors at COMMIT raised
as Django errors, hooks after the commit, the connection left as Django expects it."""

from __future__ import annotations

import datetime as dt
from contextlib import suppress

import psycopg
import pytest
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from navette.catalogue.models import Item, ItemStatus
from navette.circulation import locks
from navette.circulation.errors import CheckoutRefused
from navette.circulation.models import Loan
from navette.circulation.services import loan_checkin, loan_checkout
from navette.circulation.services._common import clear_cache
from navette.core.models import AuditEvent
from navette.core.rows import atomic_together, insert, read_together, update
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


def test_the_writes_and_the_commit_go_together(libs, make_patron, make_item, actor, settings):
    """A loan is committed when the service returns (seen from another connection), the
    hooks run after the commit, and the connection is back in Django's autocommit. Django's
    own transaction carries it: BEGIN, the locks and reads, the writes as ONE statement (a
    data-modifying WITH), COMMIT."""
    settings.NAVETTE_CIRCULATION_CACHE_SECONDS = 60  # rules and settings read once
    clear_cache()
    loan_checkout(item=make_item(), patron=make_patron(), library=libs["Lens"], actor=actor,
                  now=NOW)  # fmt: skip
    patron, item = make_patron(), make_item()
    ran = []
    with CaptureQueriesContext(connection) as ctx:
        loan = loan_checkout(item=item, patron=patron, library=libs["Lens"], actor=actor, now=NOW)
    clear_cache()
    assert _elsewhere("SELECT patron_id FROM circulation_loan WHERE id = %s", [loan.pk]) == [
        (patron.pk,)
    ]
    assert _elsewhere("SELECT status FROM catalogue_item WHERE id = %s", [item.pk]) == [
        (ItemStatus.ON_LOAN,)
    ]
    assert _django_state() == (True, True, "IDLE")
    sent = [q["sql"].lstrip("(").split()[0].upper() for q in ctx.captured_queries]
    assert sent == ["BEGIN", "SELECT", "SELECT", "SELECT", "WITH", "COMMIT"], sent
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


# --- with prepared statements (NAVETTE_DB_PREPARED, as the SIP2 server runs) ----------------


@pytest.fixture
def prepared(monkeypatch, settings):  # type: ignore[no-untyped-def]
    """The connection prepares statements (psycopg's own too), rules and settings cached."""
    from django.conf import settings as django_settings

    connection.close()
    for option, value in django_settings.NAVETTE_DB_PREPARED_OPTIONS.items():
        monkeypatch.setitem(connection.settings_dict["OPTIONS"], option, value)
    connection.ensure_connection()
    settings.NAVETTE_CIRCULATION_CACHE_SECONDS = 60
    clear_cache()
    yield
    clear_cache()
    connection.close()  # the next test starts with a connection of its own settings


def _loan_statements_prepared() -> int:
    """Of them, the loan's locks and reads (statements on the circulation tables)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%FOR UPDATE%'"
        )
        return cur.fetchone()[0]


def _cycle(libs, make_patron, make_item, actor):  # type: ignore[no-untyped-def]
    item = make_item()
    loan = loan_checkout(
        item=item, patron=make_patron(), library=libs["Lens"], actor=actor, now=NOW
    )
    loan_checkin(item=item, library=libs["Avion"], actor=actor, now=NOW)
    return loan


def test_statements_are_prepared_and_reused_and_a_refusal_breaks_nothing(
    prepared, libs, make_patron, make_item, actor
):
    """With prepared statements on (psycopg's prepare_threshold), a loan's and a return's
    locks are prepared by the server once run a few times, then run by name (no new ones
    for further loans); a refused loan (its transaction rolled back) leaves the next loans
    and returns working, their rows right."""
    for _ in range(4):
        _cycle(libs, make_patron, make_item, actor)
    kept = _loan_statements_prepared()
    assert kept >= 3  # the patron's, the copy's and the loan's locks at least
    _cycle(libs, make_patron, make_item, actor)
    assert _loan_statements_prepared() == kept  # reused: none prepared again
    item = make_item()
    loan_checkout(item=item, patron=make_patron(), library=libs["Lens"], actor=actor, now=NOW)
    with pytest.raises(CheckoutRefused):  # on loan: refused under lock, rolled back
        loan_checkout(item=item, patron=make_patron(), library=libs["Lens"], actor=actor, now=NOW)
    loan_checkin(item=item, library=libs["Avion"], actor=actor, now=NOW)
    for _ in range(4):
        _cycle(libs, make_patron, make_item, actor)
    assert _loan_statements_prepared() >= 3
    assert not Loan.objects.filter(returned_at__isnull=True).exists()
    assert Item.objects.get(pk=item.pk).status != ItemStatus.ON_LOAN


@pytest.mark.parametrize("cached", [True, False], ids=["rules-cached", "rules-read-again"])
def test_statements_psycopg_deallocated_are_prepared_again(
    prepared, libs, make_patron, make_item, actor, cached
):
    """psycopg deallocates every prepared statement of the session after a rollback it sees
    (here, another transaction's). The next loans still run, and their statements are
    prepared again."""
    for _ in range(2):
        _cycle(libs, make_patron, make_item, actor)
    with transaction.atomic():
        Item.objects.filter(pk=0).exists()
        transaction.set_rollback(True)
    if not cached:
        clear_cache()
    for _ in range(4):
        loan = _cycle(libs, make_patron, make_item, actor)
    assert _loan_statements_prepared() >= 3
    assert Loan.objects.get(pk=loan.pk).returned_at is not None


def test_a_savepoint_rolled_back_inside_a_block_leaves_no_statement_to_chance(
    prepared, libs, make_patron, make_item, actor
):
    """A savepoint rolled back inside the block (psycopg may deallocate everything then): the
    block's next statements are prepared again and the transaction commits."""
    _cycle(libs, make_patron, make_item, actor)
    item = make_item()
    with atomic_together():
        (found,) = read_together((locks.ITEM, [item.pk]))
        with suppress(IntegrityError), transaction.atomic():
            insert([Loan(item=item, patron_id=987654321, library=libs["Lens"], doc_type="book",
                         loaned_at=NOW, due_on=dt.date(2025, 3, 25))], wait=True)  # fmt: skip
            connection.check_constraints()
        (again,) = read_together((locks.ITEM, [item.pk]))
        insert([_event("after-savepoint")], keys=False)
    assert found[0].pk == again[0].pk == item.pk
    assert _elsewhere("SELECT count(*) FROM core_auditevent WHERE action = 'after-savepoint'") == [
        (1,)
    ]
    _cycle(libs, make_patron, make_item, actor)


def test_a_connection_lost_in_the_block_is_djangos_error_and_the_next_loan_works(
    libs, make_patron, make_item, actor
):
    """The server goes away between two round trips of a block: Django's OperationalError,
    nothing committed, and the next loan runs on a new connection."""
    item = make_item()
    with pytest.raises(OperationalError), atomic_together():
        read_together((locks.ITEM, [item.pk]))
        _elsewhere("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
        insert([_event("lost-connection")], keys=False)
    assert not AuditEvent.objects.filter(action="lost-connection").exists()
    _cycle(libs, make_patron, make_item, actor)
    assert not Loan.objects.filter(returned_at__isnull=True).exists()
