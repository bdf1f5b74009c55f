"""The shared catalogue's duplicates: merge two records, undo a merge, tell two apart."""

from __future__ import annotations

import datetime as dt

from navette.catalogue import merging
from navette.catalogue.duplicates import duplicates_scan
from navette.catalogue.models import Record, RecordMerge
from navette.core.actors import Actor
from navette.core.errors import DomainError
from navette.desk.outcomes import Code, Outcome, done, from_error


def desk_record_merge(*, kept: Record, merged: Record, actor: Actor, now: dt.datetime) -> Outcome:
    """Merge ``merged`` into ``kept``: ``records_merged`` with ``merge``, ``title`` and
    ``copies`` (how many moved); a refusal keeps the catalogue's code (``record_gone``,
    ``record_linked``, ``holds_both_trapped``...). ``OutOfScope`` and
    ``CatalogueRoleRequired`` propagate (answered 403)."""
    try:
        merge = merging.record_merge(kept=kept, merged=merged, actor=actor, now=now)
    except DomainError as exc:
        return from_error(exc, message=exc.message)
    return done(Code.RECORDS_MERGED, merge=merge, title=kept.title,
                copies=len(merge.snapshot["items"]))  # fmt: skip


def desk_record_merge_undo(*, merge: RecordMerge, actor: Actor, now: dt.datetime) -> Outcome:
    """Undo a merge: ``merge_undone`` with the restored ``record``; a refusal says why with
    its code (``already_undone``, ``kept_gone``, ``copy_moved``, ``hold_on_kept_copy``,
    ``copy_held_for_kept``, ``hold_moved``, ``hold_changed``)."""
    try:
        record = merging.record_merge_undo(merge=merge, actor=actor, now=now)
    except DomainError as exc:
        return from_error(exc, message=exc.message)
    return done(Code.MERGE_UNDONE, record=record, title=record.title)


def desk_records_distinct(*, first: Record, second: Record, actor: Actor,
                          now: dt.datetime) -> Outcome:  # fmt: skip
    """Remember two records as distinct: ``records_distinct``."""
    try:
        merging.records_not_duplicate(first=first, second=second, actor=actor, now=now)
    except DomainError as exc:
        return from_error(exc, message=exc.message)
    return done(Code.RECORDS_DISTINCT)


def desk_duplicates_scan(*, actor: Actor, now: dt.datetime) -> Outcome:
    """Pair the records sharing keys again now (``duplicates_scan``, forced):
    ``duplicates_scanned`` with ``pairs`` and ``seconds``. ``CatalogueRoleRequired``
    propagates (answered 403)."""
    scan = duplicates_scan(actor=actor, now=now, force=True)
    assert scan is not None  # forced: never skipped
    return done(Code.DUPLICATES_SCANNED, pairs=scan.pairs, seconds=scan.seconds)
