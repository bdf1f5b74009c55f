"""The generated network export (bench/golive_export.py) brought in at a small size."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bench.golive_export import write_network_export
from navette.catalogue.models import Item
from navette.circulation.models import Fine, Hold, Loan
from navette.core import clock
from navette.golive.engine import NetworkImport
from navette.golive.mapping import load_mapping
from navette.golive.models import ImportRun, SourceKey
from navette.patrons.models import Patron, PatronCard
from navette.stats.models import CirculationFact
from tests.catalogue.factories import make_record

NOW = dt.datetime(2026, 12, 6, 10, tzinfo=clock.PARIS)
SMALL = {"libraries": 4, "patrons": 300, "copies": 800, "loans": 120, "holds": 40,
         "fines": 10, "history": 600}  # fmt: skip


def run(directory: Path, *, apply: bool):
    mapping = load_mapping(directory / "mapping.toml")
    return NetworkImport(directory, mapping, apply=apply, now=NOW, batch_size=50).run()


@pytest.fixture
def export(db, tmp_path):
    records = [make_record(title=f"Titre {n}").pk for n in range(30)]
    facts = write_network_export(tmp_path, record_ids=records, **SMALL)
    return tmp_path, facts


def rows() -> dict[str, int]:
    return {"patrons": Patron.objects.count(), "cards": PatronCard.objects.count(),
            "items": Item.objects.count(), "loans": Loan.objects.count(),
            "holds": Hold.objects.count(), "fines": Fine.objects.count(),
            "facts": CirculationFact.objects.count()}  # fmt: skip


def test_dry_run_writes_nothing_and_apply_brings_everything_in(export):
    """A dry run counts what an apply then does; the people in two libraries are merged,
    each keeping both cards; colliding barcodes are prefixed; a second apply changes nothing."""
    directory, facts = export
    before = rows()
    dry = run(directory, apply=False)
    assert rows() == before
    assert dry.counts["patrons.created"] == facts.people
    assert dry.counts["patrons.merged"] == len(facts.twice)
    assert dry.counts["copies.created"] == facts.copies
    applied = run(directory, apply=True)
    assert applied.counts == dry.counts
    assert sorted((i.kind, i.file, i.line, i.code) for i in applied.issues) == sorted(
        (i.kind, i.file, i.line, i.code) for i in dry.issues
    )
    assert dry.counts["copies.created"] == facts.copies
    assert sum(i.code == "barcode_in_two_libraries" for i in dry.issues) == len(facts.collisions)
    after = rows()
    assert after["patrons"] == facts.people
    assert after["cards"] == facts.patron_rows
    assert after["items"] == facts.copies
    assert after["loans"] == facts.loans + facts.fines
    assert after["holds"] == facts.holds
    assert after["fines"] == facts.fines
    assert after["facts"] == facts.history
    (_, card_a), (_, card_b) = facts.twice[0]
    patron = Patron.objects.get(card_number=card_a)
    assert PatronCard.objects.get(number=card_b, is_alias=True).patron == patron
    again = run(directory, apply=True)
    assert rows() == after
    assert not any(k.endswith(".created") and v for k, v in again.counts.items())
    assert again.counts["patrons.unchanged"] == facts.patron_rows
    assert ImportRun.objects.filter(status="done").count() == 3
    assert SourceKey.objects.filter(kind="patron").count() == facts.patron_rows
