"""The SIP2 TCP server: asyncio for the sockets, a pool of threads for the database.

One coroutine per connection reads frames, and hands each request to
``handlers.dispatch`` in a worker thread. Worker threads keep their database
connection between requests (one per thread, closed when the server stops),
so a request costs its queries, not a connection set-up.

Defences, so that one bad peer never hurts the others: a cap on connections, in all
and per address; a few seconds to log in, then the idle timeout; bounded line length;
login first, three failed logins close; an address with too many failed logins is
refused without any check, and a kiosk account is locked after repeated wrong
passwords (audited); passwords are hashed in their own threads, never in a
database thread; a TLS handshake on the plain port or repeated junk closes; any
handler error is logged with the kiosk's name and answered, never raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import ssl
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.db import connections

from navette.sip2 import codec, handlers
from navette.sip2.activity import activity_flush

log = logging.getLogger("navette.sip2")

T = TypeVar("T")

MAX_FAILED_LOGINS = 3
#: consecutive unreadable frames before the connection is closed
MAX_BAD_FRAMES = 20
READ_CHUNK = 65536


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 6001
    idle_timeout: float = 600.0
    max_line: int = 8192
    db_threads: int = 8
    tls_cert: str = ""
    tls_key: str = ""
    #: processes sharing the port (SO_REUSEPORT): Python runs one thread at a time per process
    workers: int = 1
    reuse_port: bool = False
    max_connections: int = 1000
    max_per_address: int = 64
    #: seconds to log in after connecting
    login_timeout: float = 10.0
    hash_threads: int = 2
    #: failed logins from one address within ``failure_window`` seconds before its logins
    #: are refused unchecked
    address_max_failures: int = 30
    failure_window: float = 900.0

    @classmethod
    def from_settings(cls, **overrides: Any) -> ServerConfig:
        config = cls(
            host=settings.NAVETTE_SIP2_HOST,
            port=settings.NAVETTE_SIP2_PORT,
            idle_timeout=float(settings.NAVETTE_SIP2_IDLE_TIMEOUT),
            max_line=settings.NAVETTE_SIP2_MAX_LINE,
            db_threads=settings.NAVETTE_SIP2_DB_THREADS,
            workers=settings.NAVETTE_SIP2_WORKERS,
            tls_cert=settings.NAVETTE_SIP2_TLS_CERT,
            tls_key=settings.NAVETTE_SIP2_TLS_KEY,
            max_connections=settings.NAVETTE_SIP2_MAX_CONNECTIONS,
            max_per_address=settings.NAVETTE_SIP2_MAX_PER_ADDRESS,
            login_timeout=float(settings.NAVETTE_SIP2_LOGIN_TIMEOUT),
            hash_threads=settings.NAVETTE_SIP2_HASH_THREADS,
            address_max_failures=settings.NAVETTE_SIP2_ADDRESS_MAX_FAILURES,
            failure_window=60.0 * settings.NAVETTE_SIP2_LOCKOUT_MINUTES,
        )
        for key, value in overrides.items():
            if value is not None:
                setattr(config, key, value)
        if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
            # one writer at a time: concurrent requests would only wait on the file lock
            config.workers, config.db_threads = 1, 1
        return config

    def ssl_context(self) -> ssl.SSLContext | None:
        if not self.tls_cert:
            return None
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self.tls_cert, self.tls_key or None)
        return ctx


def _release_connections_after_error() -> None:
    """Keep this thread's connection for the next request unless it broke or aged.

    Django recycles connections at the start and end of HTTP requests only; here,
    after each SIP2 request, a connection older than ``CONN_MAX_AGE`` is closed
    (the next request opens a fresh one), and a broken one is dropped. No query is
    spent on a healthy connection. ``CONN_MAX_AGE = 0`` (the SQLite set-up) keeps
    the thread's connection: a new one per message would only add the set-up cost.
    """
    for conn in connections.all(initialized_only=True):
        if conn.connection is None:
            continue
        if conn.in_atomic_block:  # a service left a transaction open: never reuse it
            conn.close()
        elif conn.errors_occurred and not conn.is_usable():
            conn.close()
        elif (
            conn.settings_dict.get("CONN_MAX_AGE")
            and conn.close_at is not None
            and time.monotonic() >= conn.close_at
        ):
            conn.close()


def _run_db(fn: Callable[..., T], *args: Any) -> T:
    try:
        return fn(*args)
    finally:
        _release_connections_after_error()


class Sip2Server:
    """A SIP2 server; ``await start()`` then ``await serve_forever()`` or ``await stop()``."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.pool = ThreadPoolExecutor(max_workers=config.db_threads, thread_name_prefix="sip2-db")
        self.hash_pool = ThreadPoolExecutor(
            max_workers=config.hash_threads, thread_name_prefix="sip2-hash"
        )
        self.server: asyncio.Server | None = None
        self.connections: set[asyncio.Task[None]] = set()
        #: open connections per address, and the times of recent failed logins per address
        #: (this process's view: each worker process counts its own connections)
        self.per_address: Counter[str] = Counter()
        self.failures: dict[str, deque[float]] = {}

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self.server = await asyncio.start_server(
            self._accept,
            self.config.host,
            self.config.port,
            ssl=self.config.ssl_context(),
            limit=READ_CHUNK,
            reuse_address=True,
            reuse_port=self.config.reuse_port or None,
        )
        log.info(
            "serveur SIP2 à l'écoute sur %s:%s%s",
            self.config.host, self.port, " (TLS)" if self.config.tls_cert else "",
        )  # fmt: skip

    async def serve_forever(self) -> None:
        assert self.server is not None
        async with self.server:
            await self.server.serve_forever()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self.connections):
            task.cancel()
        if self.connections:
            await asyncio.gather(*self.connections, return_exceptions=True)
        if self.server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 2)
        # the kiosk monitor's last counts, in a database thread, before the threads close
        with contextlib.suppress(Exception):
            await asyncio.get_running_loop().run_in_executor(self.pool, activity_flush)
        await asyncio.get_running_loop().run_in_executor(None, self._close_pool)
        self.hash_pool.shutdown(wait=True)

    def _close_pool(self) -> None:
        # Each worker thread closes its own database connection: run one closing
        # task per thread, held at a barrier so that no thread takes two.
        n = self.config.db_threads
        barrier = threading.Barrier(n)

        def close_mine() -> None:
            connections.close_all()
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=5)

        futures = [self.pool.submit(close_mine) for _ in range(n)]
        for f in futures:
            with contextlib.suppress(Exception):
                f.result(timeout=10)
        self.pool.shutdown(wait=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        address = _address(writer)
        if (
            len(self.connections) >= self.config.max_connections
            or self.per_address[address] >= self.config.max_per_address
        ):
            log.warning(
                "SIP2 %s : trop de connexions (%d en tout, %d de cette adresse), refusée",
                address, len(self.connections), self.per_address[address],
            )  # fmt: skip
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1)
            return
        self.connections.add(task)
        self.per_address[address] += 1
        conn = _Connection(self, reader, writer)
        try:
            await conn.run()
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("SIP2 %s : erreur inattendue, connexion fermée", conn.name)
        finally:
            self.connections.discard(task)
            self.per_address[address] -= 1
            if self.per_address[address] <= 0:
                del self.per_address[address]
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1)

    async def db(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, _run_db, fn, *args)

    async def hashing(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` (a password check, no database) in the hashing threads."""
        return await asyncio.get_running_loop().run_in_executor(self.hash_pool, fn, *args)

    def _recent_failures(self, address: str) -> deque[float]:
        times = self.failures.setdefault(address, deque())
        horizon = time.monotonic() - self.config.failure_window
        while times and times[0] < horizon:
            times.popleft()
        return times

    def address_refused(self, address: str) -> bool:
        """Whether logins from ``address`` are refused unchecked (too many recent failures)."""
        refused = len(self._recent_failures(address)) >= self.config.address_max_failures
        if not self.failures.get(address):
            self.failures.pop(address, None)
        return refused

    def note_failed_login(self, address: str) -> None:
        self._recent_failures(address).append(time.monotonic())


class _Connection:
    def __init__(
        self, server: Sip2Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self.session = handlers.Session(peer_ip=_address(writer))
        self.login_deadline = time.monotonic() + server.config.login_timeout
        self.failed_logins = 0
        self.bad_frames = 0
        self.last_response: bytes | None = None
        self.first_bytes = True

    @property
    def name(self) -> str:
        return f"{self.session.kiosk_login or 'non connecté'} ({self.peer})"

    async def run(self) -> None:
        buffer = b""
        config = self.server.config
        while True:
            timeout = config.idle_timeout
            if self.session.kiosk_id is None:
                timeout = min(timeout, max(0.0, self.login_deadline - time.monotonic()))
            try:
                chunk = await asyncio.wait_for(self.reader.read(READ_CHUNK), timeout)
            except TimeoutError:
                if self.session.kiosk_id is None:
                    log.info("SIP2 %s : pas de connexion (93) à temps, fermé", self.name)
                else:
                    log.info("SIP2 %s : inactif depuis %ss, connexion fermée", self.name, timeout)
                return
            except (ConnectionError, OSError, ssl.SSLError) as exc:
                log.info("SIP2 %s : connexion interrompue (%s)", self.name, exc)
                return
            if not chunk:
                return
            if self.first_bytes:
                self.first_bytes = False
                if chunk[:1] == b"\x16" and chunk[1:2] == b"\x03":
                    log.warning(
                        "SIP2 %s : poignée de main TLS sur le port en clair, fermé", self.name
                    )
                    return
            buffer += chunk
            while True:
                cut = _terminator(buffer)
                if cut < 0:
                    break
                frame, buffer = buffer[:cut], buffer[cut + 1 :]
                if len(frame) > config.max_line:
                    log.warning(
                        "SIP2 %s : message trop long (%d octets), fermé", self.name, len(frame)
                    )
                    return
                if not frame.strip(b"\r\n \t"):
                    continue
                if not await self.handle(frame):
                    return
            if len(buffer) > config.max_line:
                log.warning(
                    "SIP2 %s : plus de %d octets sans fin de message, fermé",
                    self.name,
                    config.max_line,
                )
                return

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def _login(self, request: codec.Request) -> tuple[bytes, bool]:
        """The account (database thread), its password (hashing thread), the outcome
        (database thread): a hash never holds a database thread."""
        kiosk = await self.server.db(handlers.login_lookup, request)
        ok = await self.server.hashing(handlers.login_check, kiosk, request)
        return await self.server.db(handlers.login_finish, self.session, request, kiosk, ok)

    async def handle(self, frame: bytes) -> bool:
        """Answer one frame; ``False`` closes the connection."""
        try:
            request = codec.parse(frame, self.session.encoding)
        except codec.FrameError as exc:
            self.bad_frames += 1
            log.info("SIP2 %s : message illisible (%s)", self.name, exc.reason)
            if self.bad_frames >= MAX_BAD_FRAMES:
                log.warning("SIP2 %s : trop de messages illisibles, fermé", self.name)
                return False
            await self.send(codec.resend_request(checksummed=True))
            return True
        self.bad_frames = 0
        if request.code == "97":
            await self.send(
                self.last_response or codec.resend_request(checksummed=request.checksummed)
            )
            return True
        if request.code == "93":
            address = self.session.peer_ip
            if self.server.address_refused(address):
                response, ok = handlers.login_refused(request), False
            else:
                try:
                    response, ok = await self._login(request)
                except Exception:
                    log.exception("SIP2 %s : erreur pendant la connexion (93)", self.name)
                    response, ok = handlers.login_refused(request), False
                if not ok:
                    self.server.note_failed_login(address)
            await self.send(response)
            if ok:
                self.failed_logins = 0
                log.info("SIP2 %s : automate connecté", self.name)
                return True
            self.failed_logins += 1
            log.warning("SIP2 %s : échec de connexion (%d)", self.name, self.failed_logins)
            return self.failed_logins < MAX_FAILED_LOGINS
        if self.session.kiosk_id is None:
            self.failed_logins += 1
            log.warning("SIP2 %s : message %s avant la connexion (93)", self.name, request.code)
            await self.send(handlers.login_refused(request))
            return self.failed_logins < MAX_FAILED_LOGINS
        try:
            response = await self.server.db(handlers.dispatch, self.session, request)
        except Exception:
            log.exception("SIP2 %s : erreur en traitant le message %s", self.name, request.code)
            response = handlers.failure(self.session, request)
        self.last_response = response
        await self.send(response)
        return True


def _address(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, tuple) else "127.0.0.1"


def _terminator(buffer: bytes) -> int:
    """Index of the first CR or LF in ``buffer``, or -1."""
    cr = buffer.find(b"\r")
    lf = buffer.find(b"\n")
    if cr < 0:
        return lf
    if lf < 0:
        return cr
    return min(cr, lf)


def _serve(config: ServerConfig) -> None:
    async def main() -> None:
        server = Sip2Server(config)
        await server.start()
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        serving = asyncio.create_task(server.serve_forever())
        await stopping.wait()
        serving.cancel()
        await server.stop()

    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(main())


def use_prepared_statements() -> bool:
    """On PostgreSQL with ``NAVETTE_SIP2_PREPARED``, this process's connections opened from
    now on bind parameters on the server and prepare repeated statements. Returns whether on."""
    db = settings.DATABASES["default"]
    if not (settings.NAVETTE_SIP2_PREPARED and db["ENGINE"].endswith("postgresql")):
        return False
    connections.close_all()
    # the connection handler shares this dict: threads' connections, opened later, see it
    options = db.setdefault("OPTIONS", {})
    given = options.get("options", "")
    options.update(settings.NAVETTE_DB_PREPARED_OPTIONS)
    if given and given != options["options"]:  # libpq options of the URL's, joined
        options["options"] = f"{given} {options['options']}"
    return True


def run(config: ServerConfig) -> int:
    """Serve until SIGTERM or SIGINT (the ``navette sip2`` command). Returns an exit status.

    With ``workers`` > 1, that many processes bind the same port (SO_REUSEPORT) and
    the kernel spreads connections between them: the database work of one process
    is bound by one core, whatever its number of threads.
    """
    if config.workers <= 1:
        _serve(config)
        return 0
    connections.close_all()  # never share a database connection across fork
    config.reuse_port = True
    children: list[int] = []
    for _ in range(config.workers):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child process
            status = 0
            try:
                _serve(config)
            except Exception:
                log.exception("SIP2 : le processus de service s'est arrêté sur une erreur")
                status = 1
            finally:
                os._exit(status)
        children.append(pid)

    def forward(signum: int | None, frame: object) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    status = 0
    for child in children:
        while True:
            try:
                _, code = os.waitpid(child, 0)
                break
            except InterruptedError:
                continue
        if code:
            status = 1
            forward(None, None)
    return status


class ServerThread:
    """A server on its own event loop in a background thread (tests and benchmarks)."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.loop = asyncio.new_event_loop()
        self.server = Sip2Server(config)
        self.thread = threading.Thread(target=self.loop.run_forever, name="sip2-loop", daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(10)
        return self

    @property
    def port(self) -> int:
        return self.server.port

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
