"""Two MARC imports at once: one import at a time per database, and a clear word for the second."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from conftest import NOW, unimarc_record
from navette.catalogue import importer
from navette.catalogue.models import Record, RecordIdentifier
from navette.core.dblocks import job_lock
from navette.search import index as search_index


def _file(tmp_path: Path, n: int, *, copies: bool = True) -> Path:
    """``n`` UNIMARC records, with one copy each (library LENS) or none, as one ISO 2709 file."""
    path = tmp_path / f"lot-{n}.mrc"
    path.write_bytes(
        b"".join(
            unimarc_record(
                f"Titre {i}", ppn=f"PPN{i:06d}", copies=[("LENS", f"BC{i:07d}")] if copies else []
            )
            for i in range(n)
        )
    )
    return path


class _HeldElsewhere:
    """The import lock held by another thread, on its own database connection."""

    def __init__(self) -> None:
        self.taken = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self) -> None:
        try:
            with job_lock(importer.IMPORT_LOCK, wait=False):
                self.taken.set()
                self.release.wait(30)
        finally:
            connection.close()

    def __enter__(self) -> _HeldElsewhere:
        self.thread.start()
        assert self.taken.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.thread.join(10)


@pytest.mark.django_db(transaction=True)
def test_second_import_is_refused_before_reading_anything(relire, tmp_path):
    """While another import holds the lock, an import raises ImportBusy saying what to do,
    and stores nothing; once the first is done, the same import goes through."""
    path = _file(tmp_path, 20)
    with _HeldElsewhere(), pytest.raises(importer.ImportBusy) as busy:
        importer.import_marc_files([path], now=NOW, workers=0, rejects_path=tmp_path / "r.mrc")
    assert "un autre import MARC est en cours" in str(busy.value)
    assert "--wait" in str(busy.value)
    assert Record.objects.count() == 0
    report = importer.import_marc_files([path], now=NOW, workers=0, rejects_path=tmp_path / "r.mrc")
    assert report.created == 20 and Record.objects.count() == 20


@pytest.mark.django_db(transaction=True)
def test_cli_refuses_a_second_import_with_a_clear_message(relire, tmp_path, settings):
    """`navette import-marc` while another import runs: a CommandError (exit 1) that says
    nothing was imported, and no record written."""
    settings.NAVETTE_SEARCH_UPDATES = "deferred"
    path = _file(tmp_path, 5)
    with _HeldElsewhere(), pytest.raises(CommandError, match="rien n'a été importé"):
        call_command("import_marc", str(path), "--rejects", str(tmp_path / "r.mrc"))
    assert Record.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_cli_exits_zero_with_a_note_when_only_the_index_update_is_deferred(
    relire, tmp_path, settings, capsys
):
    """The search index is held by another writer (the node's indexer, a rebuild): the
    import has committed everything, so the command ends normally (no exception, exit 0)
    with a note that the records will be indexed when the index is free."""
    settings.NAVETTE_SEARCH_UPDATES = "deferred"
    settings.NAVETTE_SEARCH_INDEX_DIR = tmp_path / "index"
    index = search_index.open_index(tmp_path / "index")
    search_index.rebuild_index(tmp_path / "index")
    holder = search_index.writer_for(index)  # another writer holds Tantivy's lock
    try:
        call_command("import_marc", str(_file(tmp_path, 5)), "--rejects", str(tmp_path / "r.mrc"))
    finally:
        del holder
    out = capsys.readouterr().out
    assert "5 créées" in out
    assert "l'index de recherche est occupé" in out
    assert Record.objects.count() == 5


def _import_at_once(path: Path, tmp_path: Path, *, wait: bool) -> list[object]:
    """Two imports of ``path`` started together, each in its own thread and connection;
    returns each one's report, or the exception it raised."""
    barrier = threading.Barrier(2)

    def run(i: int) -> object:
        try:
            barrier.wait(timeout=30)
            return importer.import_marc_files(
                [path], now=NOW, workers=0, batch_size=50, wait=wait,
                rejects_path=tmp_path / f"rejets-{i}.mrc",
            )  # fmt: skip
        except importer.ImportBusy as exc:
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(run, range(2)))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_imports_waiting_leave_each_record_once(relire, tmp_path):
    """Two imports of the same 500 records at once, the second told to wait: the first
    creates the 500 records, the second then finds them all unchanged; 500 records, one
    identifier set per record (without the lock: each import created most of them)."""
    path = _file(tmp_path, 500, copies=False)
    reports = _import_at_once(path, tmp_path, wait=True)
    assert sorted((r.created, r.unchanged, r.rejected) for r in reports) == [  # type: ignore[attr-defined]
        (0, 500, 0),
        (500, 0, 0),
    ]
    assert Record.objects.count() == 500
    assert RecordIdentifier.objects.filter(kind="001+003").count() == 500


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_imports_not_waiting_one_is_refused(relire, tmp_path):
    """Two imports of the same 500 records at once, neither waiting: one imports the 500
    records, the other is refused with ImportBusy and writes nothing."""
    path = _file(tmp_path, 500, copies=False)
    outcomes = _import_at_once(path, tmp_path, wait=False)
    refused = [o for o in outcomes if isinstance(o, importer.ImportBusy)]
    done = [o for o in outcomes if isinstance(o, importer.ImportReport)]
    assert len(refused) == 1 and len(done) == 1
    assert done[0].created == 500
    assert Record.objects.count() == 500
