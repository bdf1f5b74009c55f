"""Circulation rules as pure functions: no database, no clock, no I/O.

Inputs are plain dataclasses built by the services from rows; outputs are
``Decision`` objects carrying ``allowed``, a stable ``reason`` and, for loans,
the due date; a refusal's context holds data (dates, amounts in cents), worded by
``navette.circulation.messages`` in the reader's language.

Rule precedence (the only one, see docs/loan-rules.md): for each parameter
separately, the first applicable rule that sets it wins, in this order:
1. library over network: a rule of the library (the lending library for loans
   and renewals, the pickup library for holds and hold-shelf days) before any
   network rule;
2. document type over any type: at the same level, a rule for the document
   type before a rule for any type;
3. category over any category: then a rule for the patron's category before a
   rule for any category.
So a library may loosen or tighten any parameter for everybody (a library rule
for any type even beats a network rule for one type), and the network default
(no library, no category, no type) fills every gap; the built-in ``Rule()``
values apply only when that default is missing. ``resolve_rule`` implements it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from navette.catalogue.models import ItemStatus
from navette.circulation.models.rules import PenaltyKind
from navette.circulation.reasons import Reason as Reason  # re-exported: the codes of its decisions
from navette.network.hours import Schedule, next_open_day


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: Reason = Reason.OK
    context: Mapping[str, Any] | None = None
    due_on: dt.date | None = None


ALLOW = Decision(True)


def refuse(reason: Reason, **context: Any) -> Decision:
    return Decision(False, reason, context)


# --- rules ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleRow:
    """One loan rule row; ``None`` means "not set here"."""

    library_id: int | None = None
    category_id: int | None = None
    doc_type: str = ""
    loan_days: int | None = None
    max_renewals: int | None = None
    renew_when_waiting: bool | None = None
    max_loans: int | None = None
    holds_allowed: bool | None = None
    max_holds: int | None = None
    hold_shelf_days: int | None = None


@dataclass(frozen=True)
class Rule:
    """A fully resolved rule for (library, category, document type)."""

    loan_days: int = 21
    max_renewals: int = 2
    renew_when_waiting: bool = False
    max_loans: int = 20
    holds_allowed: bool = True
    max_holds: int = 10
    hold_shelf_days: int = 7


PARAMETERS = tuple(f.name for f in fields(Rule))
BUILT_IN = Rule()


def precedence_key(row: RuleRow, library_id: int | None) -> tuple[int, int, int]:
    """Sort key: lower comes first (library, then doc type, then category)."""
    return (
        0 if row.library_id is not None and row.library_id == library_id else 1,
        0 if row.doc_type else 1,
        0 if row.category_id is not None else 1,
    )


def resolve_rule(
    rows: Iterable[RuleRow], *, library_id: int | None, category_id: int | None, doc_type: str
) -> Rule:
    """The rule for a lending library, patron category and document type.

    ``doc_type=""`` asks for the card-wide rule (overall loan limit).
    """
    matching = [
        r
        for r in rows
        if r.library_id in (None, library_id)
        and r.category_id in (None, category_id)
        and r.doc_type in ("", doc_type)
    ]
    matching.sort(key=lambda r: precedence_key(r, library_id))
    values: dict[str, Any] = {}
    for name in PARAMETERS:
        for row in matching:
            value = getattr(row, name)
            if value is not None:
                values[name] = value
                break
    return Rule(**values)


# --- patron ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatronFacts:
    membership_expires_on: dt.date
    suspended_until: dt.date | None = None
    block_reasons: tuple[str, ...] = ()
    fines_cents: int = 0
    fines_block_cents: int = 0  # 0: fines never block


def check_patron(patron: PatronFacts, today: dt.date) -> Decision:
    """May this card borrow today? Order: blocked, expired, suspended, fines."""
    if patron.block_reasons:
        return refuse(Reason.PATRON_BLOCKED, block=", ".join(patron.block_reasons))
    if patron.membership_expires_on < today:
        return refuse(Reason.CARD_EXPIRED, expired_on=patron.membership_expires_on)
    if patron.suspended_until is not None and patron.suspended_until >= today:
        return refuse(Reason.PATRON_SUSPENDED, until=patron.suspended_until)
    if patron.fines_block_cents and patron.fines_cents >= patron.fines_block_cents:
        return refuse(
            Reason.FINES_DUE,
            amount_cents=patron.fines_cents,
            limit_cents=patron.fines_block_cents,
        )
    return ALLOW


def check_patron_for_holds(patron: PatronFacts, today: dt.date) -> Decision:
    """Holds need a valid, unblocked card; a borrowing suspension does not stop holds."""
    if patron.block_reasons:
        return refuse(Reason.PATRON_BLOCKED, block=", ".join(patron.block_reasons))
    if patron.membership_expires_on < today:
        return refuse(Reason.CARD_EXPIRED, expired_on=patron.membership_expires_on)
    return ALLOW


# --- calendar -------------------------------------------------------------------------------


def due_date(today: dt.date, loan_days: int, schedule: Schedule) -> dt.date:
    """``loan_days`` after today, moved to the next day the lending library opens."""
    return next_open_day(schedule, today + dt.timedelta(days=loan_days))


# --- check-out ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemFacts:
    status: str
    circulates: bool
    doc_type: str
    #: open loan's patron id, if any
    lent_to: int | None = None
    #: active trap (hold in transit or ready) for this copy: (patron id, pickup library name)
    trapped_for: tuple[int | None, str] | None = None
    transit_to: str = ""


def check_checkout(
    *,
    patron_id: int,
    patron: Decision,
    item: ItemFacts,
    rule_for_type: Rule,
    rule_overall: Rule,
    open_loans: Mapping[str, int],
    today: dt.date,
    schedule: Schedule,
) -> Decision:
    """May ``item`` be lent to this patron? On success ``due_on`` is set.

    ``open_loans`` counts the patron's open loans per document type. Order of
    checks: the card, the copy, the limits (overall then per type).
    """
    if not patron.allowed:
        return patron
    if item.lent_to is not None:
        if item.lent_to == patron_id:
            return refuse(Reason.ITEM_ALREADY_LENT_TO_PATRON)
        return refuse(Reason.ITEM_ON_LOAN)
    if item.trapped_for is not None and item.trapped_for[0] != patron_id:
        return refuse(Reason.ITEM_HELD_FOR_OTHER, library=item.trapped_for[1])
    if item.trapped_for is None:
        if item.status == ItemStatus.IN_TRANSIT:
            return refuse(Reason.ITEM_IN_TRANSIT, library=item.transit_to)
        if item.status not in (ItemStatus.AVAILABLE, ItemStatus.ON_LOAN):
            return refuse(Reason.ITEM_UNAVAILABLE, status=item.status)
    if not item.circulates:
        return refuse(Reason.ITEM_NOT_CIRCULATING)
    total = sum(open_loans.values())
    if total >= rule_overall.max_loans:
        return refuse(Reason.MAX_LOANS, limit=rule_overall.max_loans)
    if open_loans.get(item.doc_type, 0) >= rule_for_type.max_loans:
        return refuse(Reason.MAX_LOANS_TYPE, limit=rule_for_type.max_loans, doc_type=item.doc_type)
    return Decision(True, due_on=due_date(today, rule_for_type.loan_days, schedule))


# --- renewal --------------------------------------------------------------------------------


def check_renewal(
    *,
    patron: Decision,
    is_open: bool,
    renewals: int,
    rule: Rule,
    holds_waiting: int,
    today: dt.date,
    current_due: dt.date,
    schedule: Schedule,
) -> Decision:
    """May this loan be renewed? The new due date counts from today (never shortens the loan)."""
    if not is_open:
        return refuse(Reason.LOAN_CLOSED)
    if not patron.allowed:
        return patron
    if renewals >= rule.max_renewals:
        return refuse(Reason.MAX_RENEWALS, limit=rule.max_renewals)
    if holds_waiting and not rule.renew_when_waiting:
        return refuse(Reason.HOLD_WAITING)
    new_due = max(current_due, due_date(today, rule.loan_days, schedule))
    return Decision(True, due_on=new_due)


# --- holds ----------------------------------------------------------------------------------


def check_hold(
    *,
    patron: Decision,
    rule: Rule,
    active_holds: int,
    already_held: bool,
    already_on_loan: bool,
    holdable_copies: int,
) -> Decision:
    if not patron.allowed:
        return patron
    if not rule.holds_allowed:
        return refuse(Reason.HOLDS_NOT_ALLOWED)
    if already_held:
        return refuse(Reason.ALREADY_HELD)
    if already_on_loan:
        return refuse(Reason.ALREADY_ON_LOAN)
    if holdable_copies == 0:
        return refuse(Reason.NO_HOLDABLE_COPY)
    if active_holds >= rule.max_holds:
        return refuse(Reason.MAX_HOLDS, limit=rule.max_holds)
    return ALLOW


def hold_is_suspended(
    suspended_from: dt.date | None, suspended_until: dt.date | None, day: dt.date
) -> bool:
    if suspended_from is None and suspended_until is None:
        return False
    start = suspended_from or dt.date.min
    end = suspended_until or dt.date.max
    return start <= day <= end


@dataclass(frozen=True)
class HoldCandidate:
    hold_id: int
    placed_at: dt.datetime
    pickup_library_id: int
    suspended_from: dt.date | None = None
    suspended_until: dt.date | None = None


def pick_hold(
    candidates: Sequence[HoldCandidate], *, here_library_id: int, prefer_local: bool, today: dt.date
) -> HoldCandidate | None:
    """The hold a returned copy is trapped for: the oldest unsuspended one.

    With ``prefer_local``, holds to collect at the returning library come first
    (oldest first among them), so the copy need not travel.
    """
    eligible = [
        c for c in candidates if not hold_is_suspended(c.suspended_from, c.suspended_until, today)
    ]
    if not eligible:
        return None

    def key(c: HoldCandidate) -> tuple[int, dt.datetime, int]:
        local_first = 0 if (prefer_local and c.pickup_library_id == here_library_id) else 1
        return (local_first, c.placed_at, c.hold_id)

    return min(eligible, key=key)


def shelf_expiry(today: dt.date, shelf_days: int, schedule: Schedule) -> dt.date:
    """Last day to collect a hold: ``shelf_days`` after today, on an open day of the pickup library."""
    return next_open_day(schedule, today + dt.timedelta(days=shelf_days))


# --- penalties ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Penalty:
    days_late: int
    suspended_until: dt.date | None = None
    fine_cents: int = 0


def overdue_penalty(
    *,
    due_on: dt.date,
    returned_on: dt.date,
    kind: str,
    suspension_days_per_day_late: int,
    fine_cents_per_day: int,
    fine_max_cents: int,
    current_suspension: dt.date | None,
) -> Penalty:
    """The penalty for returning late. Suspensions add up from the later of today and any current one."""
    days_late = max(0, (returned_on - due_on).days)
    if days_late == 0 or kind == PenaltyKind.NONE:
        return Penalty(days_late)
    if kind == PenaltyKind.SUSPENSION:
        start = returned_on
        if current_suspension is not None and current_suspension >= returned_on:
            start = current_suspension
        until = start + dt.timedelta(days=days_late * suspension_days_per_day_late)
        return Penalty(days_late, suspended_until=until)
    amount = days_late * fine_cents_per_day
    if fine_max_cents:
        amount = min(amount, fine_max_cents)
    return Penalty(days_late, fine_cents=amount)
