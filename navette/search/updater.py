"""Applying the outbox to this node's index, after commit.

Multi-node scheme: outbox rows are never consumed by deletion. Each index
directory keeps a small state file (``navette-outbox.json``) with the id of
the last outbox row it applied, so every node (each with its own index)
replays the same rows independently. Ids from a sequence may become visible
out of order (a transaction that took id 10 can commit after the one that
took id 11), so ids skipped below the position are remembered as *gaps* and
looked at again for ``GAP_PATIENCE`` seconds. Rows older than
``OUTBOX_RETENTION`` are pruned by a job; an index whose state is older than
that (node down for days), of another schema version, or missing, is rebuilt
from the database.

Who applies the rows (``NAVETTE_SEARCH_UPDATES``): under ``navette serve``, one
process per node, ``navette search-indexer`` (``follow_outbox``), while the web
and SIP2 processes only write rows ("deferred"). A process running alone
("background") has ``enqueue_records`` register ``transaction.on_commit(schedule)``,
which wakes a thread of its own; tests apply them at once ("inline"). The
``search-outbox`` job and ``navette reindex`` are the safety nets.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Max, Q

from navette.core.models import RecordChange
from navette.core.outbox import on_records_changed
from navette.search import index as search_index

log = logging.getLogger("navette.search")

STATE_FILE = "navette-outbox.json"
GAP_PATIENCE = 300.0
OUTBOX_RETENTION = dt.timedelta(days=2)
BATCH = 2000
#: seconds the background thread waits, once woken, before applying the outbox
BACKGROUND_DELAY = 0.2


def read_state(path: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((path / STATE_FILE).read_text()))
    except (OSError, ValueError):
        return {}


def write_state(path: Path, state: dict[str, Any]) -> None:
    """Write the state atomically (rename), so a crash never leaves half a file."""
    tmp = path / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state))
    os.replace(tmp, path / STATE_FILE)


def outbox_high_water() -> int:
    return RecordChange.objects.aggregate(m=Max("id"))["m"] or 0


def state_after_rebuild(position: int) -> dict[str, Any]:
    """State for an index built from a database read that started after row ``position``.

    Ids missing just below the position may belong to transactions still
    running at that moment: they are kept as gaps.
    """
    window = 1000
    present = set(
        RecordChange.objects.filter(id__gt=position - window, id__lte=position).values_list(
            "id", flat=True
        )
    )
    now = time.time()
    gaps = {
        str(i): now for i in range(max(1, position - window + 1), position + 1) if i not in present
    }
    return {
        "schema": search_index.SCHEMA_VERSION,
        "last": position,
        "gaps": gaps,
        "processed_at": now,
    }


def _needs_rebuild(path: Path, state: dict[str, Any]) -> str:
    if not search_index.index_exists(path):
        return "index absent"
    if state.get("schema") != search_index.SCHEMA_VERSION:
        return "état d'index absent ou d'une autre version"
    if time.time() - float(state.get("processed_at", 0)) > OUTBOX_RETENTION.total_seconds():
        return "index plus ancien que la file d'indexation conservée"
    return ""


def _position(state: dict[str, Any], now: float) -> tuple[int, dict[int, float]]:
    """The last outbox row applied, and the ids below it still looked for (gaps)."""
    gaps = {
        int(k): float(v) for k, v in state.get("gaps", {}).items() if now - float(v) < GAP_PATIENCE
    }
    return int(state.get("last", 0)), gaps


def outbox_pending(path: Path | None = None) -> bool:
    """Whether the index at ``path`` has outbox rows to apply, or is to be rebuilt: one
    indexed read, for a loop that looks often."""
    path = path or search_index.index_dir()
    state = read_state(path)
    if _needs_rebuild(path, state):
        return True
    last, gaps = _position(state, time.time())
    return RecordChange.objects.filter(Q(id__gt=last) | Q(id__in=list(gaps))).exists()


def follow_outbox(
    *, every: float | None = None, stop: threading.Event | None = None, path: Path | None = None
) -> None:
    """Keep the index at ``path`` up to date until ``stop`` is set: look at the outbox every
    ``every`` seconds (``NAVETTE_SEARCH_FOLLOW_EVERY``) and apply what came. This is the
    node's one indexer (``navette search-indexer``, started by ``navette serve``): its web
    and SIP2 processes only write outbox rows, and their searches see each commit of the
    index. An error is logged and the loop goes on (the database may come back)."""
    every = settings.NAVETTE_SEARCH_FOLLOW_EVERY if every is None else every
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            if outbox_pending(path):
                process_outbox(path)
        except search_index.IndexBusy:
            # a rebuild (navette reindex) or another indexer is writing: look again later
            log.info("search index busy with another writer; will look again")
        except Exception:
            log.exception("search outbox processing failed")
            if not connection.in_atomic_block:
                connection.close()  # opened again at the next look
        else:
            if not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()
        stop.wait(every)


def process_outbox(path: Path | None = None) -> int:
    """Apply every pending outbox row to the index at ``path``; returns records re-indexed.

    Rebuilds the index instead when it is missing, stale or of another version.
    """
    path = path or search_index.index_dir()
    with search_index.writer_lock:
        state = read_state(path)
        reason = _needs_rebuild(path, state)
        if reason:
            log.warning("search index rebuilt (%s)", reason)
            return search_index.rebuild_index(path).documents
        index = search_index.open_index(path)
        assert index is not None
        now = time.time()
        last, gaps = _position(state, now)
        total = 0
        writer = None
        while True:
            rows = list(
                RecordChange.objects.filter(Q(id__gt=last) | Q(id__in=list(gaps)))
                .order_by("id")
                .values_list("id", "record_id")[:BATCH]
            )
            if not rows:
                break
            seen = {row_id for row_id, _ in rows}
            top = max(seen)
            for row_id in range(last + 1, top):
                if row_id not in seen:
                    gaps.setdefault(row_id, now)
            for row_id in seen:
                gaps.pop(row_id, None)
            if writer is None:
                writer = search_index.writer_for(index)
            total += search_index.apply_records(writer, (rid for _, rid in rows), path=path)
            writer.commit()
            last = max(last, top)
            if len(rows) < BATCH:
                break
        if writer is not None:
            writer.wait_merging_threads()
            index.reload()
        write_state(
            path,
            {"schema": search_index.SCHEMA_VERSION, "last": last,
             "gaps": {str(k): v for k, v in gaps.items()}, "processed_at": now},
        )  # fmt: skip
        return total


def prune_outbox(now: dt.datetime) -> int:
    """Delete outbox rows older than the retention period (every node has applied them)."""
    deleted, _ = RecordChange.objects.filter(created_at__lt=now - OUTBOX_RETENTION).delete()
    return deleted


# --- after-commit trigger --------------------------------------------------------------------


class _Worker:
    """One daemon thread per process that applies the outbox whenever woken."""

    def __init__(self) -> None:
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def poke(self) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self.run, name="navette-search-outbox", daemon=True
                )
                self.thread.start()
        self.wake.set()

    def run(self) -> None:
        while True:
            self.wake.wait()
            # Commits come in bursts (a kiosk's checkout then its checkin, 50 kiosks, a
            # desk's scans): a moment's wait lets one index commit apply them all, where
            # an index commit per transaction cost more CPU than the loan itself.
            time.sleep(BACKGROUND_DELAY)
            self.wake.clear()
            try:
                process_outbox()
            except Exception:  # the job will retry; never let the thread die
                log.exception("search outbox processing failed")
            finally:
                if self.wake.is_set():  # more commits came meanwhile: keep the connection
                    connection.close_if_unusable_or_obsolete()
                else:  # idle: give it back
                    connection.close()


_worker = _Worker()


def schedule() -> None:
    """Called after a commit that enqueued records: apply the outbox soon."""
    mode = settings.NAVETTE_SEARCH_UPDATES
    if mode == "inline":
        process_outbox()
    elif mode == "background":
        _worker.poke()


def connect() -> None:
    """Consume core's record-changed outbox: apply it after each commit that enqueued
    records (from SearchConfig.ready)."""
    on_records_changed(schedule)
