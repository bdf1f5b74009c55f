"""Headings kept right under concurrent writers, on PostgreSQL: records created at once with
a heading nobody had create it once and count it once each; a heading change racing an edit
of one of its records leaves counts equal to the links."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.db.models import Count

from navette.catalogue import editing, headings
from navette.catalogue.marc.headings import rename_in_marc
from navette.catalogue.marc.rules import template_record
from navette.catalogue.models import Heading, Record
from navette.core.actors import Actor
from navette.core.models import Role, User
from tests.catalogue.conftest import sub

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def _book(title: str, subject: str) -> dict:
    marc = template_record("unimarc", "book", today="20260302")
    for f in marc["fields"]:
        if "200" in f:
            f["200"]["subfields"][0]["a"] = title
    marc["fields"].append(sub("606", _a=subject))
    return marc


def _counts_match_links() -> bool:
    links = dict(Heading.objects.annotate(n=Count("record_links")).values_list("pk", "n"))
    return links == dict(Heading.objects.values_list("pk", "record_count"))


def test_records_created_at_once_share_one_new_heading():
    """Eight records created at the same moment with a new subject: one heading, counted 8."""
    actor = Actor.staff(User.objects.create_user("cat", password="x", role=Role.CATALOGUER))
    barrier = threading.Barrier(8)

    def create(n: int):
        try:
            barrier.wait()
            return editing.record_create(marc=_book(f"Livre {n}", "Sujet neuf"),
                                         flavour="unimarc", actor=actor, now=NOW)  # fmt: skip
        except Exception as exc:  # collected and asserted below
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(create, range(8)))
    assert all(isinstance(r, editing.Saved) for r in results), results
    assert list(
        Heading.objects.filter(label="Sujet neuf").values_list("record_count", flat=True)
    ) == [8]
    assert _counts_match_links()


def test_heading_change_racing_an_edit_keeps_counts_and_records_consistent():
    """A heading change and an edit of one of its records (opened before) at once: the
    record locks serialise them; either the edit is refused (the change came first) or the
    change carries the edit; every record ends with one form and the counts equal the links."""
    actor = Actor.staff(User.objects.create_user("cat", password="x", role=Role.CATALOGUER))
    records = [editing.record_create(marc=_book(f"Livre {n}", "Oiseaux"), flavour="unimarc",
                                     actor=actor, now=NOW).record for n in range(20)]  # fmt: skip
    target = records[-1]
    opened = target.marc_hash
    edited = rename_in_marc(target.marc, "unimarc", "subject", "Oiseaux", "Oiseaux marins")
    heading = Heading.objects.get(label="Oiseaux")
    barrier = threading.Barrier(2)

    def change():
        try:
            barrier.wait()
            return headings.heading_change(heading=heading, new_label="Volatiles", actor=actor,
                                           now=NOW)  # fmt: skip
        except Exception as exc:  # collected and asserted below
            return exc
        finally:
            connection.close()

    def edit():
        try:
            barrier.wait()
            return editing.record_update(record=target, marc=edited, actor=actor, now=NOW,
                                         expected_hash=opened)  # fmt: skip
        except Exception as exc:  # collected and asserted below
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        pending = pool.submit(change), pool.submit(edit)
        changed, saved = pending[0].result(), pending[1].result()
    assert not isinstance(changed, Exception), changed
    subjects = {r.pk: r.subjects for r in Record.objects.all()}
    assert all(s == ["Volatiles"] for pk, s in subjects.items() if pk != target.pk)
    if isinstance(saved, editing.Saved):
        assert subjects[target.pk] == ["Oiseaux marins"]
    else:
        assert isinstance(saved, editing.RecordEditConflict), saved
        assert subjects[target.pk] == ["Volatiles"]
    assert _counts_match_links()
