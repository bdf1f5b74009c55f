"""The record-changed outbox: mark records as changed, in the writer's transaction.

Catalogue, circulation and digital call ``enqueue_records`` in the transaction that
changes a record, a copy or a loan. Core knows none of the consumers: a consumer (the
search index) reads ``RecordChange`` rows and registers, from its ``AppConfig.ready``,
a callback run after each commit that enqueued records (``on_records_changed``). So
search depends on core and the writers, and no writer depends on search.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction

from navette.core.models import RecordChange
from navette.core.rows import append, insert

_after_commit: list[Callable[[], None]] = []


def on_records_changed(callback: Callable[[], None]) -> None:
    """Run ``callback`` after each commit that enqueued records (registered once)."""
    if callback not in _after_commit:
        _after_commit.append(callback)


def enqueue_records(record_ids: Iterable[int]) -> None:
    """Mark records as changed; consumers are woken after the transaction commits.

    Call it in the same transaction as the change (record edit, copy added,
    loan, return...). Nothing happens if the transaction rolls back.
    """
    ids = set(record_ids)
    if not ids:
        return
    if len(ids) == 1:  # a loan, a return: a plain INSERT (navette.core.rows)
        append(RecordChange, {"record_id": next(iter(ids))})
    elif len(ids) <= 4:
        insert([RecordChange(record_id=rid) for rid in sorted(ids)], keys=False)
    else:
        RecordChange.objects.bulk_create(RecordChange(record_id=rid) for rid in ids)
    transaction.on_commit(consumers_wake)


def consumers_wake() -> None:
    """Wake every consumer now (after a commit, or once at the end of a bulk import)."""
    for callback in _after_commit:
        callback()


def enqueue_record(record_id: int) -> None:
    enqueue_records([record_id])
