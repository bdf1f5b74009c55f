"""An apply killed (SIGKILL) at three points, then resumed, ends with the same rows as an
uninterrupted apply: on SQLite and PostgreSQL, with the real command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from bench.golive_export import write_network_export
from navette.catalogue.models import Item
from navette.circulation.models import Fine, Hold, Loan
from navette.golive.engine import KILL_AT_ENV
from navette.golive.models import ImportBatch, ImportRun, SourceKey
from navette.network.models import Library
from navette.patrons.models import Patron, PatronCard, PatronCategory
from navette.stats.models import CirculationFact
from tests.catalogue.factories import make_record
from tests.network.factories import make_network

SMALL = {"libraries": 3, "patrons": 120, "copies": 200, "loans": 40, "holds": 20,
         "fines": 6, "history": 600}  # fmt: skip
#: after a committed batch of patrons, inside a batch of loans, after a batch of history
KILLS = ("patrons:2", "loans:1:inside", "history:2")


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def apply(directory: Path, kill: str | None = None) -> int:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", KILL_AT_ENV}}
    env.update(DATABASE_URL=database_url(), DJANGO_SETTINGS_MODULE="navette.settings.test")
    if kill:
        env[KILL_AT_ENV] = kill
    done = subprocess.run(
        [sys.executable, "-m", "navette", "import-network", str(directory), "--apply",
         "--mapping", str(directory / "mapping.toml"), "--batch-size", "20",
         "--report", str(directory / "report.csv")],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if kill is None:
        assert done.returncode == 0, done.stderr
    return done.returncode


def snapshot() -> dict[str, object]:
    """The rows an import leaves, by what they mean (never by key)."""
    return {
        "patrons": sorted(Patron.objects.values_list(
            "card_number", "last_name", "birth_date", "category__code", "home_library__code")),
        "cards": sorted(PatronCard.objects.values_list("number", "patron__card_number",
                                                       "is_alias")),
        "items": sorted(Item.objects.values_list("barcode", "owning_library__code", "status")),
        "loans": sorted(Loan.objects.values_list("item__barcode", "patron__card_number",
                                                 "due_on", "returned_at")),
        "holds": sorted(Hold.objects.values_list("patron__card_number", "record_id", "status",
                                                 "placed_at")),
        "fines": sorted(Fine.objects.values_list("patron__card_number", "loan__item__barcode",
                                                 "amount_cents")),
        "facts": Counter(CirculationFact.objects.values_list("day", "library__code",
                                                             "doc_type")),
        "keys": SourceKey.objects.count(),
    }  # fmt: skip


def wipe() -> None:
    for model in (Fine, Loan, Hold, Item, PatronCard, Patron, CirculationFact, SourceKey,
                  ImportBatch):  # fmt: skip
        model.objects.all().delete()
    Library.objects.all().delete()
    PatronCategory.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_killed_three_times_then_resumed_gives_the_same_rows(tmp_path):
    make_network()
    records = [make_record(title=f"Titre {n}").pk for n in range(10)]
    write_network_export(tmp_path, record_ids=records, **SMALL)
    apply(tmp_path)
    expected = snapshot()
    assert expected["patrons"] and expected["loans"] and expected["facts"]
    wipe()
    for kill in KILLS:
        assert apply(tmp_path, kill) == -9, kill
    assert len(snapshot()["patrons"]) > 0  # the first kill came after batches had committed
    apply(tmp_path)
    assert snapshot() == expected
    assert ImportRun.objects.filter(status="interrupted").count() == len(KILLS)
    apply(tmp_path)  # and once more: nothing changes
    assert snapshot() == expected
