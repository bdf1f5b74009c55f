"""The loan-rule simulator: replay a year of anonymous circulation facts against a draft of
the loan rules, and say what would have changed. Nothing is written: the published rules
(``LoanRule``) are only read.

``simulate`` is pure: it takes the facts (loans, returns and renewals, each with the
borrower's pseudonym of the year), the current rule rows, the draft rule rows and the
libraries' schedules, and decides every loan and renewal with the rules' own policies
(``navette.circulation.policies``: ``resolve_rule``, ``check_checkout``, ``check_renewal``),
never a copy of them. ``rules_replay`` loads those inputs for the last 12 months.

What the replay knows and does not (docs/statistics.md says it for the reader):
- a borrower's open loans are rebuilt from their loans and returns of the replayed period
  (same pseudonym: within one calendar year); loans opened before the period, or in the
  previous year for a period across 1 January, are not seen, so limits are slightly
  under-tested at the start of the period and of each year;
- a return or renewal is matched to the borrower's oldest open loan of the same media;
- a loan the draft refuses is taken as not made (its return and renewals are dropped), the
  patron's other loans go on as they happened;
- the patron's card (blocks, expiry, fines) and the copy's state are as they were: only the
  limits, loan periods and renewals are replayed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace

from navette.circulation.policies import (
    ALLOW,
    ItemFacts,
    Reason,
    Rule,
    RuleRow,
    check_checkout,
    check_renewal,
    resolve_rule,
)
from navette.circulation.services._common import rule_rows
from navette.network.hours import Schedule
from navette.network.models import Library
from navette.network.selectors import schedules_for
from navette.patrons.models import PatronCategory
from navette.stats.models import CirculationFact
from navette.stats.selectors import age_group

CHECKOUT, CHECKIN, RENEW = "loan.checkout", "loan.checkin", "loan.renew"


@dataclass(frozen=True)
class FactRow:
    """One fact as the simulator reads it (``category_id`` from the category's code)."""

    day: dt.date
    action: str
    library_id: int | None
    doc_type: str
    category_id: int | None
    age_group: str
    borrower: object


@dataclass
class _Loan:
    doc_type: str
    library_id: int | None
    category_id: int | None
    due_now: dt.date
    due_draft: dt.date | None  # None: the draft refuses the loan
    renewals_now: int = 0
    renewals_draft: int = 0


@dataclass
class Impact:
    """What the draft changes, over the replayed facts."""

    loans: int = 0
    refused: int = 0
    #: refusals by library id, by media, by age group, by reason code
    refused_by_library: dict[int | None, int] = field(default_factory=lambda: defaultdict(int))
    refused_by_doc_type: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refused_by_age_group: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refused_by_reason: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    shorter: int = 0
    longer: int = 0
    renewals: int = 0
    renewals_refused: int = 0
    overdue_days_now: int = 0
    overdue_days_draft: int = 0


class _Due:
    """The libraries' schedules, for the policies' due dates (an unknown library: none)."""

    def __init__(self, schedules: Mapping[int, Schedule]) -> None:
        self.schedules = schedules
        self.empty = Schedule()

    def schedule(self, library_id: int | None) -> Schedule:
        return self.schedules.get(library_id, self.empty) if library_id is not None else self.empty


def simulate(
    facts: Iterable[FactRow], *, current: Sequence[RuleRow], draft: Sequence[RuleRow],
    schedules: Mapping[int, Schedule],
) -> Impact:  # fmt: skip
    """Replay ``facts`` (in the order they happened) under ``current`` and ``draft``."""
    impact = Impact()
    due = _Due(schedules)
    rules_cache: dict[tuple[bool, int | None, int | None, str], Rule] = {}

    def rule(
        draft_rules: bool, library_id: int | None, category_id: int | None, doc_type: str
    ) -> Rule:
        key = (draft_rules, library_id, category_id, doc_type)
        found = rules_cache.get(key)
        if found is None:
            found = rules_cache[key] = resolve_rule(
                draft if draft_rules else current, library_id=library_id,
                category_id=category_id, doc_type=doc_type,
            )  # fmt: skip
        return found

    open_loans: dict[object, dict[str, deque[_Loan]]] = defaultdict(lambda: defaultdict(deque))

    def counts(borrower: object, draft_only: bool) -> dict[str, int]:
        return {
            doc: sum(1 for loan in loans if not draft_only or loan.due_draft is not None)
            for doc, loans in open_loans[borrower].items()
        }

    def decide(row: FactRow, draft_rules: bool) -> tuple[dt.date | None, Reason]:
        decision = check_checkout(
            patron_id=0, patron=ALLOW,
            item=ItemFacts(status="available", circulates=True, doc_type=row.doc_type),
            rule_for_type=rule(draft_rules, row.library_id, row.category_id, row.doc_type),
            rule_overall=rule(draft_rules, row.library_id, row.category_id, ""),
            open_loans=counts(row.borrower, draft_only=draft_rules),
            today=row.day, schedule=due.schedule(row.library_id),
        )  # fmt: skip
        return decision.due_on, decision.reason

    for row in facts:
        if row.borrower is None:
            continue
        if row.action == CHECKOUT:
            impact.loans += 1
            due_now, _reason = decide(row, False)
            due_draft, reason = decide(row, True)
            if due_now is None:  # the current rules would refuse it too: lent by then-rules
                due_now = row.day
            loan = _Loan(row.doc_type, row.library_id, row.category_id, due_now, due_draft)
            if due_draft is None:
                impact.refused += 1
                impact.refused_by_library[row.library_id] += 1
                impact.refused_by_doc_type[row.doc_type] += 1
                impact.refused_by_age_group[row.age_group] += 1
                impact.refused_by_reason[reason.value] += 1
            elif due_draft < due_now:
                impact.shorter += 1
            elif due_draft > due_now:
                impact.longer += 1
            open_loans[row.borrower][row.doc_type].append(loan)
            continue
        loans = open_loans[row.borrower].get(row.doc_type)
        if not loans:
            continue  # lent before the period: not replayed
        loan = loans[0]
        if row.action == RENEW:
            impact.renewals += 1
            for draft_rules in (False, True):
                current_due = loan.due_draft if draft_rules else loan.due_now
                if current_due is None:
                    continue
                done = loan.renewals_draft if draft_rules else loan.renewals_now
                decision = check_renewal(
                    patron=ALLOW, is_open=True, renewals=done,
                    rule=rule(draft_rules, loan.library_id, loan.category_id, loan.doc_type),
                    holds_waiting=0, today=row.day, current_due=current_due,
                    schedule=due.schedule(loan.library_id),
                )  # fmt: skip
                if draft_rules:
                    if decision.allowed:
                        loan.due_draft, loan.renewals_draft = decision.due_on, done + 1
                    else:
                        impact.renewals_refused += 1
                elif decision.allowed:
                    loan.due_now, loan.renewals_now = decision.due_on or current_due, done + 1
                else:  # renewed under then-rules: keep the loan's own count going
                    loan.renewals_now = done + 1
        elif row.action == CHECKIN:
            loans.popleft()
            impact.overdue_days_now += max(0, (row.day - loan.due_now).days)
            if loan.due_draft is not None:
                impact.overdue_days_draft += max(0, (row.day - loan.due_draft).days)
    return impact


def with_change(rows: Sequence[RuleRow], change: RuleRow) -> list[RuleRow]:
    """The rule rows with ``change`` applied: the parameters it sets replace those of the row
    with the same library, category and media (added if there is none)."""
    out, merged = [], False
    for row in rows:
        if (row.library_id, row.category_id, row.doc_type) == (
            change.library_id,
            change.category_id,
            change.doc_type,
        ):
            values = {f.name: getattr(change, f.name) for f in fields(RuleRow)
                      if getattr(change, f.name) is not None}  # fmt: skip
            out.append(replace(row, **values))
            merged = True
        else:
            out.append(row)
    if not merged:
        out.append(change)
    return out


def rules_replay(*, change: RuleRow, today: dt.date, days: int = 365) -> Impact:
    """Replay the last ``days`` days (before ``today``) of loans, returns and renewals under
    the published rules with ``change`` applied. Reads only; the published rules are never
    changed."""
    start = today - dt.timedelta(days=days)
    libraries = list(Library.objects.all())
    current = rule_rows([lib.pk for lib in libraries])
    categories = dict(PatronCategory.objects.values_list("code", "pk"))
    rows = (
        CirculationFact.objects.filter(
            day__gte=start, day__lt=today, action__in=[CHECKOUT, CHECKIN, RENEW],
            borrower__isnull=False,
        )
        .order_by("day", "id")
        .values_list("day", "action", "library_id", "doc_type", "patron_category", "age_band",
                     "borrower")
    )  # fmt: skip
    facts = (
        FactRow(day, action, library_id, doc_type, categories.get(category), age_group(band), who)
        for day, action, library_id, doc_type, category, band, who in rows.iterator(5000)
    )
    return simulate(
        facts, current=current, draft=with_change(current, change),
        schedules=schedules_for(libraries, start, days_after=days + 400),
    )  # fmt: skip
