"""Portal login: same message for unknown card and wrong PIN, lockout, per-address limit."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.patrons.errors import CardLocked, LoginRefused, TooManyAttempts
from navette.patrons.models import LoginAttempt
from navette.patrons.services import patron_authenticate, patron_replace_card
from tests.patrons.factories import NOW, STAFF, make_patron

pytestmark = pytest.mark.django_db
IP = "192.0.2.10"


def test_right_pin_logs_in_and_resets_counter():
    """The right PIN returns the patron and clears earlier failures."""
    patron = make_patron(card="29000001", pin="4821")
    with pytest.raises(LoginRefused):
        patron_authenticate(card_number="29000001", pin="0000", now=NOW, ip=IP)
    found = patron_authenticate(card_number="2900 0001", pin="4821", now=NOW, ip=IP)
    assert found.pk == patron.pk
    found.refresh_from_db()
    assert found.failed_logins == 0
    assert found.last_activity_at == NOW


def test_unknown_card_and_wrong_pin_give_the_same_message():
    """An attacker cannot tell an unknown card from a wrong PIN."""
    make_patron(card="29000002", pin="4821")
    with pytest.raises(LoginRefused) as unknown:
        patron_authenticate(card_number="99999999", pin="4821", now=NOW, ip=IP)
    with pytest.raises(LoginRefused) as wrong:
        patron_authenticate(card_number="29000002", pin="1111", now=NOW, ip=IP)
    assert unknown.value.message == wrong.value.message
    assert unknown.value.code == wrong.value.code == "login_refused"


def test_five_wrong_pins_lock_the_card_for_15_minutes():
    """5 wrong PINs lock the card; the right PIN is refused while locked and
    accepted once the 15 minutes have passed (injected clock)."""
    make_patron(card="29000003", pin="4821")
    now = NOW
    for attempt in range(4):
        with pytest.raises(LoginRefused):
            patron_authenticate(card_number="29000003", pin="0000", now=now, ip=IP)
        now += dt.timedelta(seconds=10)
    with pytest.raises(CardLocked):
        patron_authenticate(card_number="29000003", pin="0000", now=now, ip=IP)
    locked_at = now
    with pytest.raises(CardLocked) as refused:
        patron_authenticate(
            card_number="29000003", pin="4821", now=locked_at + dt.timedelta(minutes=14), ip=IP
        )
    assert "bloquée" in refused.value.message
    patron = patron_authenticate(
        card_number="29000003",
        pin="4821",
        now=locked_at + dt.timedelta(minutes=15, seconds=1),
        ip=IP,
    )
    assert patron.card_number == "29000003"


def test_lock_counts_wrong_pins_from_any_address():
    """The card lock does not depend on the address: spreading attempts does not help."""
    make_patron(card="29000004", pin="4821")
    for n in range(5):
        with pytest.raises((LoginRefused, CardLocked)):
            patron_authenticate(card_number="29000004", pin="0000", now=NOW, ip=f"198.51.100.{n}")
    with pytest.raises(CardLocked):
        patron_authenticate(card_number="29000004", pin="4821", now=NOW, ip="203.0.113.9")


def test_per_address_rate_limit_across_cards(settings):
    """Many failures from one address on different cards block that address only."""
    settings.NAVETTE_LOGIN_MAX_FAILURES_PER_ADDRESS = 3
    make_patron(card="29000005", pin="4821")
    for n in range(3):
        with pytest.raises(LoginRefused):
            patron_authenticate(card_number=f"1000{n}", pin="0000", now=NOW, ip=IP)
    with pytest.raises(TooManyAttempts):
        patron_authenticate(card_number="29000005", pin="4821", now=NOW, ip=IP)
    # another address is not affected, and the window passes
    assert patron_authenticate(card_number="29000005", pin="4821", now=NOW, ip="192.0.2.99")
    later = NOW + dt.timedelta(minutes=16)
    assert patron_authenticate(card_number="29000005", pin="4821", now=later, ip=IP)
    assert LoginAttempt.objects.filter(ip=IP, succeeded=False).count() == 3


def test_replaced_card_no_longer_logs_in():
    """After a card replacement the old number is refused and the new one works."""
    patron = make_patron(card="29000006", pin="4821")
    patron_replace_card(patron=patron, new_number="29000106", reason="perdue", actor=STAFF, now=NOW)
    with pytest.raises(LoginRefused):
        patron_authenticate(card_number="29000006", pin="4821", now=NOW, ip=IP)
    assert patron_authenticate(card_number="29000106", pin="4821", now=NOW, ip=IP).pk == patron.pk
