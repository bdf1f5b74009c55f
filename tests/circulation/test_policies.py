"""Pure rule tests: no database, no clock."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.circulation.messages import decision_message
from navette.circulation.policies import (
    Decision,
    HoldCandidate,
    ItemFacts,
    PatronFacts,
    Reason,
    Rule,
    RuleRow,
    check_checkout,
    check_hold,
    check_patron,
    check_patron_for_holds,
    check_renewal,
    due_date,
    overdue_penalty,
    pick_hold,
    resolve_rule,
)
from navette.network.hours import ClosedSpan, Schedule, TimeRange

OPEN = (TimeRange(dt.time(10), dt.time(18)),)
#: open Tuesday to Saturday
WEEK = Schedule(weekly={d: OPEN for d in (1, 2, 3, 4, 5)})
TODAY = dt.date(2025, 3, 4)  # a Tuesday
LENS, AVION = 1, 2
ADULTE, JEUNE = 10, 11

NETWORK_DEFAULT = RuleRow(
    loan_days=21, max_renewals=2, renew_when_waiting=False, max_loans=20, holds_allowed=True, max_holds=10,
    hold_shelf_days=7,
)  # fmt: skip
ROWS = [
    NETWORK_DEFAULT,
    RuleRow(doc_type="video", max_loans=5, loan_days=14),
    RuleRow(doc_type="video_game", max_loans=2, loan_days=14, holds_allowed=False),
    RuleRow(category_id=JEUNE, max_loans=10),
    RuleRow(category_id=JEUNE, doc_type="video", max_loans=2),
    RuleRow(library_id=AVION, loan_days=28),
    RuleRow(library_id=AVION, doc_type="video", max_renewals=0),
]


@pytest.mark.parametrize(
    ("library", "category", "doc_type", "expected"),
    [
        # network default fills every parameter
        (LENS, ADULTE, "", Rule(21, 2, False, 20, True, 10, 7)),
        (LENS, ADULTE, "book", Rule(21, 2, False, 20, True, 10, 7)),
        # a document type rule overrides the network default
        (LENS, ADULTE, "video", Rule(14, 2, False, 5, True, 10, 7)),
        (LENS, ADULTE, "video_game", Rule(14, 2, False, 2, False, 10, 7)),
        # category rules apply; a type rule beats a category rule; type+category beats both
        (LENS, JEUNE, "", Rule(21, 2, False, 10, True, 10, 7)),
        (LENS, JEUNE, "book", Rule(21, 2, False, 10, True, 10, 7)),
        (LENS, JEUNE, "video", Rule(14, 2, False, 2, True, 10, 7)),
        # library over network: Avion's 28 days beat the network's video rule of 14 days
        (AVION, ADULTE, "video", Rule(28, 0, False, 5, True, 10, 7)),
        (AVION, ADULTE, "book", Rule(28, 2, False, 20, True, 10, 7)),
        # another library's rule never applies
        (LENS, ADULTE, "music", Rule(21, 2, False, 20, True, 10, 7)),
    ],
)
def test_rule_precedence(library, category, doc_type, expected):
    """Library rules beat network rules; then a document type rule beats any type; then category."""
    assert (
        resolve_rule(ROWS, library_id=library, category_id=category, doc_type=doc_type) == expected
    )


def test_missing_network_default_uses_built_in_values():
    """Without any row, the built-in defaults (3 weeks, 2 renewals, 20 loans) apply."""
    assert resolve_rule([], library_id=LENS, category_id=None, doc_type="book") == Rule()


def _checkout(open_loans, doc_type="video", category=ADULTE, item=None, patron=None):
    return check_checkout(
        patron_id=1,
        patron=patron or Decision(True),
        item=item or ItemFacts(status="available", circulates=True, doc_type=doc_type),
        rule_for_type=resolve_rule(ROWS, library_id=LENS, category_id=category, doc_type=doc_type),
        rule_overall=resolve_rule(ROWS, library_id=LENS, category_id=category, doc_type=""),
        open_loans=open_loans,
        today=TODAY,
        schedule=WEEK,
    )


@pytest.mark.parametrize(
    ("open_loans", "doc_type", "category", "reason"),
    [
        ({}, "video", ADULTE, Reason.OK),
        ({"video": 4, "book": 10}, "video", ADULTE, Reason.OK),
        ({"video": 5}, "video", ADULTE, Reason.MAX_LOANS_TYPE),
        ({"video_game": 2}, "video_game", ADULTE, Reason.MAX_LOANS_TYPE),
        ({"video": 5}, "book", ADULTE, Reason.OK),
        ({"book": 15, "video": 5}, "book", ADULTE, Reason.MAX_LOANS),
        ({"book": 10}, "book", JEUNE, Reason.MAX_LOANS),
        ({"video": 2}, "video", JEUNE, Reason.MAX_LOANS_TYPE),
    ],
)
def test_limits_per_type_and_overall(open_loans, doc_type, category, reason):
    """20 documents of which 5 DVD and 2 video games (adults); 10 of which 2 DVD for young patrons."""
    decision = _checkout(open_loans, doc_type, category)
    assert decision.reason == reason
    assert decision.allowed is (reason == Reason.OK)


def test_refusal_messages_are_french_and_precise():
    """The refusal says what limit was reached."""
    assert decision_message(_checkout({"video": 5})) == (
        "Nombre maximal de prêts atteint pour ce type de document (5 « video »)."
    )


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (ItemFacts("on_loan", True, "book", lent_to=2), Reason.ITEM_ON_LOAN),
        (ItemFacts("on_loan", True, "book", lent_to=1), Reason.ITEM_ALREADY_LENT_TO_PATRON),
        (
            ItemFacts("on_hold_shelf", True, "book", trapped_for=(2, "Lens")),
            Reason.ITEM_HELD_FOR_OTHER,
        ),
        (ItemFacts("on_hold_shelf", True, "book", trapped_for=(1, "Lens")), Reason.OK),
        (ItemFacts("available", False, "book"), Reason.ITEM_NOT_CIRCULATING),
        (ItemFacts("lost", True, "book"), Reason.ITEM_UNAVAILABLE),
        (ItemFacts("in_transit", True, "book", transit_to="Harnes"), Reason.ITEM_IN_TRANSIT),
    ],
)
def test_copy_checks(item, reason):
    """A copy on loan, held for someone else, excluded from loan or lost is refused."""
    assert _checkout({}, item=item).reason == reason


def test_held_for_other_names_the_pickup_library():
    item = ItemFacts("on_hold_shelf", True, "book", trapped_for=(2, "Lens"))
    assert "retrait à Lens" in decision_message(_checkout({}, item=item))


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        (PatronFacts(dt.date(2026, 1, 1)), Reason.OK),
        (PatronFacts(dt.date(2025, 3, 3)), Reason.CARD_EXPIRED),
        (PatronFacts(dt.date(2025, 3, 4)), Reason.OK),
        (
            PatronFacts(dt.date(2026, 1, 1), suspended_until=dt.date(2025, 3, 4)),
            Reason.PATRON_SUSPENDED,
        ),
        (PatronFacts(dt.date(2026, 1, 1), suspended_until=dt.date(2025, 3, 3)), Reason.OK),
        (PatronFacts(dt.date(2026, 1, 1), block_reasons=("carte perdue",)), Reason.PATRON_BLOCKED),
        (
            PatronFacts(dt.date(2026, 1, 1), fines_cents=1000, fines_block_cents=1000),
            Reason.FINES_DUE,
        ),
        (PatronFacts(dt.date(2026, 1, 1), fines_cents=999, fines_block_cents=1000), Reason.OK),
    ],
)
def test_patron_checks(facts, reason):
    """Blocked, expired, suspended (until that day inclusive) or owing fines: no loan."""
    assert check_patron(facts, TODAY).reason == reason


def test_suspension_does_not_stop_holds_but_expiry_does():
    suspended = PatronFacts(dt.date(2026, 1, 1), suspended_until=dt.date(2025, 4, 1))
    assert check_patron_for_holds(suspended, TODAY).allowed
    assert (
        check_patron_for_holds(PatronFacts(dt.date(2025, 1, 1)), TODAY).reason
        == Reason.CARD_EXPIRED
    )


def test_due_date_moves_to_next_open_day():
    """21 days after Tuesday 4 March is Tuesday 25 March; closed that day (network) -> Wednesday."""
    assert due_date(TODAY, 21, WEEK) == dt.date(2025, 3, 25)
    closed = Schedule(
        weekly=WEEK.weekly, closures=(ClosedSpan(dt.date(2025, 3, 25), dt.date(2025, 3, 25)),)
    )
    assert due_date(TODAY, 21, closed) == dt.date(2025, 3, 26)
    # 20 days: Monday (closed weekday) -> Tuesday
    assert due_date(TODAY, 20, WEEK) == dt.date(2025, 3, 25)
    assert due_date(TODAY, 19, WEEK) == dt.date(2025, 3, 25)  # Sunday -> Tuesday


def test_checkout_decision_carries_due_date():
    assert _checkout({}, doc_type="book").due_on == dt.date(2025, 3, 25)


@pytest.mark.parametrize(
    ("renewals", "waiting", "rule", "reason"),
    [
        (0, 0, Rule(), Reason.OK),
        (1, 0, Rule(), Reason.OK),
        (2, 0, Rule(), Reason.MAX_RENEWALS),
        (0, 1, Rule(), Reason.HOLD_WAITING),
        (0, 1, Rule(renew_when_waiting=True), Reason.OK),
        (0, 0, Rule(max_renewals=0), Reason.MAX_RENEWALS),
    ],
)
def test_renewals(renewals, waiting, rule, reason):
    """Renewals are counted; refused while someone waits unless the rule allows it."""
    d = check_renewal(
        patron=Decision(True), is_open=True, renewals=renewals, rule=rule, holds_waiting=waiting,
        today=TODAY, current_due=dt.date(2025, 3, 10), schedule=WEEK,
    )  # fmt: skip
    assert d.reason == reason
    if d.allowed:
        assert d.due_on == dt.date(2025, 3, 25)


def test_renewal_of_closed_loan_and_blocked_patron():
    common = dict(
        renewals=0, rule=Rule(), holds_waiting=0, today=TODAY, current_due=TODAY, schedule=WEEK
    )
    assert (
        check_renewal(patron=Decision(True), is_open=False, **common).reason == Reason.LOAN_CLOSED
    )
    blocked = check_patron(PatronFacts(dt.date(2020, 1, 1)), TODAY)
    assert check_renewal(patron=blocked, is_open=True, **common).reason == Reason.CARD_EXPIRED


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({}, Reason.OK),
        ({"rule": Rule(holds_allowed=False)}, Reason.HOLDS_NOT_ALLOWED),
        ({"active_holds": 10}, Reason.MAX_HOLDS),
        ({"already_held": True}, Reason.ALREADY_HELD),
        ({"already_on_loan": True}, Reason.ALREADY_ON_LOAN),
        ({"holdable_copies": 0}, Reason.NO_HOLDABLE_COPY),
    ],
)
def test_holds(kwargs, reason):
    """Holds allowed per rule, at most max_holds, never twice, never on a copy one has."""
    args = dict(patron=Decision(True), rule=Rule(), active_holds=9, already_held=False, already_on_loan=False,
                holdable_copies=1)  # fmt: skip
    args.update(kwargs)
    assert check_hold(**args).reason == reason


def _c(pk, day, pickup, sfrom=None, suntil=None):
    return HoldCandidate(pk, dt.datetime(2025, 3, day, 10, tzinfo=dt.UTC), pickup, sfrom, suntil)


def test_pick_hold_oldest_first_skipping_suspended():
    """The oldest hold wins; a hold suspended today is skipped but keeps its place."""
    holds = [
        _c(3, 3, LENS),
        _c(1, 1, AVION, dt.date(2025, 3, 1), dt.date(2025, 3, 10)),
        _c(2, 2, AVION),
    ]
    assert pick_hold(holds, here_library_id=LENS, prefer_local=False, today=TODAY).hold_id == 2
    assert (
        pick_hold(
            holds, here_library_id=LENS, prefer_local=False, today=dt.date(2025, 3, 11)
        ).hold_id
        == 1
    )
    assert pick_hold([], here_library_id=LENS, prefer_local=False, today=TODAY) is None


def test_pick_hold_prefers_local_pickup_when_set():
    holds = [_c(1, 1, AVION), _c(2, 2, LENS), _c(3, 3, LENS)]
    assert pick_hold(holds, here_library_id=LENS, prefer_local=True, today=TODAY).hold_id == 2
    assert pick_hold(holds, here_library_id=LENS, prefer_local=False, today=TODAY).hold_id == 1


@pytest.mark.parametrize(
    ("kind", "returned", "current", "expected_until", "expected_fine"),
    [
        ("none", dt.date(2025, 3, 14), None, None, 0),
        ("suspension", dt.date(2025, 3, 10), None, None, 0),  # on time
        ("suspension", dt.date(2025, 3, 14), None, dt.date(2025, 3, 22), 0),  # 4 late x 2
        (
            "suspension",
            dt.date(2025, 3, 14),
            dt.date(2025, 3, 20),
            dt.date(2025, 3, 28),
            0,
        ),  # adds up
        ("fine", dt.date(2025, 3, 14), None, None, 80),  # 4 x 20 cents
        ("fine", dt.date(2025, 6, 14), None, None, 500),  # capped
    ],
)
def test_overdue_penalties(kind, returned, current, expected_until, expected_fine):
    """None, suspension N days per day late (cumulative), or fines capped per document."""
    p = overdue_penalty(
        due_on=dt.date(2025, 3, 10), returned_on=returned, kind=kind, suspension_days_per_day_late=2,
        fine_cents_per_day=20, fine_max_cents=500, current_suspension=current,
    )  # fmt: skip
    assert p.suspended_until == expected_until
    assert p.fine_cents == expected_fine
