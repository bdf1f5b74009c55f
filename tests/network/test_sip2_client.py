"""The SIP2 client against real peers on the loopback: Navette's own SIP2 server (a
library system that speaks SIP2), a server that answers slowly, one that refuses (closes
at once, or refuses the login), one that is down, and one that garbles its checksums."""

from __future__ import annotations

import datetime as dt
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest

from navette.circulation.services import loan_checkout
from navette.core.actors import Actor
from navette.network.connectors.sip2 import (
    CirculationStatus,
    Sip2Client,
    Sip2Endpoint,
    Sip2Error,
    Sip2Failure,
    client_for,
    close_all_clients,
)
from navette.patrons.models import PatronBlock
from navette.sip2.server import ServerConfig, ServerThread
from tests.interfaces.sip2.conftest import KIOSK_PASSWORD, NOW, PIN, build_world
from tests.network.sip2_peers import (
    Peer,
    T,
    framed,
    free_port,
    login_then,
    patron_reply,
    sequence_of,
)


@pytest.fixture
def live_world(transactional_db, clock_at, settings):
    settings.NAVETTE_SEARCH_UPDATES = "deferred"
    clock_at(NOW)
    return build_world()


def navette_server(**overrides: object) -> ServerThread:
    config = ServerConfig(host="127.0.0.1", port=0, idle_timeout=30, max_line=8192, db_threads=2)
    for key, value in overrides.items():
        setattr(config, key, value)
    return ServerThread(config)


def endpoint(port: int, **overrides: object) -> Sip2Endpoint:
    values: dict[str, object] = dict(
        host="127.0.0.1", port=port, login_user="borne-lens", login_password=KIOSK_PASSWORD,
        location="lens", institution="relire", connect_timeout=2.0, read_timeout=2.0,
        pool_size=2,
    )  # fmt: skip
    values.update(overrides)
    return Sip2Endpoint(**values)  # type: ignore[arg-type]


@pytest.fixture
def navette(live_world) -> Iterator[ServerThread]:
    with navette_server() as running:
        yield running


# --- against Navette's own SIP2 server ------------------------------------------------------


def test_patron_status_and_information_from_a_real_server(navette, live_world):
    """Login, then 23 and 63 with card and PIN: a known card with the right PIN is valid
    (BL=Y, CQ=Y) and not refused; both answers come on one pooled connection."""
    client = Sip2Client(endpoint(navette.port))
    try:
        status = client.patron_status("29000001", PIN, now=NOW)
        assert (status.known, status.pin_ok, status.card_refused) == (True, True, False)
        assert status.name == "Camille Martin"
        info = client.patron_information("29000001", PIN, now=NOW)
        assert (info.known, info.pin_ok, info.card_refused) == (True, True, False)
        assert client.connections_opened == 1 and client.idle_connections == 1
    finally:
        client.close()


def test_wrong_pin_unknown_card_blocked_and_expired_cards(navette, live_world):
    """A wrong PIN gives CQ=N; an unknown card BL=N; a blocked card and an expired one
    are valid patrons whose status flags refuse the card."""
    PatronBlock.objects.create(patron=live_world.other, reason="test", created_at=NOW)
    client = Sip2Client(endpoint(navette.port))
    try:
        wrong = client.patron_status("29000001", "0000", now=NOW)
        assert wrong.pin_ok is False
        unknown = client.patron_status("29999999", PIN, now=NOW)
        assert unknown.known is False
        blocked = client.patron_status("29000002", PIN, now=NOW)
        assert blocked.pin_ok is True and blocked.card_refused
        live_world.patron.membership_expires_on = NOW.date() - dt.timedelta(days=1)
        live_world.patron.save()
        expired = client.patron_information("29000001", PIN, now=NOW)
        assert expired.card_refused and expired.screen_messages
    finally:
        client.close()


def test_item_information_status_and_due_date(navette, live_world):
    """17: an available copy is "03"; a lent copy "04" with its due date; an unknown
    barcode is not known."""
    loan = loan_checkout(
        item=live_world.items[1], patron=live_world.patron, library=live_world.lens,
        actor=Actor.system("test"), now=NOW,
    )  # fmt: skip
    client = Sip2Client(endpoint(navette.port))
    try:
        shelf = client.item_information("31000001", now=NOW)
        assert shelf.available and shelf.title == "Titre 1"
        lent = client.item_information("31000002", now=NOW)
        assert lent.status == CirculationStatus.CHARGED and not lent.available
        assert lent.due_on == loan.due_on
        missing = client.item_information("39999999", now=NOW)
        assert not missing.known
    finally:
        client.close()


def test_tls(live_world, tmp_path):
    """With TLS on, the client checks the server's certificate against the CA file given
    and talks SIP2 inside TLS; without the CA it refuses the unknown certificate."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    with navette_server(tls_cert=str(cert), tls_key=str(key)) as running:
        client = Sip2Client(endpoint(running.port, tls=True, tls_ca_file=str(cert)))
        try:
            assert client.patron_status("29000001", PIN, now=NOW).pin_ok is True
        finally:
            client.close()
        untrusted = Sip2Client(endpoint(running.port, tls=True))
        with pytest.raises(Sip2Error) as refused:
            untrusted.patron_status("29000001", PIN, now=NOW)
        assert refused.value.failure == Sip2Failure.REFUSED


def test_reconnects_when_the_server_closed_an_idle_connection(live_world):
    """The server drops an idle connection (its idle timeout): the next request opens a
    new connection and answers, with no error for the caller."""
    with navette_server(idle_timeout=0.3) as running:
        client = Sip2Client(endpoint(running.port))
        try:
            assert client.patron_status("29000001", PIN, now=NOW).known
            time.sleep(0.8)
            assert client.patron_status("29000001", PIN, now=NOW).known
            assert client.connections_opened == 2
        finally:
            client.close()


def test_wrong_kiosk_password_is_a_refused_login(navette):
    """Navette's account refused by the system: ``login_refused``, not retried."""
    client = Sip2Client(endpoint(navette.port, login_password="faux"))
    with pytest.raises(Sip2Error) as refused:
        client.patron_status("29000001", PIN, now=NOW)
    assert refused.value.failure == Sip2Failure.LOGIN_REFUSED


def test_one_client_per_library_made_again_when_settings_change(navette):
    """``client_for`` shares a client per key; new settings close the old one."""
    try:
        first = client_for("roubaix", endpoint(navette.port))
        assert client_for("roubaix", endpoint(navette.port)) is first
        first.login_check()
        second = client_for("roubaix", endpoint(navette.port, read_timeout=3.0))
        assert second is not first and first.idle_connections == 0
    finally:
        close_all_clients()


# --- peers that misbehave -------------------------------------------------------------------


def test_a_slow_server_times_out_within_the_read_timeout():
    """A system answering after 1.5 s with a 0.4 s read timeout: ``timeout`` after about
    0.4 s, and the late connection is not reused (its late answer would be misread)."""
    with Peer(login_then(patron_reply, delay=1.5)) as peer:
        client = Sip2Client(endpoint(peer.port, read_timeout=0.4))
        started = time.monotonic()
        with pytest.raises(Sip2Error) as late:
            client.patron_status("29000001", PIN, now=NOW)
        took = time.monotonic() - started
        assert late.value.failure == Sip2Failure.TIMEOUT
        assert 0.35 < took < 1.2
        assert client.idle_connections == 0
        client.close()


def test_a_slow_server_within_the_timeout_answers():
    """A system answering in 0.2 s, timeout 2 s: the answer, with the extensions it sends
    (category PC, expiry PA, birth date PB)."""
    reply = lambda frame: patron_reply(frame, extra="PCenfant|PA20270630|PB20150401|")  # noqa: E731
    with Peer(login_then(reply, delay=0.2)) as peer:
        client = Sip2Client(endpoint(peer.port))
        answer = client.patron_status("29000001", PIN, now=NOW)
        client.close()
    assert answer.category == "enfant"
    assert answer.expires_on == dt.date(2027, 6, 30)
    assert answer.birth_date == dt.date(2015, 4, 1)
    assert not answer.expired_on(NOW.date())


def test_a_server_that_closes_at_once_is_refused():
    """A peer that accepts then closes without a word: ``refused``."""

    async def close(frame: bytes) -> bytes | None:
        return None

    with Peer(close) as peer:
        client = Sip2Client(endpoint(peer.port))
        with pytest.raises(Sip2Error) as refused:
            client.patron_status("29000001", PIN, now=NOW)
        assert refused.value.failure == Sip2Failure.REFUSED


def test_a_server_refusing_the_login():
    with Peer(login_then(patron_reply, login_ok=False)) as peer:
        client = Sip2Client(endpoint(peer.port))
        with pytest.raises(Sip2Error) as refused:
            client.patron_status("29000001", PIN, now=NOW)
        assert refused.value.failure == Sip2Failure.LOGIN_REFUSED


def test_a_server_that_is_down():
    """Nothing listens: ``down``, at once."""
    client = Sip2Client(endpoint(free_port()))
    started = time.monotonic()
    with pytest.raises(Sip2Error) as down:
        client.patron_status("29000001", PIN, now=NOW)
    assert down.value.failure == Sip2Failure.DOWN
    assert time.monotonic() - started < 1.0


def test_a_bad_checksum_is_asked_again_then_refused():
    """An answer with a wrong checksum: the client asks for a resend (97); a good resend
    is read, a second bad one is a protocol error."""
    sent: list[bytes] = []

    def garbled(good: bytes) -> bytes:
        return good[:-5] + (b"0000" if good[-5:-1] != b"0000" else b"FFFF") + b"\r"

    def once_bad(frame: bytes) -> bytes:
        sent.append(frame[:2])
        good = patron_reply(frame if not frame.startswith(b"97") else last[0])
        return garbled(good) if len(sent) == 1 else good

    last: list[bytes] = [b""]

    async def answer(frame: bytes) -> bytes | None:
        if frame.startswith(b"93"):
            return framed("941", sequence_of(frame))
        if frame.startswith(b"23"):
            last[0] = frame
        return once_bad(frame)

    with Peer(answer) as peer:
        client = Sip2Client(endpoint(peer.port))
        assert client.patron_status("29000001", PIN, now=NOW).known
        assert sent == [b"23", b"97"]
        client.close()

    async def always_bad(frame: bytes) -> bytes | None:
        if frame.startswith(b"93"):
            return framed("941", sequence_of(frame))
        return garbled(patron_reply(last[0] if frame.startswith(b"97") else frame))

    with Peer(always_bad) as peer:
        client = Sip2Client(endpoint(peer.port))
        with pytest.raises(Sip2Error) as bad:
            client.patron_status("29000001", PIN, now=NOW)
        assert bad.value.failure == Sip2Failure.PROTOCOL
        client.close()


def test_a_stale_sequence_number_is_a_protocol_error():
    """An answer carrying another request's sequence number is never taken as this one's."""

    async def answer(frame: bytes) -> bytes | None:
        if frame.startswith(b"93"):
            return framed("941", sequence_of(frame))
        return framed(
            f"24{' ' * 14}000{T}AA29000001|BLY|CQY|", ((sequence_of(frame) or 0) + 5) % 10
        )

    with Peer(answer) as peer:
        client = Sip2Client(endpoint(peer.port))
        with pytest.raises(Sip2Error) as stale:
            client.patron_status("29000001", PIN, now=NOW)
        assert stale.value.failure == Sip2Failure.PROTOCOL
        client.close()


def test_the_pool_holds_at_most_pool_size_connections():
    """Four callers at once on a pool of two to a system answering in 0.3 s: two
    connections opened, every caller answered."""
    with Peer(login_then(patron_reply, delay=0.3)) as peer:
        client = Sip2Client(endpoint(peer.port, pool_size=2))
        results: list[bool] = []

        def ask() -> None:
            results.append(client.patron_status("29000001", PIN, now=NOW).known)

        threads = [threading.Thread(target=ask) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        client.close()
    assert results == [True] * 4
    assert client.connections_opened == 2 and peer.connections == 2


def test_item_information_with_a_short_timeout_gives_up_early():
    """A results page asks a slow member (answers in 1.5 s, read timeout 5 s) with a
    0.3 s limit: ``timeout`` after about 0.3 s; the next call, without a limit, waits
    for the answer."""

    def item_reply(frame: bytes) -> bytes:
        return framed(f"18030201{T}AB31000001|AJTitre|", sequence_of(frame))

    with Peer(login_then(item_reply, delay=1.5)) as peer:
        client = Sip2Client(endpoint(peer.port, read_timeout=5.0))
        started = time.monotonic()
        with pytest.raises(Sip2Error) as late:
            client.item_information("31000001", now=NOW, timeout=0.3)
        assert late.value.failure == Sip2Failure.TIMEOUT
        assert time.monotonic() - started < 1.2
        answer = client.item_information("31000001", now=NOW)
        client.close()
    assert answer.available and answer.title == "Titre"
