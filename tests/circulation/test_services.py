"""Service tests: outcomes, refusals that change nothing, penalties, holds, navette, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from navette.catalogue.models import ItemStatus
from navette.circulation.errors import CheckoutRefused, HoldRefused, PatronRefused, TransitRefused
from navette.circulation.jobs import expire_uncollected_holds
from navette.circulation.messages import checkin_message, penalty_message
from navette.circulation.models import (
    CirculationSettings,
    Fine,
    HoldStatus,
    LibraryCirculationSettings,
    Loan,
    LoanRule,
    TransitStatus,
)
from navette.circulation.selectors import (
    overdue_loans,
    patron_holds,
    patron_status,
    record_availability,
    transits_overdue,
)
from navette.circulation.services import (
    CheckinAction,
    hold_cancel,
    hold_change_pickup,
    hold_place,
    hold_suspend,
    loan_checkin,
    loan_checkout,
    loan_renew,
    loans_renew_all,
    transit_declare_lost,
    transit_receive,
)
from navette.circulation.services._common import clear_cache
from navette.core.clock import PARIS
from navette.core.models import AuditEvent
from navette.network.models import Closure
from navette.patrons.models import PatronBlock

NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=PARIS)
pytestmark = pytest.mark.django_db


def test_checkout_sets_due_date_on_open_day_of_lending_library(libs, make_patron, make_item, actor):
    """21 days after Tuesday 4 March; Lens closed on the 25th -> due Wednesday 26 March."""
    Closure.objects.create(
        library=libs["Lens"], start_date=dt.date(2025, 3, 25), end_date=dt.date(2025, 3, 25)
    )
    loan = loan_checkout(
        item=make_item(), patron=make_patron(), library=libs["Lens"], actor=actor, now=NOW
    )
    assert loan.due_on == dt.date(2025, 3, 26)
    assert loan.item.status == ItemStatus.ON_LOAN


@pytest.mark.parametrize(
    ("setup", "error", "code"),
    [
        (lambda p: setattr(p, "membership_expires_on", dt.date(2025, 1, 1)), PatronRefused, "card_expired"),
        (lambda p: setattr(p, "suspended_until", dt.date(2025, 3, 10)), PatronRefused, "patron_suspended"),
        (lambda p: PatronBlock.objects.create(patron=p, reason="carte perdue", created_at=NOW), PatronRefused,
         "patron_blocked"),
    ],
)  # fmt: skip
def test_refused_checkout_changes_nothing(libs, make_patron, make_item, actor, setup, error, code):
    patron = make_patron()
    setup(patron)
    patron.save()
    item = make_item()
    with pytest.raises(error) as exc:
        loan_checkout(item=item, patron=patron, library=libs["Lens"], actor=actor, now=NOW)
    assert exc.value.code == code
    item.refresh_from_db()
    assert item.status == ItemStatus.AVAILABLE
    assert not Loan.objects.exists() and not AuditEvent.objects.exists()


def test_dvd_limit_and_copy_on_loan(libs, make_patron, make_item, actor):
    """At most 5 DVD per card; a copy on loan cannot be lent again."""
    patron, lens = make_patron(), libs["Lens"]
    for _ in range(5):
        loan_checkout(
            item=make_item(doc_type="video"), patron=patron, library=lens, actor=actor, now=NOW
        )
    with pytest.raises(CheckoutRefused) as exc:
        loan_checkout(
            item=make_item(doc_type="video"), patron=patron, library=lens, actor=actor, now=NOW
        )
    assert exc.value.code == "max_loans_type"
    book = make_item()
    loan_checkout(item=book, patron=patron, library=lens, actor=actor, now=NOW)
    with pytest.raises(CheckoutRefused) as exc:
        loan_checkout(item=book, patron=make_patron(), library=lens, actor=actor, now=NOW)
    assert exc.value.code == "item_on_loan"
    assert exc.value.message == "Document déjà en prêt : il doit d'abord être rendu."


def test_library_rule_overrides_network(libs, make_patron, make_item, actor):
    """Avion lends for 28 days while the network lends for 21."""
    LoanRule.objects.create(library=libs["Avion"], loan_days=28)
    loan = loan_checkout(
        item=make_item(owner="Avion"),
        patron=make_patron(),
        library=libs["Avion"],
        actor=actor,
        now=NOW,
    )
    assert loan.due_on == dt.date(2025, 4, 1)


def test_return_home_or_floating(libs, make_patron, make_item, actor):
    """A Harnes copy returned at Lens goes home by navette; with Lens floating it stays at Lens."""
    patron = make_patron()
    item = make_item(owner="Harnes")
    loan_checkout(item=item, patron=patron, library=libs["Harnes"], actor=actor, now=NOW)
    result = loan_checkin(item=item, library=libs["Lens"], actor=actor, now=NOW)
    assert result.action == CheckinAction.TRANSIT and result.destination == libs["Harnes"]
    assert checkin_message(result).startswith("navette vers Harnes")
    back = transit_receive(item=item, library=libs["Harnes"], actor=actor, now=NOW)
    assert back.action == CheckinAction.SHELVE
    LibraryCirculationSettings.objects.create(library=libs["Lens"], return_policy="floating")
    loan_checkout(item=item, patron=patron, library=libs["Harnes"], actor=actor, now=NOW)
    result = loan_checkin(item=item, library=libs["Lens"], actor=actor, now=NOW)
    assert result.action == CheckinAction.SHELVE and checkin_message(result) == "à ranger en rayon"
    item.refresh_from_db()
    assert item.current_library == libs["Lens"] and item.status == ItemStatus.AVAILABLE


def test_late_return_suspends_then_fines(libs, make_patron, make_item, actor):
    """Suspension: 1 day per day late; with fines: 10 cents a day, capped at 5 euros."""
    patron, lens = make_patron(), libs["Lens"]
    item = make_item()
    loan_checkout(item=item, patron=patron, library=lens, actor=actor, now=NOW)  # due 25 March
    late = dt.datetime(2025, 3, 29, 11, tzinfo=PARIS)
    result = loan_checkin(item=item, library=lens, actor=actor, now=late)
    assert result.days_late == 4
    patron.refresh_from_db()
    assert patron.suspended_until == dt.date(2025, 4, 2)
    assert "suspendu jusqu'au 02/04/2025" in penalty_message(result)
    assert patron_status(patron, late).can_borrow.reason == "patron_suspended"
    CirculationSettings.objects.update(penalty="fine")
    clear_cache()  # an update() sends no signal: with the production caches on, forget the row
    patron.suspended_until = None
    patron.save()
    loan_checkout(item=item, patron=patron, library=lens, actor=actor, now=late)
    result = loan_checkin(item=item, library=lens, actor=actor, now=late + dt.timedelta(days=30))
    assert Fine.objects.get().amount_cents == 90  # due Sat 19 April, 9 days late
    assert "amende de 0,90 €" in penalty_message(result)


def test_overdue_list(libs, make_patron, make_item, actor):
    item = make_item(owner="Harnes")
    loan = loan_checkout(
        item=item, patron=make_patron(), library=libs["Lens"], actor=actor, now=NOW
    )
    later = NOW + dt.timedelta(days=30)
    assert list(overdue_loans(libs["Lens"], later)) == [loan]
    assert list(overdue_loans(libs["Harnes"], later)) == [loan]
    assert list(overdue_loans(libs["Avion"], later)) == []
    assert list(overdue_loans(libs["Lens"], NOW)) == []


def test_hold_queue_positions_cancel_and_suspension(libs, make_patron, make_item, actor):
    """Oldest first; a suspended hold keeps its place but is passed over; cancel frees the place."""
    item = make_item()
    loan_checkout(item=item, patron=make_patron(), library=libs["Lens"], actor=actor, now=NOW)
    a, b, c = make_patron(), make_patron(), make_patron()
    ha = hold_place(patron=a, record=item.record, pickup_library=libs["Lens"], actor=actor, now=NOW)
    hb = hold_place(
        patron=b,
        record=item.record,
        pickup_library=libs["Avion"],
        actor=actor,
        now=NOW + dt.timedelta(minutes=1),
    )
    hold_place(
        patron=c,
        record=item.record,
        pickup_library=libs["Lens"],
        actor=actor,
        now=NOW + dt.timedelta(minutes=2),
    )
    assert [v.position for v in patron_holds(c)] == [3]
    with pytest.raises(HoldRefused) as exc:
        hold_place(patron=c, record=item.record, pickup_library=libs["Lens"], actor=actor, now=NOW)
    assert exc.value.code == "already_held"
    hold_suspend(hold=ha, start=dt.date(2025, 3, 1), end=dt.date(2025, 3, 20), actor=actor, now=NOW)
    hold_cancel(hold=hb, actor=actor, now=NOW)
    assert [v.position for v in patron_holds(c)] == [2]
    result = loan_checkin(
        item=item, library=libs["Lens"], actor=actor, now=NOW + dt.timedelta(days=1)
    )
    assert result.action == CheckinAction.HOLD_SHELF and result.hold_patron == c
    with pytest.raises(HoldRefused):
        hold_suspend(
            hold=ha, start=dt.date(2025, 3, 20), end=dt.date(2025, 3, 1), actor=actor, now=NOW
        )


def test_held_copy_refused_to_others_and_expires_to_next(libs, make_patron, make_item, actor):
    """A copy on the hold shelf is refused to another patron; after the shelf days it passes on."""
    item = make_item()
    a, b = make_patron(), make_patron()
    hold_place(patron=a, record=item.record, pickup_library=libs["Lens"], actor=actor, now=NOW)
    hb = hold_place(
        patron=b, record=item.record, pickup_library=libs["Avion"], actor=actor, now=NOW
    )
    # the copy was on the shelf: scanning it at the desk traps it for the first hold
    assert (
        loan_checkin(item=item, library=libs["Lens"], actor=actor, now=NOW).action
        == CheckinAction.HOLD_SHELF
    )
    with pytest.raises(CheckoutRefused) as exc:
        loan_checkout(item=item, patron=b, library=libs["Lens"], actor=actor, now=NOW)
    assert exc.value.code == "item_held_for_other"
    assert "retrait à Lens" in exc.value.message
    assert expire_uncollected_holds(NOW + dt.timedelta(days=5)) == "0 réservation expirée"
    assert expire_uncollected_holds(NOW + dt.timedelta(days=12)) == "1 réservation expirée"
    assert expire_uncollected_holds(NOW + dt.timedelta(days=12)) == "0 réservation expirée"
    hb.refresh_from_db()
    assert hb.status == HoldStatus.IN_TRANSIT and hb.trapped_item == item


def test_change_pickup_of_ready_hold_sends_copy(libs, make_patron, make_item, actor):
    item = make_item()
    hold = hold_place(
        patron=make_patron(), record=item.record, pickup_library=libs["Lens"], actor=actor, now=NOW
    )
    loan_checkin(item=item, library=libs["Lens"], actor=actor, now=NOW)
    hold_change_pickup(hold=hold, pickup_library=libs["Harnes"], actor=actor, now=NOW)
    hold.refresh_from_db()
    assert hold.status == HoldStatus.IN_TRANSIT
    assert (
        transit_receive(item=item, library=libs["Harnes"], actor=actor, now=NOW).action
        == CheckinAction.HOLD_SHELF
    )


def test_lost_in_transit_and_overdue_transits(libs, make_patron, make_item, actor):
    """A copy in the navette too long is listed; declared lost, its hold waits again."""
    item = make_item(owner="Harnes")
    hold = hold_place(
        patron=make_patron(), record=item.record, pickup_library=libs["Lens"], actor=actor, now=NOW
    )
    loan_checkin(item=item, library=libs["Harnes"], actor=actor, now=NOW)
    assert list(transits_overdue(NOW + dt.timedelta(days=2), libs["Lens"])) == []
    (transit,) = transits_overdue(NOW + dt.timedelta(days=6), libs["Lens"])
    transit_declare_lost(transit=transit, actor=actor, now=NOW + dt.timedelta(days=6))
    transit.refresh_from_db()
    hold.refresh_from_db()
    item.refresh_from_db()
    assert transit.status == TransitStatus.LOST and item.status == ItemStatus.LOST
    assert hold.status == HoldStatus.WAITING and hold.trapped_item is None
    with pytest.raises(TransitRefused):
        transit_receive(item=item, library=libs["Lens"], actor=actor, now=NOW)


def test_renew_all_and_availability(libs, make_patron, make_item, actor):
    patron = make_patron()
    a, b = make_item(), make_item(owner="Avion")
    loan_checkout(item=a, patron=patron, library=libs["Lens"], actor=actor, now=NOW)
    loan_checkout(item=b, patron=patron, library=libs["Lens"], actor=actor, now=NOW)
    hold_place(
        patron=make_patron(), record=b.record, pickup_library=libs["Lens"], actor=actor, now=NOW
    )
    outcomes = loans_renew_all(patron=patron, actor=actor, now=NOW + dt.timedelta(days=7))
    assert sorted((o.loan.item_id, o.renewed) for o in outcomes) == [(a.pk, True), (b.pk, False)]
    assert (
        loan_renew(loan=outcomes[0].loan, actor=actor, now=NOW + dt.timedelta(days=8)).renewals == 2
    )
    avail = record_availability(b.record)
    assert (avail.total, avail.available, avail.holds_waiting) == (1, 0, 1)
    assert avail.copies[0].due_on == dt.date(2025, 3, 25)


def test_checkout_query_count_is_pinned(libs, make_patron, make_item, actor, settings):
    """The check-out path stays cheap: with rules, settings and hours cached, BEGIN, lock
    patron, lock copy, one UNION read (blocks, loans by type, holds), the loan, the copy,
    the search outbox, the audit event, the statistics fact, COMMIT."""
    settings.NAVETTE_CIRCULATION_CACHE_SECONDS = 60
    clear_cache()
    patron, item = make_patron(), make_item()
    loan_checkout(
        item=make_item(), patron=make_patron(), library=libs["Lens"], actor=actor, now=NOW
    )
    with CaptureQueriesContext(connection) as ctx:
        loan_checkout(item=item, patron=patron, library=libs["Lens"], actor=actor, now=NOW)
    clear_cache()
    # on PostgreSQL the loan's key is drawn by the UNION read, so that the loan's insert goes
    # with the other writes, which go as ONE statement (a data-modifying WITH)
    expected = 6 if connection.vendor == "postgresql" else 10
    assert len(ctx.captured_queries) == expected, [q["sql"][:80] for q in ctx.captured_queries]


def test_cached_rules_follow_an_edit(libs, make_patron, make_item, actor, settings):
    """With the rules cache on, saving a loan rule is seen by the very next loan."""
    settings.NAVETTE_CIRCULATION_CACHE_SECONDS = 60
    clear_cache()
    first = loan_checkout(
        item=make_item(), patron=make_patron(), library=libs["Lens"], actor=actor, now=NOW
    )
    rule = LoanRule.objects.get(library=None, patron_category=None, doc_type="")
    rule.loan_days = 28
    rule.save()
    second = loan_checkout(
        item=make_item(), patron=make_patron(), library=libs["Lens"], actor=actor, now=NOW
    )
    clear_cache()
    assert (first.due_on, second.due_on) == (dt.date(2025, 3, 25), dt.date(2025, 4, 1))


def test_checkin_query_count_is_pinned(libs, make_patron, make_item, actor, settings):
    """The return path stays cheap: with settings cached, BEGIN, lock the borrower (the
    patron of the copy's open loan), lock copy, lock the loan (with whether a hold waits),
    end the loan, the audit event, the statistics fact, the copy, the search outbox, COMMIT."""
    settings.NAVETTE_CIRCULATION_CACHE_SECONDS = 60
    clear_cache()
    warm, item = make_item(), make_item()
    for it in (warm, item):
        loan_checkout(item=it, patron=make_patron(), library=libs["Lens"], actor=actor, now=NOW)
    loan_checkin(item=warm, library=libs["Lens"], actor=actor, now=NOW)
    with CaptureQueriesContext(connection) as ctx:
        result = loan_checkin(item=item, library=libs["Lens"], actor=actor, now=NOW)
    clear_cache()
    assert result.action == CheckinAction.SHELVE
    # on PostgreSQL the five writes go as ONE statement (a data-modifying WITH)
    expected = 6 if connection.vendor == "postgresql" else 10
    assert len(ctx.captured_queries) == expected, [q["sql"][:80] for q in ctx.captured_queries]


def test_the_one_open_loan_constraint_backs_up_the_copy_lock(libs, make_patron, make_item, actor):
    """Should a copy's status ever say 'available' while it has an open loan, the database's
    one-open-loan-per-copy constraint refuses the second loan: a clear 'Document déjà en
    prêt' and nothing written (audit, statistics, the copy)."""
    from navette.circulation.models import Loan
    from navette.circulation.policies import Reason
    from navette.stats.models import CirculationFact

    item, first = make_item(), make_patron()
    loan_checkout(item=item, patron=first, library=libs["Lens"], actor=actor, now=NOW)
    type(item).objects.filter(pk=item.pk).update(status=ItemStatus.AVAILABLE)  # corrupted
    before = (AuditEvent.objects.count(), CirculationFact.objects.count())
    with pytest.raises(CheckoutRefused) as refused:
        loan_checkout(item=item, patron=make_patron(), library=libs["Lens"], actor=actor, now=NOW)
    assert refused.value.reason == Reason.ITEM_ON_LOAN
    assert Loan.objects.filter(item=item).count() == 1
    assert (AuditEvent.objects.count(), CirculationFact.objects.count()) == before
    item.refresh_from_db()
    assert item.status == ItemStatus.AVAILABLE
