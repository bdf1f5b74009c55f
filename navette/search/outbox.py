"""Enqueue records for re-indexing, in the writer's transaction."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from navette.core.rows import insert
from navette.search.models import IndexOutbox


def enqueue_records(record_ids: Iterable[int]) -> None:
    """Mark records as changed; the index is updated after the transaction commits.

    Call it in the same transaction as the change (record edit, copy added,
    loan, return...). Nothing happens if the transaction rolls back.
    """
    ids = set(record_ids)
    if not ids:
        return
    if len(ids) <= 4:  # a loan, a return: a plain INSERT (navette.core.rows)
        insert([IndexOutbox(record_id=rid) for rid in sorted(ids)], keys=False)
    else:
        IndexOutbox.objects.bulk_create(IndexOutbox(record_id=rid) for rid in ids)
    from navette.search.updater import schedule

    transaction.on_commit(schedule)


def enqueue_record(record_id: int) -> None:
    enqueue_records([record_id])
