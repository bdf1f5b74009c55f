"""The stable codes of circulation refusals (``Reason``): stored nowhere, mapped by every
interface (HTTP status, desk message, SIP2 screen message) and worded in ``messages``."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    OK = "ok"
    # patron
    CARD_EXPIRED = "card_expired"
    PATRON_BLOCKED = "patron_blocked"
    PATRON_SUSPENDED = "patron_suspended"
    FINES_DUE = "fines_due"
    # copy
    ITEM_NOT_CIRCULATING = "item_not_circulating"
    ITEM_ON_LOAN = "item_on_loan"
    ITEM_ALREADY_LENT_TO_PATRON = "item_already_lent_to_patron"
    ITEM_HELD_FOR_OTHER = "item_held_for_other"
    ITEM_IN_TRANSIT = "item_in_transit"
    ITEM_UNAVAILABLE = "item_unavailable"
    # limits
    MAX_LOANS = "max_loans"
    MAX_LOANS_TYPE = "max_loans_type"
    # renewal
    LOAN_CLOSED = "loan_closed"
    MAX_RENEWALS = "max_renewals"
    HOLD_WAITING = "hold_waiting"
    # holds
    HOLDS_NOT_ALLOWED = "holds_not_allowed"
    MAX_HOLDS = "max_holds"
    ALREADY_HELD = "already_held"
    ALREADY_ON_LOAN = "already_on_loan"
    NO_HOLDABLE_COPY = "no_holdable_copy"
    HOLD_CLOSED = "hold_closed"
    HOLD_TRAPPED = "hold_trapped"
    BAD_SUSPENSION = "bad_suspension"
    PICKUP_INACTIVE = "pickup_inactive"
    # transits / returns
    NOT_IN_TRANSIT = "not_in_transit"
    CRATE_EMPTY = "crate_empty"
    ITEM_NOT_FOUND = "item_not_found"
    # fines
    NO_FINES_DUE = "no_fines_due"
    PAYMENT_INVALID = "payment_invalid"
    PAYMENT_EXCEEDS_DUE = "payment_exceeds_due"
