"""What a desk use case answers: a stable code and data (no prose)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from navette.core.errors import DomainError
from navette.network.scope import OutOfScope


class Code(StrEnum):
    """Desk outcome codes besides the circulation refusals (``circulation.reasons.Reason``,
    whose values are codes too)."""

    LENT = "lent"
    RETURNED = "returned"
    RECEIVED = "received"
    RENEWED = "renewed"
    RENEWED_ALL = "renewed_all"
    HOLD_PLACED = "hold_placed"
    HOLD_CANCELLED = "hold_cancelled"
    PICKUP_CHANGED = "pickup_changed"
    PAID = "paid"
    WAIVED = "waived"
    TRANSIT_LOST = "transit_lost"
    COPY_UPDATED = "copy_updated"
    COPY_WITHDRAWN = "copy_withdrawn"
    BATCH_PREVIEWED = "batch_previewed"
    BATCH_APPLIED = "batch_applied"
    BATCH_UNDONE = "batch_undone"
    PIN_SET = "pin_set"
    RECORDS_MERGED = "records_merged"
    MERGE_UNDONE = "merge_undone"
    RECORDS_DISTINCT = "records_distinct"
    DUPLICATES_SCANNED = "duplicates_scanned"
    OFFLINE_REPLAYED = "offline_replayed"
    OFFLINE_RECORDED = "offline_recorded"
    CARD_BLOCKED = "card_blocked"
    CARD_ENABLED = "card_enabled"
    PATRON_REGISTERED = "patron_registered"
    MEMBERSHIP_RENEWED = "membership_renewed"
    CARD_REPLACED = "card_replaced"
    CRATE_SENT = "crate_sent"
    PREFERENCES_SAVED = "preferences_saved"
    # refusals found at the desk, before any service
    CARD_NOT_FOUND = "card_not_found"
    ITEM_NOT_FOUND = "item_not_found"
    LOAN_NOT_FOUND = "loan_not_found"
    MISSING_LOAN = "missing_loan"
    NO_OPEN_LOAN = "no_open_loan"
    HOLD_NOT_ACTIVE = "hold_not_active"
    RECORD_NOT_FOUND = "record_not_found"
    LIBRARY_NOT_FOUND = "library_not_found"
    LENT_MEANWHILE = "lent_meanwhile"
    TRANSIT_CLOSED = "transit_closed"
    WAIVER_NEEDS_REASON = "waiver_needs_reason"
    FORBIDDEN_LIBRARY = OutOfScope.code


@dataclass(frozen=True)
class Outcome:
    """``ok`` and a stable ``code`` (a ``Code`` or a ``Reason`` value); ``data`` holds what
    the interface shows: barcodes, days (``datetime.date``), libraries (``Library``),
    amounts (``*_cents``), the loan or hold concerned. ``results`` lists the outcome of each
    part of a batch (renew all)."""

    ok: bool
    code: str
    data: dict[str, Any] = field(default_factory=dict)
    results: tuple[Outcome, ...] = ()


def done(code: Code, **data: Any) -> Outcome:
    return Outcome(True, str(code), data)


def refused(code: str, **data: Any) -> Outcome:
    return Outcome(False, str(code), data)


def from_error(exc: DomainError, **data: Any) -> Outcome:
    """A service's refusal as an outcome: its code, its context as data. (``OutOfScope`` is
    not turned into an outcome: it propagates, a ``PermissionDenied``, and each interface
    answers it as a refusal of access: 403, or the API's ``forbidden_library``.)"""
    return refused(exc.code, **{**exc.context, **data})
