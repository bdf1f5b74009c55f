"""Facet counts agree with the database, and filters combine."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import transaction

from navette.catalogue.models import Item, ItemStatus, Record
from navette.core.outbox import enqueue_records
from navette.search import engine
from navette.search import index as search_index
from navette.search.index import rebuild_index
from tests.catalogue.factories import make_item, make_record

pytestmark = pytest.mark.django_db


def database_counts(records: list[Record]) -> dict[str, Counter]:
    """Facet counts computed straight from the database rows, one count per record."""
    counts: dict[str, Counter] = {name: Counter() for name in engine.FACET_SIZES}
    available = 0
    for record in records:
        items = list(
            Item.objects.filter(record=record).select_related("owning_library", "current_library")
        )
        counts["doc_type"].update(
            {record.doc_type} | {i.doc_type_override for i in items if i.doc_type_override}
        )
        counts["library"].update(
            {
                i.owning_library.code
                for i in items
                if i.status not in (ItemStatus.LOST, ItemStatus.WITHDRAWN)
            }
        )
        on_shelf = {i.current_library.code for i in items if i.status == ItemStatus.AVAILABLE}
        counts["available_at"].update(on_shelf)
        available += bool(on_shelf)
        counts["language"].update(set(record.languages))
        if record.audience:
            counts["audience"][record.audience] += 1
        if record.year:
            counts["decade"][str(record.year // 10 * 10)] += 1
        counts["subject"].update(set(record.subjects))
    counts["available"] = Counter({"yes": available})
    return counts


def engine_counts(result: engine.SearchResult) -> dict[str, Counter]:
    counts = {name: Counter(dict(values)) for name, values in result.facets.items()}
    counts["available"] = Counter({"yes": result.available_count})
    return counts


def test_facet_counts_equal_database_counts(catalogue):
    """Over the whole test catalogue, every facet value counts the same records as the database."""
    rebuild_index()
    result = engine.search(engine.SearchParams(per_page=1))
    assert result.total == Record.objects.count()
    assert engine_counts(result) == database_counts(list(Record.objects.all()))


def test_facet_counts_follow_the_query_and_filters(catalogue):
    """With a query and two filters, counts are those of the matching records only."""
    rebuild_index()
    params = engine.SearchParams(
        q="guerre", filters={"library": ["lens"], "decade": ["1860"]}, per_page=50
    )
    result = engine.search(params)
    assert result.record_ids == [catalogue["guerre_paix"].pk]
    assert engine_counts(result) == database_counts([catalogue["guerre_paix"]])


def test_filters_within_a_facet_are_alternatives_and_across_facets_combine(catalogue):
    """Two document types give either; adding a library narrows to records held there."""
    rebuild_index()
    both = engine.search(engine.SearchParams(filters={"doc_type": ["video", "music"]}))
    assert set(both.record_ids) == {catalogue["film"].pk, catalogue["music"].pk}
    narrowed = engine.search(
        engine.SearchParams(filters={"doc_type": ["video", "music"], "library": ["vimy"]})
    )
    assert narrowed.record_ids == []  # the Vimy copy of the film is lost
    at_lens = engine.search(
        engine.SearchParams(filters={"doc_type": ["video", "music"], "library": ["lens"]})
    )
    assert at_lens.record_ids == [catalogue["film"].pk]


def test_available_now_optionally_at_one_library(catalogue):
    """'Available now' keeps records with a copy on the shelf; at Harnes, only those on its shelves."""
    rebuild_index()
    anywhere = set(engine.search(engine.SearchParams(available=True, per_page=50)).record_ids)
    expected = set(
        Item.objects.filter(status=ItemStatus.AVAILABLE)
        .values_list("record_id", flat=True)
        .distinct()
    )
    assert anywhere == expected
    at_harnes = set(
        engine.search(
            engine.SearchParams(available=True, available_at="harnes", per_page=50)
        ).record_ids
    )
    assert at_harnes == {catalogue["stories"].pk, catalogue["film"].pk, catalogue["music"].pk}


def test_facet_counts_stay_exact_after_changes_applied_through_the_outbox(
    catalogue, django_capture_on_commit_callbacks
):
    """Documents re-indexed one by one (new record, new copy, a loan) count like the database."""
    rebuild_index()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            record = make_record(title="Nouvelle notice", languages=["ger", "fre"], year=1911)
            make_item(record=record, library=catalogue["etoile"].items.first().owning_library)
            catalogue["hugo"].items.update(status=ItemStatus.ON_LOAN)
            enqueue_records([record.pk, catalogue["hugo"].pk])
    result = engine.search(engine.SearchParams(per_page=1))
    assert engine_counts(result) == database_counts(list(Record.objects.all()))


def test_libraries_beyond_the_facet_bits_are_counted_exactly(
    catalogue, index_dir, monkeypatch, django_capture_on_commit_callbacks
):
    """With room for 14 library bits (given in id order: Harnes and Lens get one, Vimy
    does not), Vimy is counted from the overflow field, at a rebuild and after an update."""
    monkeypatch.setattr(search_index, "LIBRARY_BITS", 14)
    rebuild_index()
    bits = search_index.load_library_bits(index_dir)
    assert len(bits) == 14 and {"lens", "harnes"} <= set(bits) and "vimy" not in bits
    result = engine.search(engine.SearchParams(per_page=1))
    assert engine_counts(result) == database_counts(list(Record.objects.all()))
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            catalogue["chevaux"].items.update(status=ItemStatus.ON_LOAN)
            enqueue_records([catalogue["chevaux"].pk])
    result = engine.search(engine.SearchParams(q="cheval", per_page=1))
    assert engine_counts(result) == database_counts([catalogue["chevaux"]])
    filtered = engine.search(engine.SearchParams(filters={"library": ["vimy"]}, per_page=50))
    assert sorted(filtered.record_ids) == sorted(
        Record.objects.filter(items__owning_library__code="vimy")
        .exclude(items__status__in=[ItemStatus.LOST, ItemStatus.WITHDRAWN])
        .values_list("pk", flat=True)
        .distinct()
    )


def test_subject_counts_are_exact_across_index_segments(
    index_dir, django_capture_on_commit_callbacks
):
    """A subject rare in one segment and frequent in another is counted in both.

    The rebuild writes 160 subjects on two records each and "Zinc" on one; records added
    afterwards (a second segment) carry "Zinc" twenty times. A count kept per segment
    to its top values only would miss the first segment's "Zinc".
    """
    for i in range(160):
        for _ in range(2):
            make_record(title=f"Notice {i}", subjects=[f"Sujet {i:03d}"])
    make_record(title="Notice zinc", subjects=["Zinc"])
    rebuild_index()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            added = [make_record(title="Autre", subjects=["Zinc"]).pk for _ in range(20)]
            enqueue_records(added)
    assert search_index.open_index().searcher().num_segments >= 2
    result = engine.search(engine.SearchParams(per_page=1))
    assert result.facets["subject"][0] == ("Zinc", 21)
    assert all(count == 2 for _, count in result.facets["subject"][1:])
