"""Two connections at once (PostgreSQL): the lockout counter and notice claims hold."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from navette.circulation.models import Hold, HoldStatus
from navette.notices.models import SentNotice
from navette.notices.services import notices_hold_ready
from navette.patrons.errors import CardLocked, LoginRefused
from navette.patrons.models import Patron
from navette.patrons.services import patron_authenticate
from tests.catalogue.factories import make_item
from tests.network.factories import make_library
from tests.patrons.factories import NOW, make_patron

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _in_thread(fn):
    def run(*args):
        try:
            return fn(*args)
        finally:
            connection.close()

    return run


def test_parallel_wrong_pins_all_count():
    """Ten wrong PINs sent at the same time from different workers lock the card:
    no failure is lost to a race on the counter."""
    make_patron(card="29004242", pin="4821")

    @_in_thread
    def attempt(n):
        try:
            patron_authenticate(card_number="29004242", pin="0000", now=NOW, ip=f"192.0.2.{n}")
        except (LoginRefused, CardLocked) as exc:
            return type(exc).__name__

    with ThreadPoolExecutor(max_workers=5) as pool:
        outcomes = list(pool.map(attempt, range(10)))
    assert outcomes.count("LoginRefused") == 4
    assert outcomes.count("CardLocked") == 6
    assert Patron.objects.get(card_number="29004242").locked_until is not None


def test_two_notice_runs_at_once_send_once(mailoutbox):
    """Two job runs at the same moment mail a ready hold once."""
    patron = make_patron(email="once@example.org")
    item = make_item(library=make_library())
    Hold.objects.create(
        patron=patron, record=item.record, pickup_library=item.owning_library,
        status=HoldStatus.READY, placed_at=NOW, trapped_item=item, ready_at=NOW,
        shelf_expires_on=dt.date(2026, 3, 17),
    )  # fmt: skip
    run = _in_thread(lambda _n: notices_hold_ready(now=NOW))
    with ThreadPoolExecutor(max_workers=2) as pool:
        sent = list(pool.map(run, range(2)))
    assert sorted(sent) == [0, 1]
    assert len(mailoutbox) == 1
    assert SentNotice.objects.count() == 1
