"""New arrivals: records whose copies were acquired lately, by library and document type."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.catalogue.models import ItemStatus
from navette.catalogue.selectors import new_arrival_counts, new_arrivals
from tests.catalogue.factories import make_item, make_record

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 8)
SINCE = TODAY - dt.timedelta(days=90)


def _days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


@pytest.fixture
def shelves(relire):
    lens, harnes = relire["lens"], relire["harnes"]
    novel = make_record(title="Roman récent")
    film = make_record(title="Film récent", doc_type="video")
    old = make_record(title="Ancien")
    make_item(library=lens, record=novel, acquired_on=_days_ago(3))
    make_item(library=harnes, record=novel, acquired_on=_days_ago(40))  # the same record twice
    make_item(library=harnes, record=film, acquired_on=_days_ago(10))
    make_item(library=lens, record=old, acquired_on=_days_ago(400))
    make_item(library=lens, title="Sans date")  # no acquisition date: never new
    make_item(library=lens, title="Perdu", acquired_on=_days_ago(1), status=ItemStatus.LOST)
    # a copy typed as a comic on a record typed as a book
    make_item(library=lens, title="Album", acquired_on=_days_ago(20), doc_type_override="comic")
    return relire


def test_latest_arrival_first_each_record_once(shelves):
    """A record shows once, at its latest copy's date; old, undated and lost copies do not
    count."""
    found = new_arrivals(since=SINCE)
    assert [(a.record.title, a.arrived_on) for a in found] == [
        ("Roman récent", _days_ago(3)), ("Film récent", _days_ago(10)), ("Album", _days_ago(20)),
    ]  # fmt: skip


def test_by_library_and_by_document_type(shelves):
    """At Harnes the novel arrived 40 days ago; the copy's own type counts before the
    record's."""
    harnes = [(a.record.title, a.arrived_on) for a in new_arrivals(
        since=SINCE, library_id=shelves["harnes"].pk)]  # fmt: skip
    assert harnes == [("Film récent", _days_ago(10)), ("Roman récent", _days_ago(40))]
    assert [a.record.title for a in new_arrivals(since=SINCE, doc_type="comic")] == ["Album"]
    assert [a.record.title for a in new_arrivals(since=SINCE, doc_type="book")] == ["Roman récent"]
    assert new_arrivals(since=SINCE, limit=1)[0].record.title == "Roman récent"


def test_counts_by_document_type(shelves):
    """Records, not copies, are counted: the novel's two copies make one book."""
    assert new_arrival_counts(since=SINCE) == {"book": 1, "comic": 1, "video": 1}
    assert new_arrival_counts(since=SINCE, library_id=shelves["lens"].pk) == {
        "book": 1, "comic": 1,
    }  # fmt: skip
