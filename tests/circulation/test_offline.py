"""Offline transactions replayed as the desk would have made them at their time."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from navette.circulation.models import Loan, OfflineOutcome, OfflineSource, OfflineTransaction
from navette.circulation.services import OfflineEntry, loan_checkout
from navette.core.actors import Actor
from navette.core.clock import PARIS
from navette.desk.offline import desk_offline_replay, parse_offline_file
from navette.patrons.models import Patron
from tests.interfaces.sip2.conftest import NOW, build_world

#: the day the network was down: Saturday 28 February 2026 (the replay is on 3 March)
DOWN = dt.datetime(2026, 2, 28, 9, 0, tzinfo=PARIS)


@pytest.fixture
def big_world(db, clock_at):
    clock_at(NOW)
    return build_world(n_items=100, n_patrons=10)


def minutes(n: int) -> dt.datetime:
    return DOWN + dt.timedelta(minutes=n)


def test_a_200_transaction_offline_file_ends_with_the_right_loans_and_a_conflict(big_world):
    """100 loans, 50 returns and 50 loans again of the returned copies, shuffled, replayed
    in time order: each return ends the first loan at its own time (not when the copy was
    lent again), due dates count from the day of the loan, and the one copy lent at the
    desk meanwhile is a conflict listed for staff, its desk loan untouched."""
    world = big_world
    items = world.items
    patrons = list(Patron.objects.order_by("card_number"))
    desk = Actor.system("desk")
    # while the kiosk was cut off, the desk lent copy 100 to Louis at 11:00
    desk_loan = loan_checkout(item=items[99], patron=world.other, library=world.lens,
                              actor=desk, now=minutes(120))  # fmt: skip
    entries = [
        OfflineEntry("checkout", items[i].barcode, minutes(i), patrons[i % 10].card_number)
        for i in range(100)
    ]
    entries += [OfflineEntry("checkin", items[i].barcode, minutes(100 + i)) for i in range(50)]
    entries += [
        OfflineEntry(
            "checkout", items[i].barcode, minutes(160 + i), patrons[(i + 1) % 10].card_number
        )
        for i in range(50)
    ]
    random.Random(18).shuffle(entries)
    kiosk = Actor.kiosk(world.kiosk.pk, world.kiosk.login)
    outcome = desk_offline_replay(entries=entries, library=world.lens, actor=kiosk, now=NOW,
                                  source=OfflineSource.KIOSK)  # fmt: skip
    assert (outcome.data["applied"], outcome.data["skipped"], len(outcome.data["conflicts"])) == (
        199, 0, 1,
    )  # fmt: skip
    (conflict,) = outcome.data["conflicts"]
    assert (conflict.barcode, conflict.code, conflict.card_number) == (
        items[99].barcode, "lent_meanwhile", patrons[9].card_number,
    )  # fmt: skip
    assert OfflineTransaction.objects.count() == 200
    assert OfflineTransaction.objects.filter(outcome=OfflineOutcome.CONFLICT).get() == conflict
    for i in range(50):
        first, again = Loan.objects.filter(item=items[i]).order_by("loaned_at")
        assert (first.patron, first.loaned_at, first.returned_at) == (
            patrons[i % 10], minutes(i), minutes(100 + i),
        )  # fmt: skip
        assert (again.patron, again.loaned_at, again.returned_at) == (
            patrons[(i + 1) % 10], minutes(160 + i), None,
        )  # fmt: skip
        assert again.due_on == dt.date(2026, 3, 21)  # 21 days from the loan, not the replay
    for i in range(50, 99):
        (loan,) = Loan.objects.filter(item=items[i])
        assert (loan.patron, loan.loaned_at, loan.returned_at) == (
            patrons[i % 10],
            minutes(i),
            None,
        )
    assert list(Loan.objects.filter(item=items[99])) == [desk_loan]
    assert Loan.objects.get(pk=desk_loan.pk).returned_at is None


def test_replaying_the_same_file_twice_changes_nothing(big_world):
    """A machine that sends its offline loans again: the second time each is skipped."""
    world = big_world
    entries = [OfflineEntry("checkout", world.items[0].barcode, minutes(0), "29000001"),
               OfflineEntry("checkin", world.items[1].barcode, minutes(1))]  # fmt: skip
    desk = Actor.system("desk")
    desk_offline_replay(entries=entries, library=world.lens, actor=desk, now=NOW,
                        source=OfflineSource.UPLOAD)  # fmt: skip
    again = desk_offline_replay(entries=entries, library=world.lens, actor=desk, now=NOW,
                                source=OfflineSource.UPLOAD)  # fmt: skip
    assert [(t.outcome, t.code) for t in again.data["replayed"]] == [
        ("skipped", "already_recorded"), ("skipped", "not_on_loan"),
    ]  # fmt: skip
    assert Loan.objects.count() == 1


def test_an_offline_file_is_read_with_its_errors_by_line():
    """Each line: time; kind; card; barcode (or time; checkin; barcode); a bad line is
    reported with its number and what is wrong, the others are kept."""
    text = (
        "# borne de Lens, coupure du 2 mars\n"
        "2026-03-02T09:00;checkout;2900 0001;31000001\n"
        "2026-03-02 09:05\tretour\t31000002\n"
        "\n"
        "2026-03-02T09:10,checkin,31000003\n"
        "hier;checkout;29000001;31000004\n"
        "2026-03-02T09:20;emprunt;29000001;31000005\n"
        "2026-03-02T09:30;checkout;;31000006\n"
        "2026-03-02T09:40;checkin\n"
    )
    entries, errors = parse_offline_file(text)
    assert entries == [
        OfflineEntry(
            "checkout", "31000001", dt.datetime(2026, 3, 2, 9, 0, tzinfo=PARIS), "29000001"
        ),
        OfflineEntry("checkin", "31000002", dt.datetime(2026, 3, 2, 9, 5, tzinfo=PARIS)),
        OfflineEntry("checkin", "31000003", dt.datetime(2026, 3, 2, 9, 10, tzinfo=PARIS)),
    ]
    assert [(e.line, e.code) for e in errors] == [
        (6, "bad_time"), (7, "bad_kind"), (8, "missing_card"), (9, "bad_columns"),
    ]  # fmt: skip
