"""The SIP2 server over real sockets: a third-party client, junk, limits, TLS and fuzzing.

The server runs on its own event loop in a background thread, on a free port,
against the test database (committed data: ``transaction=True``). Every
response of the conversations is read back by pysip2's strict decoder.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import socket
import ssl
import subprocess
import time

import pysip2
import pytest
from Sip2.sip2 import Sip2

from navette.sip2 import codec
from navette.sip2.server import ServerConfig, ServerThread
from tests.interfaces.sip2.conftest import KIOSK_PASSWORD, NOW, PIN, build_world

pytestmark = pytest.mark.django_db(transaction=True)

T = "20260303    143000"
B = " " * 18
LOGIN = f"9300CNborne-lens|CO{KIOSK_PASSWORD}|CPlens|".encode()


@pytest.fixture
def live_world(transactional_db, clock_at):
    clock_at(NOW)
    return build_world()


def start(**overrides) -> ServerThread:
    config = ServerConfig(host="127.0.0.1", port=0, idle_timeout=30, max_line=8192, db_threads=4)
    for key, value in overrides.items():
        setattr(config, key, value)
    return ServerThread(config)


@pytest.fixture
def server(live_world):
    with start() as running:
        yield running


class Raw:
    """A bare socket speaking SIP2 frames, for what a polite client would never send."""

    def __init__(self, port: int, *, tls: ssl.SSLContext | None = None) -> None:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock = tls.wrap_socket(sock, server_hostname="localhost") if tls else sock
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def frame(self) -> bytes:
        """The next response frame (CR included), or b'' when the server closed."""
        while b"\r" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                return b""
            self.buffer += chunk
        frame, _, self.buffer = self.buffer.partition(b"\r")
        return frame + b"\r"

    def ask(self, data: bytes, terminator: bytes = b"\r") -> bytes:
        self.send(data + terminator)
        response = self.frame()
        if response:
            pysip2.decode_message(response, encoding="utf-8")
        return response

    def closed(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, BrokenPipeError):
            return True

    def close(self) -> None:
        self.sock.close()


# --- the third-party client -----------------------------------------------------------------


def test_a_conversation_with_the_pypi_sip2_client(server, live_world):
    """Login, status, patron status and information, checkout, checkin, renew and end session
    through the PyPI ``sip2`` client; each raw response passes pysip2's strict decoder."""
    client = Sip2()
    client.hostName, client.hostPort = "127.0.0.1", server.port
    client.tlsEnable = False
    client.log = logging.getLogger("sip2-client")
    client.institutionId = "relire"
    client.scLocation = "lens"
    client.connect()
    responses = []

    def call(request: str, parse):  # type: ignore[no-untyped-def]
        raw = client.get_response(request)
        responses.append(raw)
        return parse(raw)

    try:
        login = call(
            client.sip_login_request("borne-lens", KIOSK_PASSWORD), client.sip_login_response
        )
        assert login["fixed"]["Ok"] == "1"
        status = call(client.sip_sc_status_request(), client.sip_sc_status_response)
        assert status["fixed"]["OnlineStatus"] == "Y" and status["fixed"]["CheckoutOk"] == "Y"
        assert status["variable"]["BX"] == ["YYYYYYYYYNYNYYYY"]
        client.patron, client.patronpwd = "29000001", PIN
        patron = call(client.sip_patron_status_request(), client.sip_patron_status_response)
        assert patron["variable"]["AE"] == ["Camille Martin"] and patron["variable"]["CQ"] == ["Y"]
        out = call(client.sip_checkout_request("31000001"), client.sip_checkout_response)
        assert out["fixed"]["Ok"] == "1" and out["variable"]["AH"] == ["20260324    235959"]
        info = call(
            client.sip_patron_information_request("charged"), client.sip_patron_information_response
        )
        assert info["fixed"]["ChargedItemsCount"] == "0001" and info["variable"]["AU"] == [
            "31000001"
        ]
        renewed = call(client.sip_renew_request("31000001"), client.sip_renew_response)
        assert renewed["fixed"]["Ok"] == "1"
        back = call(client.sip_checkin_request("31000001"), client.sip_checkin_response)
        assert back["fixed"]["Ok"] == "1" and back["fixed"]["Alert"] == "N"
        again = call(client.sip_renew_request("31000001"), client.sip_renew_response)
        assert again["fixed"]["Ok"] == "0" and again["variable"]["AF"] == ["Ce prêt est terminé."]
        end = call(client.sip_end_patron_session_request(), client.sip_end_patron_session_response)
        assert end["fixed"]["EndSession"] == "Y"
    finally:
        client.disconnect()
    for raw in responses:
        decoded = pysip2.decode_message(raw.encode("utf-8"), encoding="utf-8")
        assert decoded.sequence_number is not None and decoded.checksum is not None


def test_the_pypi_sip2_client_without_any_pin(server, live_world):
    """A machine that never sends the patron's PIN (the card is scanned, the machine
    trusted), on the default profile: patron status names the patron, a loan, patron
    information, a renewal and a return all succeed; each raw response passes pysip2."""
    client = Sip2()
    client.hostName, client.hostPort = "127.0.0.1", server.port
    client.tlsEnable = False
    client.log = logging.getLogger("sip2-client")
    client.institutionId = "relire"
    client.scLocation = "lens"
    client.connect()
    responses = []

    def call(request: str, parse):  # type: ignore[no-untyped-def]
        assert "|AD" not in request or "|AD|" in request  # no PIN on the wire
        raw = client.get_response(request)
        responses.append(raw)
        return parse(raw)

    try:
        login = call(
            client.sip_login_request("borne-lens", KIOSK_PASSWORD), client.sip_login_response
        )
        assert login["fixed"]["Ok"] == "1"
        client.patron, client.patronpwd = "29000002", ""
        patron = call(client.sip_patron_status_request(), client.sip_patron_status_response)
        assert patron["variable"]["AE"] == ["Louis Durand"] and "CQ" not in patron["variable"]
        out = call(client.sip_checkout_request("31000002"), client.sip_checkout_response)
        assert out["fixed"]["Ok"] == "1" and out["variable"]["AH"] == ["20260324    235959"]
        info = call(
            client.sip_patron_information_request("charged"), client.sip_patron_information_response
        )
        assert info["fixed"]["ChargedItemsCount"] == "0001"
        assert info["variable"]["AU"] == ["31000002"]
        renewed = call(client.sip_renew_request("31000002"), client.sip_renew_response)
        assert renewed["fixed"]["Ok"] == "1" and renewed["fixed"]["Desensitize"] == "N"
        back = call(client.sip_checkin_request("31000002"), client.sip_checkin_response)
        assert back["fixed"]["Ok"] == "1" and back["variable"]["AA"] == ["29000002"]
    finally:
        client.disconnect()
    for raw in responses:
        pysip2.decode_message(raw.encode("utf-8"), encoding="utf-8")


# --- tolerance and defences -----------------------------------------------------------------


def test_terminators_pipelining_and_split_frames(server):
    """CR, CRLF and a lone LF all end a frame; frames may arrive together or in pieces."""
    raw = Raw(server.port)
    assert raw.ask(LOGIN, b"\r\n") == b"941\r"
    assert raw.ask(b"9900802.00", b"\n").startswith(b"98YYYYNN")
    raw.send(b"9900802.00\r9900302.00AY1AZFCA5\r")
    assert raw.frame().startswith(b"98") and b"AY1AZ" in raw.frame()
    raw.send(b"99008")
    time.sleep(0.05)
    raw.send(b"02.00\r")
    assert raw.frame().startswith(b"98")
    raw.close()


def test_messages_before_login_and_three_failed_logins_close(server):
    """Nothing but a login is answered before login; the third failure closes the connection."""
    raw = Raw(server.port)
    assert raw.ask(b"9900802.00") == b"940\r"
    assert raw.ask(b"9300CNborne-lens|COfaux|") == b"940\r"
    assert raw.ask(b"9300CNborne-lens|COfaux|") == b"940\r"
    assert raw.closed()


def test_a_bad_checksum_asks_for_a_resend_and_97_repeats(server):
    """A corrupted frame gets 96; 97 gets the last response again."""
    raw = Raw(server.port)
    raw.ask(LOGIN)
    first = raw.ask(f"23000{T}AOrelire|AA29000001|AD{PIN}|".encode())
    assert raw.ask(b"9900802.00AY1AZFCA6") == b"96AZFEF6\r"
    assert raw.ask(b"97") == first


def test_junk_never_hurts_the_other_connections(server):
    """A TLS handshake on the plain port, binary garbage and a megabyte without a terminator
    close (or are answered on) their own connection; a logged-in kiosk keeps working."""
    kiosk = Raw(server.port)
    kiosk.ask(LOGIN)
    tls = Raw(server.port)
    tls.send(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)))
    assert tls.closed()
    garbage = Raw(server.port)
    assert garbage.ask(b"\xff\xfe\xfd\x00\x01binary\x80\x81") == b"96AZFEF6\r"
    big = Raw(server.port)
    try:
        big.send(b"A" * 1_000_000)
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert big.closed()
    assert kiosk.ask(b"9900802.00").startswith(b"98YYYYNN")
    for raw in (kiosk, tls, garbage, big):
        raw.close()


def test_an_idle_connection_is_closed(live_world):
    """A connection silent for longer than the idle timeout is closed by the server."""
    with start(idle_timeout=0.3) as running:
        raw = Raw(running.port)
        raw.ask(LOGIN)
        assert raw.closed()


def test_tls_when_configured(live_world, tmp_path):
    """With a certificate and key configured, the server speaks SIP2 inside TLS."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    with start(tls_cert=str(cert), tls_key=str(key)) as running:
        context = ssl.create_default_context(cafile=str(cert))
        raw = Raw(running.port, tls=context)
        assert raw.ask(LOGIN) == b"941\r"
        assert raw.ask(b"9900802.00").startswith(b"98YYYYNN")
        raw.close()


# --- fuzzing --------------------------------------------------------------------------------


def _corpus() -> list[bytes]:
    return [
        b"9900802.00",
        f"23000{T}AOrelire|AA29000001|AC|AD{PIN}|".encode(),
        f"63000{T}  Y       AOrelire|AA29000001|AD{PIN}|BP1|BQ5|".encode(),
        f"11YN{T}{B}AOrelire|AA29000001|AB31000002|AC|".encode(),
        f"09N{T}{T}APlens|AOrelire|AB31000002|AC|".encode(),
        f"29NN{T}{B}AOrelire|AA29000001|AB31000002|".encode(),
        f"65{T}AOrelire|AA29000001|".encode(),
        f"17{T}AOrelire|AB31000003|".encode(),
        f"15+{T}BSlievin|AOrelire|AA29000001|AB31000004|".encode(),
        f"15-{T}AOrelire|AA29000001|AB31000004|".encode(),
        f"35{T}AOrelire|AA29000001|".encode(),
        f"37{T}0100EURBV1.00|AOrelire|AA29000001|".encode(),
        f"01N{T}AOrelire|ALx|AA29000009|".encode(),
        f"25{T}AOrelire|AA29000001|".encode(),
        f"19{T}AOrelire|AB31000001|CHx|".encode(),
        b"97",
    ]


def _mutate(rng: random.Random, frame: bytes) -> bytes:
    data = bytearray(frame)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        pos = rng.randrange(len(data) + 1)
        if op == 0 and data:
            data[min(pos, len(data) - 1)] = rng.randrange(256)
        elif op == 1:
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 2:
            del data[pos : pos + rng.randint(1, 10)]
        elif op == 3:
            data[pos:pos] = rng.choice(
                [b"|", b"||", b"AY", b"AZ", b"AA", b"\xc3", b"\xe9", b"BP-1|BQ99999|"]
            )
        elif op == 4:
            data = data[:pos]
        else:
            data[0:2] = rng.choice([b"11", b"09", b"63", b"93", b"15", b"00", b"ZZ", b"\x00\x00"])
    return bytes(data).replace(b"\r", b"").replace(b"\n", b"")


def _fuzz_frames(rng: random.Random, n: int) -> list[bytes]:
    """Random bytes, mutated frames with a (mostly wrong) checksum, and mutated frames without
    one. Most are refused before any database work, which keeps the test fast; a few
    hundred reach the handlers with damaged fields."""
    corpus = _corpus()
    frames = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.60:
            frames.append(
                bytes(rng.randrange(256) for _ in range(rng.randint(0, 120))).replace(b"\r", b"")
            )
        elif kind < 0.97:
            body = _mutate(rng, rng.choice(corpus) + b"AY1AZ")
            valid = rng.random() < 0.12
            frames.append(body + (codec.checksum(body).encode() if valid else b"0000"))
        else:
            frames.append(_mutate(rng, rng.choice(corpus)))
    return frames


@pytest.fixture
def lenient_server(live_world):
    """A server that never refuses an address for its failed logins (fuzzing sends many)."""
    with start(address_max_failures=1_000_000) as running:
        yield running


def test_fuzzing_10000_frames_then_a_normal_checkout(lenient_server, caplog, clock_at):
    """10,000 random and mutated frames, in batches after a login: the server answers or
    closes, never fails in a handler, and afterwards lends a copy on a new connection."""
    server = lenient_server
    rng = random.Random(20260303)
    frames = _fuzz_frames(rng, 10_000)
    answered = 0
    caplog.set_level(logging.WARNING, logger="navette.sip2")
    for start_at in range(0, len(frames), 100):
        batch = frames[start_at : start_at + 100]
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=20)
        try:
            # a 97 (resend) every 10 frames keeps the connection under the limit of
            # consecutive unreadable frames, so that the server reads every frame
            stream = b"".join(
                f + b"\r" + (b"97\r" if i % 10 == 9 else b"") for i, f in enumerate(batch)
            )
            sock.sendall(LOGIN + b"\r" + stream)
            sock.shutdown(socket.SHUT_WR)
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
        except (BrokenPipeError, ConnectionResetError):
            received = b""
        finally:
            sock.close()
        answered += received.count(b"\r")
    assert answered > 10_000  # random bytes may hold LFs: more frames than were sent
    failed = [r for r in caplog.records if "erreur" in r.getMessage()]
    assert not failed, [caplog.text[-3000:]]
    # wrong PINs in the frames may have locked cards and the address, as on the portal:
    # both lockouts last 15 minutes
    clock_at(NOW + dt.timedelta(minutes=16))
    raw = Raw(server.port)
    assert raw.ask(LOGIN) == b"941\r"
    assert b"CQY" in raw.ask(f"23000{T}AOrelire|AA29000002|AD{PIN}|".encode())
    answer = raw.ask(f"11YN{T}{B}AOrelire|AA29000002|AB31000006|AC|".encode())
    assert answer.startswith(b"121"), answer
    raw.close()


def test_a_failing_handler_is_answered_and_logged_with_the_kiosk_name(server, monkeypatch, caplog):
    """An unexpected error in a handler becomes a refusal on the wire and an error log
    naming the kiosk; the connection stays open."""
    from navette.sip2 import handlers

    def broken(session, request):  # type: ignore[no-untyped-def]
        raise RuntimeError("panne simulée")

    monkeypatch.setitem(handlers.HANDLERS, "17", broken)
    caplog.set_level(logging.ERROR, logger="navette.sip2")
    raw = Raw(server.port)
    raw.ask(LOGIN)
    answer = raw.ask(f"17{T}AOrelire|AB31000001|".encode())
    assert answer.startswith(b"18010001") and "Erreur du serveur" in answer.decode()
    assert any("borne-lens" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    assert raw.ask(b"9900802.00").startswith(b"98")
    raw.close()


def test_database_threads_keep_their_connection_until_conn_max_age(db, settings):
    """A database thread reuses its connection from one request to the next (no
    connection per message) and replaces it once it is older than CONN_MAX_AGE."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, connections

    from navette.sip2.server import _run_db

    def request():  # type: ignore[no-untyped-def]
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return connection.connection

    def age() -> None:
        connection.close_at = time.monotonic() - 1

    database = connections.settings["default"]  # shared by every thread's connection
    before = database["CONN_MAX_AGE"]
    database["CONN_MAX_AGE"] = 60
    try:
        with ThreadPoolExecutor(1) as pool:
            first = pool.submit(_run_db, request).result()
            second = pool.submit(_run_db, request).result()
            pool.submit(_run_db, age).result()
            third = pool.submit(_run_db, request).result()
            pool.submit(connections.close_all).result()
    finally:
        database["CONN_MAX_AGE"] = before
    assert first is second
    assert third is not first
