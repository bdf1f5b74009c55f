"""A SIP2 client: Navette speaking to a member library's system as a kiosk would.

Used by patron authentication (patron status 23, patron information 63) and by the
union catalogue's live availability (item information 17). Blocking sockets, one
thread per call: the callers are Django views and jobs, and a call holds one pooled
connection for the time of one request and its answer.

- ``Sip2Endpoint`` is how to reach one system (host, port, TLS, the kiosk account
  Navette logs in with, timeouts, pool size).
- ``Sip2Client`` keeps a pool of persistent, logged-in connections to one endpoint;
  ``client_for(key, endpoint)`` shares one client per member library in the process.
- Every request carries a sequence number (AY) and a checksum (AZ); an answer with
  another sequence number or a wrong checksum is a protocol error (after one resend
  request, 97, for the checksum); a connection found dead when reused (the system
  closed it while idle) is replaced once, transparently.
- Failures raise ``Sip2Error`` with a ``Sip2Failure`` code: ``down`` (nothing listens),
  ``refused`` (the peer closed or reset the connection, or refused the login),
  ``timeout`` (no connection or no answer in time), ``busy`` (every pooled connection
  in use for longer than the timeouts), ``protocol`` (an answer that is not SIP2).

The wire format is written here for the client side (requests out, responses in); the
server's codec (navette.sip2.codec) reads requests and writes responses and sits in an
interface layer this domain module may not import.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import errno
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
T = TypeVar("T")

#: fixed-field widths of the responses this client reads
RESPONSE_FIXED: dict[str, tuple[int, ...]] = {
    "94": (1,),
    "24": (14, 3, 18),
    "64": (14, 3, 18, 4, 4, 4, 4, 4, 4),
    "18": (2, 2, 2, 18),
    "98": (1, 1, 1, 1, 1, 1, 3, 3, 18, 4),
    "36": (1, 18),
    "96": (),
}
_TRAILER = re.compile(rb"(?:AY([0-9]))?AZ([0-9A-Fa-f]{4})$")
_FIELD_ID = re.compile(r"[A-Z]{2}")
_SIP_DATE = re.compile(r"(\d{8})([ 0-9A-Z]{4})(\d{6})")
_DAY = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")

#: positions in the 14-character patron status that mean the card may not be used
#: (SIP2 2.00: 3 hold privileges denied, which systems set for a blocked or expired
#: card; 4 card reported lost)
CARD_REFUSED_POSITIONS = (3, 4)


class Sip2Failure(enum.StrEnum):
    DOWN = "sip2.down"
    REFUSED = "sip2.refused"
    LOGIN_REFUSED = "sip2.login_refused"
    TIMEOUT = "sip2.timeout"
    BUSY = "sip2.busy"
    PROTOCOL = "sip2.protocol"


class Sip2Error(Exception):
    """The member's SIP2 system could not answer: ``failure`` says how."""

    def __init__(self, failure: Sip2Failure, detail: str = "") -> None:
        super().__init__(f"{failure}: {detail}" if detail else str(failure))
        self.failure = failure
        self.detail = detail


@dataclass(frozen=True)
class Sip2Endpoint:
    """How to reach one library system's SIP2 server, and the kiosk account to log in with."""

    host: str
    port: int
    login_user: str = ""
    login_password: str = ""
    #: CP in the login: the location code the system knows Navette's "kiosk" by
    location: str = ""
    #: AO in every request: the institution id the system expects
    institution: str = ""
    tls: bool = False
    #: a CA file to check the server's certificate against (blank: the system's CAs)
    tls_ca_file: str = ""
    connect_timeout: float = 3.0
    read_timeout: float = 5.0
    encoding: str = "utf-8"
    pool_size: int = 4

    def ssl_context(self) -> ssl.SSLContext | None:
        if not self.tls:
            return None
        context = ssl.create_default_context(cafile=self.tls_ca_file or None)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context


# --- the wire format, client side ---------------------------------------------------------


def checksum(data: bytes) -> str:
    """The AZ value for ``data`` (every byte from the code through ``AZ``): four hex digits."""
    return f"{(-sum(data)) & 0xFFFF:04X}"


def sip_date(instant: dt.datetime) -> str:
    """``YYYYMMDDZZZZHHMMSS`` in Paris time, zone blank."""
    local = instant.astimezone(PARIS)
    return (
        f"{local.year:04d}{local.month:02d}{local.day:02d}    "
        f"{local.hour:02d}{local.minute:02d}{local.second:02d}"
    )


def parse_day(text: str) -> dt.date | None:
    """A date a system sent: a SIP2 date (``YYYYMMDDZZZZHHMMSS``), ``YYYYMMDD`` or
    ``YYYY-MM-DD``; ``None`` when blank or unreadable."""
    text = (text or "").strip()
    m = _SIP_DATE.fullmatch(text) or _DAY.fullmatch(text[:10]) or _DAY.fullmatch(text[:8])
    if m is None:
        return None
    digits = m.group(1) if m.re is _SIP_DATE else "".join(m.groups())
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def format_request(code: str, fixed: str, fields: list[tuple[str, str]], sequence: int) -> bytes:
    """A request frame with its sequence number and checksum, CR included."""
    body = code + fixed + "".join(f"{fid}{_clean(value)}|" for fid, value in fields)
    data = body.encode("utf-8", errors="replace") + b"AY%dAZ" % sequence
    return data + checksum(data).encode("ascii") + b"\r"


def _clean(value: str) -> str:
    return value.replace("|", "/").replace("\r", " ").replace("\n", " ")


@dataclass
class Response:
    code: str
    fixed: list[str]
    fields: dict[str, list[str]] = field(default_factory=dict)
    sequence: int | None = None

    def get(self, field_id: str, default: str = "") -> str:
        values = self.fields.get(field_id)
        return values[0].strip() if values and values[0].strip() else default

    def all(self, field_id: str) -> list[str]:
        return [v.strip() for v in self.fields.get(field_id, []) if v.strip()]


class ChecksumMismatch(ValueError):
    pass


def parse_response(frame: bytes, encoding: str = "utf-8") -> Response:
    """Read one response frame (terminator removed or not). Raises ``ChecksumMismatch``
    for a wrong AZ and ``ValueError`` for anything else that is not a known response."""
    frame = frame.strip(b"\r\n")
    sequence = None
    m = _TRAILER.search(frame)
    if m is not None:
        prefix = frame[: m.start(2)]
        if (sum(prefix) + int(m.group(2), 16)) & 0xFFFF != 0:
            raise ChecksumMismatch("wrong checksum")
        sequence = int(m.group(1)) if m.group(1) is not None else None
        frame = frame[: m.start()]
    text = frame.decode(encoding, errors="replace")
    code = text[:2]
    widths = RESPONSE_FIXED.get(code)
    if widths is None:
        raise ValueError(f"unexpected response code {code!r}")
    pos = 2
    fixed = []
    for width in widths:
        if len(text) < pos + width:
            raise ValueError(f"truncated fixed fields in {code}")
        fixed.append(text[pos : pos + width])
        pos += width
    fields: dict[str, list[str]] = {}
    for piece in text[pos:].split("|"):
        if len(piece) >= 2 and _FIELD_ID.fullmatch(piece[:2]):
            fields.setdefault(piece[:2], []).append(piece[2:])
    if sequence is None and fields.get("AY"):
        ay = fields["AY"][0].strip()
        sequence = int(ay) if len(ay) == 1 and ay.isdigit() else None
    fields.pop("AY", None)
    fields.pop("AZ", None)
    return Response(code=code, fixed=fixed, fields=fields, sequence=sequence)


# --- what the client returns --------------------------------------------------------------


@dataclass(frozen=True)
class PatronAnswer:
    """What a system said about a card (24 or 64).

    ``known`` is BL (a valid patron), ``pin_ok`` is CQ (``None`` when not sent). The
    category (PC), expiry (PA) and birth date (PB) are the common extensions, read
    where sent.
    """

    card: str
    known: bool
    pin_ok: bool | None
    status: str
    name: str = ""
    category: str = ""
    expires_on: dt.date | None = None
    birth_date: dt.date | None = None
    screen_messages: tuple[str, ...] = ()

    @property
    def card_refused(self) -> bool:
        """The status flags deny the card itself (blocked, expired, reported lost)."""
        return any(
            len(self.status) > i and self.status[i].upper() == "Y" for i in CARD_REFUSED_POSITIONS
        )

    def expired_on(self, day: dt.date) -> bool:
        return self.expires_on is not None and self.expires_on < day


class CirculationStatus(enum.StrEnum):
    """SIP2 2.00 circulation status of a copy (item information, 18)."""

    OTHER = "01"
    ON_ORDER = "02"
    AVAILABLE = "03"
    CHARGED = "04"
    CHARGED_RECALLED = "05"
    IN_PROCESS = "06"
    RECALLED = "07"
    ON_HOLD_SHELF = "08"
    WAITING_RESHELVING = "09"
    IN_TRANSIT = "10"
    CLAIMED_RETURNED = "11"
    LOST = "12"
    MISSING = "13"


@dataclass(frozen=True)
class ItemAnswer:
    """What a system said about a copy (18): ``known`` is false for a barcode it does not
    hold (no title, or circulation status "01" with an empty title)."""

    barcode: str
    known: bool
    status: str
    due_on: dt.date | None = None
    title: str = ""
    holds_waiting: int | None = None
    location: str = ""
    screen_messages: tuple[str, ...] = ()

    @property
    def available(self) -> bool:
        return self.known and self.status == CirculationStatus.AVAILABLE


# --- one connection -----------------------------------------------------------------------


class Sip2Connection:
    """One socket to the system, logged in. Not thread-safe: the pool lends it to one
    caller at a time."""

    def __init__(self, endpoint: Sip2Endpoint, limit: float | None = None) -> None:
        # ``limit`` caps the connect and login times of a caller in a hurry; later
        # requests on the connection use the endpoint's timeouts (or their own limit)
        self.endpoint = endpoint
        self.limit = limit
        self.sequence = 0
        self.buffer = b""
        self.sock = self._connect()
        try:
            self._login()
            self.limit = None
        except BaseException:
            self.close()
            raise

    def _connect(self) -> socket.socket:
        ep = self.endpoint
        try:
            sock = socket.create_connection(
                (ep.host, ep.port), timeout=self._capped(ep.connect_timeout)
            )
        except ConnectionRefusedError as exc:
            raise Sip2Error(Sip2Failure.DOWN, str(exc)) from exc
        except TimeoutError as exc:
            raise Sip2Error(Sip2Failure.TIMEOUT, "connect") from exc
        except OSError as exc:
            failure = (
                Sip2Failure.DOWN
                if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ECONNREFUSED)
                else Sip2Failure.REFUSED
            )
            raise Sip2Error(failure, str(exc)) from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        context = ep.ssl_context()
        if context is not None:
            try:
                sock.settimeout(self._capped(ep.connect_timeout))
                sock = context.wrap_socket(sock, server_hostname=ep.host)
            except TimeoutError as exc:
                sock.close()
                raise Sip2Error(Sip2Failure.TIMEOUT, "tls handshake") from exc
            except (ssl.SSLError, OSError) as exc:
                sock.close()
                raise Sip2Error(Sip2Failure.REFUSED, f"tls: {exc}") from exc
        return sock

    def _capped(self, seconds: float) -> float:
        return min(seconds, self.limit) if self.limit is not None else seconds

    def _login(self) -> None:
        ep = self.endpoint
        answer = self.ask(
            "93",
            "00",
            [("CN", ep.login_user), ("CO", ep.login_password), ("CP", ep.location)],
            expect="94",
        )
        if answer.fixed[0] != "1":
            raise Sip2Error(Sip2Failure.LOGIN_REFUSED, ep.login_user)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def ask(
        self, code: str, fixed: str, fields: list[tuple[str, str]], *, expect: str,
        timeout: float | None = None,
    ) -> Response:  # fmt: skip
        """Send one request and read its answer (asking once for a resend, 97, when the
        answer's checksum is wrong), within ``timeout`` seconds (default: the endpoint's
        read timeout)."""
        sequence = self.sequence
        self.sequence = (self.sequence + 1) % 10
        deadline = time.monotonic() + self._capped(
            timeout if timeout is not None else self.endpoint.read_timeout
        )
        self._send(format_request(code, fixed, fields, sequence))
        for attempt in range(2):
            frame = self._frame(deadline)
            try:
                response = parse_response(frame, self.endpoint.encoding)
            except ChecksumMismatch as exc:
                if attempt:
                    raise Sip2Error(Sip2Failure.PROTOCOL, "checksum") from exc
                self._send(b"97AZ" + checksum(b"97AZ").encode("ascii") + b"\r")
                continue
            except ValueError as exc:
                raise Sip2Error(Sip2Failure.PROTOCOL, str(exc)) from exc
            if response.code == "96" and not attempt:
                self._send(format_request(code, fixed, fields, sequence))
                continue
            if response.code != expect:
                raise Sip2Error(Sip2Failure.PROTOCOL, f"{response.code} for {code}")
            if response.sequence is not None and response.sequence != sequence:
                raise Sip2Error(Sip2Failure.PROTOCOL, "sequence number")
            return response
        raise Sip2Error(Sip2Failure.PROTOCOL, "resend")

    def _send(self, data: bytes) -> None:
        try:
            self.sock.settimeout(self.endpoint.read_timeout)
            self.sock.sendall(data)
        except TimeoutError as exc:
            raise Sip2Error(Sip2Failure.TIMEOUT, "send") from exc
        except OSError as exc:
            raise Sip2Error(Sip2Failure.REFUSED, str(exc)) from exc

    def _frame(self, deadline: float) -> bytes:
        while True:
            end = self.buffer.find(b"\r")
            if end >= 0:
                frame, self.buffer = self.buffer[:end], self.buffer[end + 1 :].lstrip(b"\n")
                return frame
            left = deadline - time.monotonic()
            if left <= 0:
                raise Sip2Error(Sip2Failure.TIMEOUT, "read")
            try:
                self.sock.settimeout(left)
                chunk = self.sock.recv(65536)
            except TimeoutError as exc:
                raise Sip2Error(Sip2Failure.TIMEOUT, "read") from exc
            except OSError as exc:
                raise Sip2Error(Sip2Failure.REFUSED, str(exc)) from exc
            if not chunk:
                raise Sip2Error(Sip2Failure.REFUSED, "closed by the peer")
            self.buffer += chunk
            if len(self.buffer) > 1 << 20:
                raise Sip2Error(Sip2Failure.PROTOCOL, "frame too long")


# --- the pool and the client --------------------------------------------------------------


class Sip2Client:
    """A pool of persistent connections to one endpoint, lent to one caller at a time.

    At most ``pool_size`` connections are open; a caller waits for a free one no longer
    than the connect and read timeouts together, then gets ``busy``. A connection whose
    request failed is closed, never lent again. A request on a reused connection that
    finds it closed by the peer is retried once on a new connection (every request this
    client sends only reads: it is safe to send twice).
    """

    def __init__(self, endpoint: Sip2Endpoint) -> None:
        self.endpoint = endpoint
        self._idle: list[Sip2Connection] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(1, endpoint.pool_size))
        self._closed = False
        #: connections opened since the client was made (tests and the monitor read it)
        self.connections_opened = 0

    def _take(self, limit: float | None = None) -> tuple[Sip2Connection, bool]:
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        connection = Sip2Connection(self.endpoint, limit)
        with self._lock:
            self.connections_opened += 1
        return connection, False

    def _give_back(self, connection: Sip2Connection) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append(connection)
                return
        connection.close()

    @contextlib.contextmanager
    def _slot(self, limit: float | None = None) -> Iterator[None]:
        wait = self.endpoint.connect_timeout + self.endpoint.read_timeout
        if limit is not None:
            wait = min(wait, limit)
        if not self._slots.acquire(timeout=wait):
            raise Sip2Error(Sip2Failure.BUSY, f"{self.endpoint.pool_size} connections in use")
        try:
            yield
        finally:
            self._slots.release()

    def call(self, request: Callable[[Sip2Connection], T], *, limit: float | None = None) -> T:
        """Run ``request`` on a pooled connection, replacing a dead reused one once.
        ``limit`` caps the wait for a free connection and the time to open one (the
        request itself passes its own timeout to ``ask``)."""
        with self._slot(limit):
            for attempt in range(2):
                connection, reused = self._take(limit)
                try:
                    result = request(connection)
                except Sip2Error as exc:
                    connection.close()
                    if reused and attempt == 0 and exc.failure == Sip2Failure.REFUSED:
                        continue
                    raise
                except BaseException:
                    connection.close()
                    raise
                self._give_back(connection)
                return result
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    @property
    def idle_connections(self) -> int:
        with self._lock:
            return len(self._idle)

    # --- the messages ---

    def login_check(self) -> None:
        """Open (or reuse) a logged-in connection: raises ``Sip2Error`` when the system
        cannot be reached or refuses Navette's account."""
        self.call(lambda connection: None)

    def patron_status(self, card: str, pin: str, *, now: dt.datetime) -> PatronAnswer:
        """23 -> 24: validity and PIN check of ``card``."""

        def ask(connection: Sip2Connection) -> Response:
            return connection.ask(
                "23", "000" + sip_date(now), self._patron_fields(card, pin), expect="24"
            )

        return self._patron_answer(card, self.call(ask))

    def patron_information(self, card: str, pin: str, *, now: dt.datetime) -> PatronAnswer:
        """63 -> 64: as patron status, with the extensions some systems only send here."""

        def ask(connection: Sip2Connection) -> Response:
            return connection.ask(
                "63", "000" + sip_date(now) + " " * 10, self._patron_fields(card, pin),
                expect="64",
            )  # fmt: skip

        return self._patron_answer(card, self.call(ask))

    def item_information(
        self, barcode: str, *, now: dt.datetime, timeout: float | None = None
    ) -> ItemAnswer:
        """17 -> 18: circulation status and due date of a copy. With ``timeout``, each
        step of the call (waiting for a free connection, opening and logging in one, the
        answer) gives up after that many seconds with ``Sip2Error`` (a results page that
        must not wait for a slow member)."""

        def ask(connection: Sip2Connection) -> Response:
            fields = [("AO", self.endpoint.institution), ("AB", barcode), ("AC", "")]
            return connection.ask("17", sip_date(now), fields, expect="18", timeout=timeout)

        response = self.call(ask, limit=timeout)
        status = response.fixed[0]
        title = response.get("AJ")
        holds = response.get("CF")
        return ItemAnswer(
            barcode=response.get("AB", barcode),
            known=bool(title) or status not in ("01", "  "),
            status=status,
            due_on=parse_day(response.get("AH")),
            title=title,
            holds_waiting=int(holds) if holds.isdigit() else None,
            location=response.get("AP") or response.get("AQ"),
            screen_messages=tuple(response.all("AF")),
        )

    def _patron_fields(self, card: str, pin: str) -> list[tuple[str, str]]:
        return [("AO", self.endpoint.institution), ("AA", card), ("AC", ""), ("AD", pin)]

    @staticmethod
    def _patron_answer(card: str, response: Response) -> PatronAnswer:
        cq = response.get("CQ").upper()
        return PatronAnswer(
            card=card,
            known=response.get("BL").upper() == "Y",
            pin_ok=None if not cq else cq == "Y",
            status=response.fixed[0],
            name=response.get("AE"),
            category=response.get("PC"),
            expires_on=parse_day(response.get("PA")),
            birth_date=parse_day(response.get("PB")),
            screen_messages=tuple(response.all("AF")),
        )


_clients: dict[str, Sip2Client] = {}
_clients_lock = threading.Lock()


def client_for(key: str, endpoint: Sip2Endpoint) -> Sip2Client:
    """The process's client for ``key`` (a member library's code), made again when the
    library's connection settings changed (the old one's connections are closed)."""
    with _clients_lock:
        client = _clients.get(key)
        if client is not None and client.endpoint == endpoint:
            return client
        _clients[key] = Sip2Client(endpoint)
    if client is not None:
        client.close()
    return _clients[key]


def close_all_clients() -> None:
    """Close every pooled connection of the process (tests, shutdown)."""
    with _clients_lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.close()
