"""SIP2 hardening: failed PINs counted per card and per kiosk, kiosk login lockout, the
caps on connections, the time to log in, passwords hashed off the database threads."""

from __future__ import annotations

import datetime as dt
import socket
import threading

import pytest

from navette.core.models import AuditEvent
from navette.patrons.services import patron_authenticate
from navette.sip2 import accounts, handlers
from navette.sip2.models import Kiosk
from tests.interfaces.sip2.conftest import KIOSK_PASSWORD, NOW, PIN, build_world
from tests.interfaces.sip2.test_handlers import T, talk
from tests.interfaces.sip2.test_server import LOGIN, Raw, start

NAT = "192.0.2.10"  # the address every machine of the site, and the portal user, come from


def kiosk_session(login: str) -> handlers.Session:
    session = handlers.Session(peer_ip=NAT)
    assert talk(session, f"9300CN{login}|CO{KIOSK_PASSWORD}|CPlens|") == "941\r"
    return session


def test_twenty_wrong_pins_at_one_kiosk_leave_the_portal_and_other_kiosks_working(world):
    """20 wrong PINs at one kiosk (on several cards, behind one NAT) lock that kiosk's
    counter and those cards, nothing else: another kiosk at the same address and the
    portal from the same address still take another patron's right PIN."""
    other_kiosk = Kiosk(login="borne-lens-2", library=world.lens)
    other_kiosk.set_password(KIOSK_PASSWORD)
    other_kiosk.save()
    third = build_third_patron(world)
    spammed = kiosk_session("borne-lens")
    for n in range(20):
        answer = talk(spammed, f"23000{T}AOrelire|AA2900000{n % 2 + 1}|AD0000|")
        assert "CQN|" in answer
    assert "Trop de tentatives" in talk(spammed, f"23000{T}AOrelire|AA29000003|AD{PIN}|")
    world.patron.refresh_from_db()
    assert world.patron.locked_until is not None  # the card counted its own failures
    # the third patron, on another kiosk of the same site, and on the portal
    other = kiosk_session("borne-lens-2")
    assert "CQY|" in talk(other, f"23000{T}AOrelire|AA{third.card_number}|AD{PIN}|")
    assert patron_authenticate(card_number=third.card_number, pin=PIN, now=NOW, ip=NAT) == third


def build_third_patron(world):
    from django.contrib.auth.hashers import make_password

    from navette.patrons.models import Patron

    return Patron.objects.create(
        card_number="29000003", first_name="Jeanne", last_name="Leroy",
        category=world.patron.category, home_library=world.lens,
        membership_expires_on=dt.date(2027, 1, 1), pin_hash=make_password(PIN),
    )  # fmt: skip


def test_a_kiosk_account_is_locked_after_repeated_wrong_passwords(world, settings, clock_at):
    """NAVETTE_SIP2_LOCKOUT_ATTEMPTS wrong passwords in a row (across connections) lock the
    account: the right one is then refused until the lock ends; the lock is audited once,
    with the address, and shown on the account."""
    settings.NAVETTE_SIP2_LOCKOUT_ATTEMPTS = 3
    for _ in range(3):
        assert talk(handlers.Session(peer_ip=NAT), "9300CNborne-lens|COfaux|") == "940\r"
    world.kiosk.refresh_from_db()
    assert world.kiosk.locked_until == NOW + dt.timedelta(minutes=15)
    locked = handlers.Session(peer_ip=NAT)
    assert talk(locked, f"9300CNborne-lens|CO{KIOSK_PASSWORD}|") == "940\r"
    assert locked.kiosk_id is None
    event = AuditEvent.objects.get(action="kiosk.login_locked")
    assert event.data["address"] == NAT and event.library_id == world.lens.pk
    clock_at(NOW + dt.timedelta(minutes=16))
    assert talk(handlers.Session(peer_ip=NAT), f"9300CNborne-lens|CO{KIOSK_PASSWORD}|") == "941\r"
    world.kiosk.refresh_from_db()
    assert world.kiosk.failed_logins == 0


# --- over sockets ----------------------------------------------------------------------------

pytestmark_live = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live_world(transactional_db, clock_at):
    clock_at(NOW)
    return build_world()


@pytestmark_live
def test_connection_caps_login_timeout_and_hashing_threads(live_world, monkeypatch):
    """Beyond the caps a new connection is closed at once while the others work; a
    connection that does not log in within the login timeout is closed, a logged-in one
    stays; the password is checked in a hashing thread, never a database thread; an
    address with too many failed logins is refused without any check."""
    threads: list[str] = []
    real = accounts.password_matches

    def spy(kiosk, password):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread().name)
        return real(kiosk, password)

    monkeypatch.setattr(handlers.status, "password_matches", spy)
    with start(max_connections=4, max_per_address=3, login_timeout=0.5,
               address_max_failures=3) as running:  # fmt: skip
        kiosk = Raw(running.port)
        assert kiosk.ask(LOGIN) == b"941\r"
        idle = [Raw(running.port) for _ in range(2)]
        refused = Raw(running.port)  # a fourth from one address: over the per-address cap
        assert refused.closed()
        for raw in idle:  # never logged in: closed after the login timeout
            assert raw.closed()
        assert kiosk.ask(b"9900802.00").startswith(b"98")  # logged in: still served
        # three failed logins from the address, then the right password is not even checked
        for _ in range(3):
            spam = Raw(running.port)
            assert spam.ask(b"9300CNborne-lens|COfaux|") == b"940\r"
            spam.close()
        checked = len(threads)
        late = Raw(running.port)
        assert late.ask(LOGIN) == b"940\r"
        assert len(threads) == checked
        late.close()
        kiosk.close()
    assert threads and all(name.startswith("sip2-hash") for name in threads)


@pytestmark_live
def test_the_global_cap(live_world):
    """Over max_connections in all, new connections are closed whatever their address."""
    with start(max_connections=2, max_per_address=10) as running:
        first, second = Raw(running.port), Raw(running.port)
        assert first.ask(LOGIN) == b"941\r"
        third = Raw(running.port)
        assert third.closed()
        assert second.ask(LOGIN) == b"941\r"
        for raw in (first, second, third):
            raw.close()
    with socket.socket() as probe:  # the port is free again once the server stopped
        probe.bind(("127.0.0.1", 0))
