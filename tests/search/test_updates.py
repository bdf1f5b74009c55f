"""Keeping the index up to date: outbox after commit, per-index position, rebuilds."""

from __future__ import annotations

import gc
import logging
import shutil
import threading
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from navette.catalogue.models import ItemStatus, Record
from navette.core.models import RecordChange
from navette.core.outbox import enqueue_record
from navette.search import engine, updater
from navette.search.index import forget_index, rebuild_index
from tests.catalogue.factories import make_item, make_record

pytestmark = pytest.mark.django_db


def available_ids() -> set[int]:
    return set(engine.search(engine.SearchParams(available=True, per_page=100)).record_ids)


def test_a_checkout_is_visible_in_search_after_commit(
    catalogue, django_capture_on_commit_callbacks
):
    """When a copy goes on loan and its record is enqueued, the index follows at commit."""
    rebuild_index()
    record = catalogue["chevaux"]
    assert record.pk in available_ids()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            record.items.update(status=ItemStatus.ON_LOAN)
            enqueue_record(record.pk)
    assert record.pk not in available_ids()


def test_nothing_is_applied_when_the_transaction_rolls_back(
    catalogue, django_capture_on_commit_callbacks
):
    """A rolled-back change schedules nothing."""
    rebuild_index()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                enqueue_record(catalogue["chevaux"].pk)
                raise RuntimeError("rollback")
        except RuntimeError:
            pass
    assert callbacks == []


def test_new_and_edited_records_are_indexed_and_outbox_rows_kept(
    catalogue, index_dir, django_capture_on_commit_callbacks
):
    """A new record becomes searchable; rows stay for other nodes; the position file advances."""
    rebuild_index()
    with django_capture_on_commit_callbacks(execute=True):
        record = make_record(title="Le Petit Prince", authors=["Antoine de Saint-Exupéry"])
        enqueue_record(record.pk)
    assert engine.search(engine.SearchParams(q="petit prince")).record_ids == [record.pk]
    assert RecordChange.objects.filter(record_id=record.pk).exists()
    assert updater.read_state(index_dir)["last"] == RecordChange.objects.latest("id").id


def test_each_index_directory_applies_the_outbox_on_its_own(
    catalogue, index_dir, tmp_path, settings
):
    """Two nodes (two index directories) each apply the same pending rows."""
    rebuild_index()
    other = tmp_path / "other-node"
    rebuild_index(other)
    record = make_record(title="Vingt mille lieues sous les mers", authors=["Jules Verne"])
    make_item(record=record, library=catalogue["etoile"].items.first().owning_library)
    RecordChange.objects.create(record_id=record.pk)
    assert updater.process_outbox(index_dir) == 1
    assert updater.process_outbox(index_dir) == 0  # already applied here
    assert updater.process_outbox(other) == 1  # not yet there
    settings.NAVETTE_SEARCH_INDEX_DIR = other
    assert engine.search(engine.SearchParams(q="vingt mille lieues")).record_ids == [record.pk]


def test_an_id_committed_late_is_not_lost(catalogue, index_dir):
    """A row whose id is below the position (committed late) is still applied, via the gaps."""
    rebuild_index()
    late = make_record(title="Germinal", authors=["Émile Zola"])
    first = RecordChange.objects.create(record_id=catalogue["music"].pk)
    later = RecordChange.objects.create(record_id=catalogue["music"].pk)
    first_id = first.id
    first.delete()  # as if this id were still in an uncommitted transaction
    updater.process_outbox(index_dir)
    assert str(first_id) in updater.read_state(index_dir)["gaps"]
    RecordChange.objects.create(id=first_id, record_id=late.pk)  # it commits now
    updater.process_outbox(index_dir)
    assert engine.search(engine.SearchParams(q="germinal")).record_ids == [late.pk]
    assert updater.read_state(index_dir)["last"] == later.id


def test_a_missing_index_is_rebuilt(catalogue, index_dir):
    """With the index directory deleted, the outbox processor rebuilds it from the database."""
    rebuild_index()
    shutil.rmtree(index_dir)
    forget_index(index_dir)
    assert (
        engine.search(engine.SearchParams(q="etoile")).total == 0
    )  # no index: no results, no error
    updater.process_outbox()
    found = engine.search(engine.SearchParams(q="etoile")).record_ids
    assert set(found) == {catalogue["etoile"].pk, catalogue["etoiles"].pk}


def test_reindex_command_and_job(catalogue, index_dir):
    """`navette reindex` builds the index; the search-outbox job applies pending rows."""
    from navette.core import clock
    from navette.core.jobs import run_jobs

    call_command("reindex")
    assert engine.search(engine.SearchParams()).total == len(catalogue)
    record = make_record(title="Bel-Ami", authors=["Guy de Maupassant"])
    RecordChange.objects.create(record_id=record.pk)
    results = dict(run_jobs(clock.now(), only={"search-outbox"}))
    assert "1" in results["search-outbox"]
    assert engine.search(engine.SearchParams(q="bel ami")).record_ids == [record.pk]


class _Looks(threading.Event):
    """A stop event set after ``n`` looks of the indexer's loop."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n, self.looks = n, 0

    def wait(self, timeout: float | None = None) -> bool:
        self.looks += 1
        if self.looks >= self.n:
            self.set()
        return self.is_set()


def test_the_node_indexer_applies_what_other_processes_queue(
    catalogue, index_dir, settings, django_capture_on_commit_callbacks
):
    """Under `navette serve` the web and SIP2 processes only queue their changes ("deferred"):
    the index is left as it was until the node's indexer (follow_outbox) looks, applies them,
    and then finds nothing pending."""
    rebuild_index()
    settings.NAVETTE_SEARCH_UPDATES = "deferred"
    record = catalogue["chevaux"]
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            record.items.update(status=ItemStatus.ON_LOAN)
            enqueue_record(record.pk)
    assert record.pk in available_ids()  # the writer did not index
    assert updater.outbox_pending(index_dir)
    looks = _Looks(2)
    updater.follow_outbox(every=0, stop=looks, path=index_dir)
    assert looks.looks == 2
    assert record.pk not in available_ids()
    assert not updater.outbox_pending(index_dir)


def test_the_node_indexer_rebuilds_a_missing_index_and_survives_errors(
    catalogue, index_dir, monkeypatch, caplog
):
    """A missing index is pending work (rebuilt at the first look); an error at one look is
    logged and the next look goes on."""
    shutil.rmtree(index_dir, ignore_errors=True)
    forget_index(index_dir)
    assert updater.outbox_pending(index_dir)
    calls = []
    real = updater.process_outbox

    def flaky(path=None):
        calls.append(path)
        if len(calls) == 1:
            raise RuntimeError("database gone")
        return real(path)

    monkeypatch.setattr(updater, "process_outbox", flaky)
    updater.follow_outbox(every=0, stop=_Looks(2), path=index_dir)
    assert len(calls) == 2
    assert "search outbox processing failed" in caplog.text
    assert engine.search(engine.SearchParams(q="etoile")).total == 2
    assert not updater.outbox_pending(index_dir)


def test_a_busy_index_is_left_to_its_writer(catalogue, index_dir, caplog):
    """While another writer holds the index (the node's indexer, a rebuild), the
    search-outbox job says there is nothing to do and the indexer's loop looks again later,
    neither failing, and `navette reindex` asks to try again; once the writer is gone, the
    rows are applied."""
    from navette.core import clock
    from navette.core.jobs import run_jobs
    from navette.search.index import open_index

    rebuild_index()
    record = make_record(title="Le Horla", authors=["Guy de Maupassant"])
    RecordChange.objects.create(record_id=record.pk)
    writer = open_index(index_dir).writer(heap_size=15_000_000, num_threads=1)
    try:
        results = dict(run_jobs(clock.now(), only={"search-outbox"}))
        assert "autre processus" in results["search-outbox"]
        with caplog.at_level(logging.INFO, logger="navette.search"):
            updater.follow_outbox(every=0, stop=_Looks(1), path=index_dir)
        assert "busy with another writer" in caplog.text
        assert "processing failed" not in caplog.text
        assert updater.outbox_pending(index_dir)
        with pytest.raises(CommandError, match="autre processus : réessayez"):
            call_command("reindex")
    finally:
        del writer  # Tantivy releases its lock file when the writer is dropped
        gc.collect()
    updater.follow_outbox(every=0, stop=_Looks(1), path=index_dir)
    assert engine.search(engine.SearchParams(q="horla")).record_ids == [record.pk]


def test_the_demo_builds_the_index_once(relire, index_dir, monkeypatch):
    """On a first start the catalogue's import queues its records and wakes the updater; the
    demo's search step then only applies what is left: the index is built once, not twice."""
    from navette.catalogue.importer import import_marc_files
    from navette.core import clock
    from navette.search import demo as search_demo
    from navette.search import index as search_index

    builds = []
    real = search_index.rebuild_index
    monkeypatch.setattr(
        search_index, "rebuild_index", lambda *a, **k: builds.append(1) or real(*a, **k)
    )
    fixtures = sorted((Path(__file__).parents[1] / "catalogue" / "fixtures").glob("*.[mx][rm][cl]"))
    report = import_marc_files(fixtures, now=clock.now(), default_library="lens")
    assert report.created > 10
    lines: list[str] = []
    search_demo.load(type("Ctx", (), {"log": staticmethod(lines.append)})())
    assert len(builds) == 1  # by the updater the import woke; the demo step had nothing left
    assert lines == ["Index de recherche : 0 notice indexée"]
    assert engine.search(engine.SearchParams(q="")).total == Record.objects.count()
    search_demo.load(type("Ctx", (), {"log": staticmethod(lines.append)})())
    assert len(builds) == 1 and lines[-1] == "Index de recherche : 0 notice indexée"
