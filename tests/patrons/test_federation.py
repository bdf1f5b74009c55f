"""Patrons of member libraries that run another system log in through its connectors.

The member's system is a SIP2 peer on the loopback that knows a few cards (as a Koha
would answer: category PC, expiry PA, birth date PB), or a port nothing listens on (the
system down). Navette's own SIP2 server as the member is in the browser test
(tests/interfaces/portal/test_federated_browser.py), in a second process.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from navette.core import clock
from navette.core.errors import worded
from navette.network.connectors.sip2 import close_all_clients
from navette.network.models import MemberSystem
from navette.patrons.errors import (
    CardLocked,
    FirstLoginNeeded,
    FirstLoginRefused,
    LoginRefused,
    MemberCardRefused,
    MemberSystemUnavailable,
    TooManyAttempts,
)
from navette.patrons.federation import (
    birth_date_digest,
    patron_file_first_login,
    patron_login,
)
from navette.patrons.models import FederatedPatron, Patron, PatronFileEntry
from tests.network.factories import make_library
from tests.network.sip2_peers import Peer, framed, free_port, sequence_of
from tests.patrons.factories import make_category, make_patron

pytestmark = pytest.mark.django_db(transaction=True)

NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=clock.PARIS)
T = "20260310    100000"
IP = "192.0.2.7"

#: the member's cards: PIN, status flags, extensions
CARDS = {
    "R0001": ("1111", " " * 14, "PCenfant|PA20270630|PB20150401|"),
    "R0002": ("2222", "    Y         ", ""),  # reported lost
    "R0003": ("3333", " " * 14, "PA20250101|"),  # expired at the member
    "R0004": ("4444", " " * 14, ""),
}


async def koha_like(frame: bytes) -> bytes | None:
    seq = sequence_of(frame)
    if frame.startswith(b"93"):
        return framed("941", seq)
    text = frame.decode()
    card = text.split("|AA", 1)[1].split("|", 1)[0]
    pin = text.split("|AD", 1)[1].split("|", 1)[0] if "|AD" in text else ""
    known = CARDS.get(card)
    if known is None:
        return framed(f"64{'Y' * 4}{' ' * 10}000{T}{'0000' * 6}AOrb|AA{card}|AE|BLN|", seq)
    right, flags, extra = known
    cq = "Y" if pin == right else "N"
    return framed(f"64{flags}000{T}{'0000' * 6}AOrb|AA{card}|AEM. Lecteur|BLY|CQ{cq}|{extra}", seq)


@pytest.fixture
def member(transactional_db, clock_at) -> Iterator[MemberSystem]:
    clock_at(NOW)
    make_category(code="adulte")
    make_category(code="enfant")
    library = make_library(code="roubaix", name="Médiathèque La Grand-Plage", commune="Roubaix")
    with Peer(koha_like) as peer:
        yield MemberSystem.objects.create(
            library=library, system_name="Koha", auth_order="sip2", card_prefixes="R",
            sip2_host="127.0.0.1", sip2_port=peer.port, sip2_login="navette",
            sip2_password="secret", sip2_read_timeout=2, sip2_connect_timeout=1,
            offline_grace_hours=48, account_url="https://roubaix.example.org/compte",
        )  # fmt: skip
        close_all_clients()


def system_down(member: MemberSystem) -> None:
    member.sip2_port = free_port()
    member.save()


def login(card: str, pin: str, now: dt.datetime = NOW, **kw: object):  # type: ignore[no-untyped-def]
    return patron_login(card_number=card, pin=pin, now=now, ip=IP, **kw)  # type: ignore[arg-type]


def test_first_login_through_sip2_keeps_only_what_the_services_need(member):
    """A card of the member, right PIN: a patron is created with the card, the library,
    the category (PC), an age band (from PB), the validity (PA) and the confirmation
    time; no name, birth date or contact details."""
    outcome = login("R0001", "1111")
    assert not outcome.deferred
    patron = Patron.objects.get(card_number="R0001")
    assert patron == outcome.patron
    assert (patron.first_name, patron.last_name, patron.birth_date, patron.email) == (
        "", "", None, ""
    )  # fmt: skip
    assert patron.home_library == member.library and patron.category.code == "enfant"
    assert patron.membership_expires_on == dt.date(2027, 6, 30)
    assert patron.pin_hash == ""
    federation = patron.federation
    assert (federation.age_band, federation.valid, federation.confirmed_at) == ("6-11", True, NOW)
    assert patron.age_band(NOW.date()) == "6-11"


def test_each_login_refreshes_what_navette_keeps(member):
    """Confirmed again a day later: the confirmation time moves; without an expiry from
    the system, the validity is the end of the grace time."""
    login("R0004", "4444")
    later = NOW + dt.timedelta(days=1)
    login("R0004", "4444", now=later)
    patron = Patron.objects.get(card_number="R0004")
    assert patron.federation.confirmed_at == later
    assert patron.category.code == "adulte"  # the library's default: none sent
    assert patron.membership_expires_on == (later + dt.timedelta(hours=48)).date()


def test_wrong_pin_and_unknown_card_are_refused_alike_and_lock(member):
    """A wrong PIN at the member and an unknown card give the same refusal; five wrong
    PINs lock the card, which is then not even asked to the member."""
    with pytest.raises(LoginRefused):
        login("R0009", "1111")
    login("R0001", "1111")
    for _ in range(4):
        with pytest.raises(LoginRefused):
            login("R0001", "0000")
    with pytest.raises(CardLocked):
        login("R0001", "0000")
    with pytest.raises(CardLocked):
        login("R0001", "1111")


def test_blocked_and_expired_cards_are_refused_with_a_clear_message(member):
    """Reported lost (status flag) and expired (PA in the past): refused, saying which and
    naming the library."""
    with pytest.raises(MemberCardRefused) as lost:
        login("R0002", "2222")
    assert lost.value.context["reason"] == "blocked"
    assert "bloquée ou n'est plus valable à Médiathèque La Grand-Plage" in lost.value.message
    with pytest.raises(MemberCardRefused) as expired:
        login("R0003", "3333")
    assert expired.value.context["reason"] == "expired"
    assert "a expiré" in expired.value.message


def test_member_down_confirmed_patron_logs_in_deferred_new_patron_refused(member):
    """With the member's system down: a patron confirmed 20 hours ago (grace 48 h) logs in
    with the PIN last accepted, told the check is deferred; a wrong PIN is still refused;
    a patron never confirmed is refused with a clear message, as is one confirmed three
    days ago."""
    login("R0001", "1111", now=NOW - dt.timedelta(hours=20))
    login("R0004", "4444", now=NOW - dt.timedelta(days=3))
    system_down(member)

    outcome = login("R0001", "1111")
    assert outcome.deferred and outcome.confirmed_at == NOW - dt.timedelta(hours=20)
    notice = worded(
        "federated_check_deferred",
        {"library": outcome.library_name, "confirmed_at": outcome.confirmed_at},
    )
    assert notice is not None and "vérification de votre carte est reportée" in notice
    assert Patron.objects.get(card_number="R0001").federation.confirmed_at == outcome.confirmed_at

    with pytest.raises(LoginRefused):
        login("R0001", "9999")
    with pytest.raises(MemberSystemUnavailable) as new:
        login("R0005", "5555")
    assert "jamais été vérifiée" in new.value.message
    assert not Patron.objects.filter(card_number="R0005").exists()
    with pytest.raises(MemberSystemUnavailable) as stale:
        login("R0004", "4444")
    assert "n'a pas été vérifiée depuis" in stale.value.message


def test_a_local_card_is_not_sent_to_any_member(member):
    """A card Navette serves itself logs in as before, even if it matches a prefix."""
    make_patron(card="R7777", pin="1234", library=make_library(code="lens"))
    assert not login("R7777", "1234").deferred
    assert not FederatedPatron.objects.exists()


def test_patron_file_first_login_then_password(member):
    """A library without SIP2 deposits its file: the first login asks for card and date of
    birth (a wrong date is refused), then the chosen password logs in."""
    member.auth_order = "patron_file"
    member.save()
    PatronFileEntry.objects.create(
        library=member.library, card_number="R0100", category="adulte",
        expires_on=dt.date(2026, 12, 31), birth_year=1980,
        birth_date_digest=birth_date_digest("R0100", dt.date(1980, 5, 17)), loaded_at=NOW,
    )  # fmt: skip
    with pytest.raises(FirstLoginNeeded):
        login("R0100", "whatever")
    with pytest.raises(FirstLoginRefused):
        patron_file_first_login(
            card_number="R0100", birth_date=dt.date(1980, 5, 18), password="motdepasse1",
            now=NOW, ip=IP,
        )  # fmt: skip
    patron = patron_file_first_login(
        card_number="R0100", birth_date=dt.date(1980, 5, 17), password="motdepasse1",
        now=NOW, ip=IP,
    )  # fmt: skip
    assert patron.federation.age_band == "40-64"
    assert patron.membership_expires_on == dt.date(2026, 12, 31)
    assert login("R0100", "motdepasse1").patron == patron
    with pytest.raises(LoginRefused):
        login("R0100", "motdepasse2")
    with pytest.raises(FirstLoginRefused):  # the password is set: no second first login
        patron_file_first_login(
            card_number="R0100", birth_date=dt.date(1980, 5, 17), password="autremotdepasse",
            now=NOW, ip=IP,
        )  # fmt: skip


def test_sip2_then_patron_file_when_the_system_is_down(member):
    """Methods are tried in order: SIP2 down, the deposited file then vouches."""
    member.auth_order = "sip2,patron_file"
    member.save()
    system_down(member)
    PatronFileEntry.objects.create(
        library=member.library, card_number="R0004", expires_on=dt.date(2026, 12, 31),
        loaded_at=NOW,
    )  # fmt: skip
    with pytest.raises(FirstLoginNeeded):
        login("R0004", "4444")


@pytest.mark.postgres
def test_the_same_first_login_twice_at_once_makes_one_patron(member):
    """Two first logins of one member card at the same time (a double click): both get
    in, as one patron with one FederatedPatron (the unique card decides, the loser
    refreshes the winner's row)."""
    barrier = threading.Barrier(2)

    def attempt(n: int) -> int:
        try:
            barrier.wait(5)
            return login("R0004", "4444", now=NOW + dt.timedelta(seconds=n)).patron.pk
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        ids = list(pool.map(attempt, range(2)))
    assert ids[0] == ids[1]
    assert Patron.objects.filter(card_number="R0004").count() == 1
    assert FederatedPatron.objects.filter(patron_id=ids[0]).count() == 1


def test_guessing_from_one_address_is_throttled_as_for_local_patrons(member, settings):
    """Three failures from one address (the limit set to 3): the next login from there is
    refused unchecked, right PIN or not; another address still gets in."""
    settings.NAVETTE_LOGIN_MAX_FAILURES_PER_ADDRESS = 3
    for card in ("R0001", "R0004", "R0009"):
        with pytest.raises(LoginRefused):
            login(card, "0000")
    with pytest.raises(TooManyAttempts):
        login("R0001", "1111")
    assert not Patron.objects.filter(card_number="R0001", federation__isnull=False).exists()
    outcome = patron_login(card_number="R0001", pin="1111", now=NOW, ip="198.51.100.9")
    assert outcome.patron.card_number == "R0001"
