"""Batch changes of copies and records at a desk: preview, apply, undo.

Each interface parses its input (a file, a scanned list, a form) into a ``Selection`` and
a ``Change``, then calls these; refusals come back as outcomes with the catalogue's codes.
``OutOfScope`` and ``NotCataloguer`` propagate (answered 403)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from navette.catalogue import batches
from navette.catalogue.models import Batch
from navette.core.actors import Actor
from navette.core.errors import DomainError
from navette.desk.outcomes import Code, Outcome, done, from_error


def desk_batch_preview(*, selection: batches.Selection, change: batches.Change, actor: Actor,
                       now: dt.datetime) -> Outcome:  # fmt: skip
    """``batch_previewed`` with ``preview`` (a ``batches.Preview``); a change that makes no
    sense keeps its code (``status_not_editable``, ``batch_library_required``...)."""
    try:
        preview = batches.batch_preview(selection=selection, change=change, actor=actor, now=now)
    except DomainError as exc:
        return from_error(exc)
    return done(Code.BATCH_PREVIEWED, preview=preview)


def desk_batch_apply(*, selection: batches.Selection, change: batches.Change, actor: Actor,
                     now: dt.datetime) -> Outcome:  # fmt: skip
    """``batch_applied`` with ``batch``, ``changed`` and ``refused`` (counts)."""
    try:
        batch = batches.batch_apply(selection=selection, change=change, actor=actor, now=now)
    except DomainError as exc:
        return from_error(exc)
    return done(Code.BATCH_APPLIED, batch=batch, changed=batch.changed, refused=len(batch.refused))


def desk_records_delete_preview(*, record_ids: Sequence[int], actor: Actor,
                                now: dt.datetime) -> Outcome:  # fmt: skip
    """``batch_previewed`` with ``preview`` (a ``batches.RecordsPreview``)."""
    preview = batches.records_delete_preview(record_ids=record_ids, actor=actor, now=now)
    return done(Code.BATCH_PREVIEWED, preview=preview)


def desk_records_delete_apply(*, record_ids: Sequence[int], actor: Actor,
                              now: dt.datetime) -> Outcome:  # fmt: skip
    """``batch_applied`` with ``batch``, ``changed`` and ``refused`` (counts)."""
    try:
        batch = batches.records_delete_apply(record_ids=record_ids, actor=actor, now=now)
    except DomainError as exc:
        return from_error(exc)
    return done(Code.BATCH_APPLIED, batch=batch, changed=batch.changed, refused=len(batch.refused))


def desk_batch_undo(*, batch: Batch, actor: Actor, now: dt.datetime) -> Outcome:
    """``batch_undone`` with ``batch`` and ``restored`` (how many copies or records); a
    refusal says why (``batch_already_undone``, ``batch_changed_since`` with ``barcodes``,
    ``batch_restore_conflict``)."""
    try:
        undone = batches.batch_undo(batch=batch, actor=actor, now=now)
    except DomainError as exc:
        return from_error(exc)
    return done(Code.BATCH_UNDONE, batch=undone, restored=undone.changed)
