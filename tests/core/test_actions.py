"""Names stored in the audit journal and the statistics: enums, one scheme, old rows renamed."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_record
from navette.core.models import AuditEvent
from navette.stats.models import CirculationAction, CirculationFact

REPO = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


def test_every_name_follows_one_scheme():
    """Journal names read <entity>.<verb>; a statistics fact is named as the journal names
    the same event."""
    for action in AuditAction:
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+", action.value), action
    assert {a.value for a in CirculationAction} <= {a.value for a in AuditAction}
    assert CirculationAction.CHECKOUT == AuditAction.LOAN_CHECKOUT == "loan.checkout"


@pytest.mark.django_db
def test_audit_record_refuses_a_name_outside_the_enum():
    """A bare, unknown name is an error and writes nothing; a known one is stored as is."""
    with pytest.raises(ValueError, match="item_withdraw"):
        audit_record(actor=Actor.system("tests"), action="item_withdraw", now=NOW)  # type: ignore[arg-type]
    assert not AuditEvent.objects.exists()
    audit_record(actor=Actor.system("tests"), action=AuditAction.ITEM_WITHDRAW, now=NOW)
    assert AuditEvent.objects.get().action == "item.withdraw"


def test_no_bare_action_strings_in_the_code():
    """Every audit event and statistics fact is written with an enum member, never a string."""
    call = re.compile(r"(audit_record|record_fact|make_fact)\((?:[^()]|\([^()]*\))*?\baction=\"",
                      re.S)  # fmt: skip
    offenders = [
        path.relative_to(REPO).as_posix()
        for path in (REPO / "navette").rglob("*.py")
        if "migrations" not in path.parts and call.search(path.read_text())
    ]
    assert offenders == []


@pytest.mark.django_db(transaction=True)
def test_migrations_rename_stored_names_both_ways():
    """Rows written under the old names take the one scheme when migrating forwards and
    get their old names back when migrating backwards."""
    executor = MigrationExecutor(connection)
    before = [("core", "0003_record_change_outbox"), ("stats", "0003_fact_library_index")]
    after = [("core", "0004_audit_actions_one_scheme"),
             ("stats", "0004_fact_actions_as_audit_names")]  # fmt: skip
    executor.migrate(before)
    try:
        old_apps = executor.loader.project_state(before).apps
        OldEvent = old_apps.get_model("core", "AuditEvent")
        OldFact = old_apps.get_model("stats", "CirculationFact")
        for name in ("item_add", "fines.pay", "tokens_spend", "loan.checkout"):
            OldEvent.objects.create(at=NOW, actor_kind="system", actor_label="t", action=name)
        for name in ("checkout", "hold_place", "transit_lost"):
            OldFact.objects.create(day=NOW.date(), action=name)
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        assert sorted(AuditEvent.objects.values_list("action", flat=True)) == [
            "fine.pay", "item.add", "loan.checkout", "token.spend"
        ]  # fmt: skip
        assert sorted(CirculationFact.objects.values_list("action", flat=True)) == [
            "hold.place", "loan.checkout", "transit.lost"
        ]  # fmt: skip
        executor = MigrationExecutor(connection)
        executor.migrate(before)
        assert sorted(OldEvent.objects.values_list("action", flat=True)) == [
            "fines.pay", "item_add", "loan.checkout", "tokens_spend"
        ]  # fmt: skip
        assert sorted(OldFact.objects.values_list("action", flat=True)) == [
            "checkout", "hold_place", "transit_lost"
        ]  # fmt: skip
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
