"""Locks that span several transactions of one job, held by the database (or beside it).

A batch job that commits as it goes (the MARC import) cannot protect itself
with a row lock, which ends with each batch's transaction. It takes a named
job lock instead:

- on PostgreSQL, a session-level advisory lock (``pg_advisory_lock``) on the
  job's connection: released at the end, or by the server when the process
  dies, so a crash never leaves a stale lock;
- on SQLite (a file on this machine), an exclusive ``flock`` on a file beside
  the database: released by the kernel when the process dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.db import DatabaseError, connection


class JobLockBusy(Exception):
    """Another process holds the job lock ``name`` (and the caller asked not to wait)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_lock`` (the same in every process)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _lock_file(name: str) -> Path:
    db_name = str(connection.settings_dict["NAME"])
    if db_name == ":memory:" or "mode=memory" in db_name or not os.path.isabs(db_name):
        # an in-memory (test) database: one lock file per database name in the temp dir
        digest = hashlib.sha256(db_name.encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"navette-{digest}.{name}.lock"
    return Path(f"{db_name}.{name}.lock")


@contextlib.contextmanager
def job_lock(name: str, *, wait: bool) -> Iterator[None]:
    """Hold the job lock ``name`` for the duration of the block.

    ``wait=False`` raises :class:`JobLockBusy` at once when another process holds
    it; ``wait=True`` blocks until that process is done. Must not be entered
    inside a transaction on PostgreSQL (the lock outlives transactions on purpose).
    """
    if connection.vendor == "postgresql":
        key = _key(name)
        with connection.cursor() as cursor:
            if wait:
                cursor.execute("SELECT pg_advisory_lock(%s)", [key])
            else:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
                if not cursor.fetchone()[0]:
                    raise JobLockBusy(name)
        try:
            yield
        finally:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
            except DatabaseError:
                # a broken connection (interrupted query): closing it ends the session's locks
                connection.close()
        return
    path = _lock_file(name)
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise JobLockBusy(name) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
