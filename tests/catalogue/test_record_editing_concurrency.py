"""Two cataloguers saving the same record at once, on PostgreSQL: the row lock and the
hash the editor was opened on let exactly one save through, and the history stays dense."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from navette.catalogue import editing
from navette.catalogue.marc.rules import template_record
from navette.catalogue.models import Record
from navette.core.actors import Actor
from navette.core.models import Role, User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def _titled(title: str) -> dict:
    marc = template_record("unimarc", "book", today="20260302")
    for f in marc["fields"]:
        if "200" in f:
            f["200"]["subfields"][0]["a"] = title
    return marc


def test_two_saves_from_the_same_opened_editor_one_wins():
    """Eight threads save different titles over the same opened version: one is saved,
    seven get a conflict; the record has two versions and the winner's title."""
    actor = Actor.staff(User.objects.create_user("cat", password="x", role=Role.LIBRARIAN))
    record = editing.record_create(marc=_titled("Départ"), flavour="unimarc", actor=actor,
                                   now=NOW).record  # fmt: skip
    opened = record.marc_hash
    barrier = threading.Barrier(8)

    def save(n: int):
        try:
            barrier.wait()
            return editing.record_update(record=record, marc=_titled(f"Titre {n}"), actor=actor,
                                         now=NOW + dt.timedelta(minutes=n), expected_hash=opened)  # fmt: skip
        except Exception as exc:  # collected and asserted below
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(save, range(8)))
    saved = [r for r in results if isinstance(r, editing.Saved)]
    conflicts = [r for r in results if isinstance(r, editing.RecordEditConflict)]
    assert len(saved) == 1 and len(conflicts) == 7, results
    stored = Record.objects.get(pk=record.pk)
    assert stored.title == saved[0].record.title
    assert list(stored.versions.order_by("number").values_list("number", flat=True)) == [1, 2]
