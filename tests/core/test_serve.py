"""``navette serve`` as an operator runs it: a web server that slow clients cannot take
down, and a supervisor that restarts a crashed service and never leaves its children
behind (navette.core.supervisor).

Every test starts the real command on loopback ports, with bounded waits, and stops it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVE_READY_WITHIN = 120  # seconds: five Python processes start on a shared machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """A migrated SQLite data directory, shared by the tests of this module."""
    path = tmp_path_factory.mktemp("serve-home")
    result = subprocess.run(
        [sys.executable, "-m", "navette", "migrate", "-v0"],
        env=serve_env(path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return path


def serve_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAVETTE_", "DATABASE_"))}
    env.update(
        NAVETTE_HOME=str(home),
        DJANGO_SETTINGS_MODULE="navette.settings.base",
        NAVETTE_WEB_HEADER_TIMEOUT="3",
        NAVETTE_WEB_WORKERS="2",
    )
    return env


class Served:
    def __init__(self, home: Path, log: Path, web: int, sip2: int) -> None:
        self.home, self.log_path, self.web, self.sip2 = home, log, web, sip2
        self.log = log.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "navette", "serve", "--port", str(web),
                "--sip2-port", str(sip2), "--jobs-every", "3600",
            ],
            env=serve_env(home), stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def wait_ready(self) -> None:
        deadline = time.monotonic() + SERVE_READY_WITHIN
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"navette serve exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                if get_home(self.web, timeout=5).startswith(b"HTTP/1.1 200") and sip2_answers(
                    self.sip2
                ):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"navette serve not ready in {SERVE_READY_WITHIN} s:\n{self.tail()}")
            time.sleep(0.3)

    def warm(self) -> None:
        """Let every web worker serve its first pages (templates compiled, caches filled)."""
        for _ in range(8):
            get_home(self.web, timeout=60)

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture
def serve(home, tmp_path) -> Iterator:
    started: list[Served] = []

    def start(web: int | None = None, sip2: int | None = None) -> Served:
        served = Served(
            home, tmp_path / f"serve-{len(started)}.log", web or free_port(), sip2 or free_port()
        )
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()
    # nothing of any run survives the test
    leftovers = [pid for pid in all_pids() if marked_for(home, pid)]
    for pid in leftovers:
        os.kill(pid, signal.SIGKILL)
    assert not leftovers, f"processes left behind: {leftovers}"


def get_home(port: int, *, timeout: float) -> bytes:
    """GET / on a new connection; the raw response (raises on timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def sip2_answers(port: int) -> bool:
    """The SIP2 server answers: a status request before any login is refused (94, ok=0),
    without the cost of a password check."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(b"9900302.00\r")
        return sock.recv(1024).startswith(b"940")


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server has closed the connection (end of stream or reset within 2 s)."""
    sock.settimeout(2)
    try:
        while sock.recv(4096):
            pass
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False
    return True


def all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def marked_for(home: Path, pid: int) -> bool:
    """A process started by a `navette serve` of this data directory."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
    return f"NAVETTE_HOME={home}".encode() in environ and any(
        e.startswith(b"NAVETTE_SERVE_RUN=") for e in environ
    )


def children_named(parent: int, word: str) -> list[int]:
    found = []
    for pid in all_pids():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and word in cmdline(pid):
            found.append(pid)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_the_portal_answers_while_50_clients_trickle_headers(serve):
    """50 connections that send a header line every half second never finish their request,
    20 more trickle a request body; the portal home still answers within 1 s, and the server
    closes the header-trickling connections once their header time (NAVETTE_WEB_HEADER_TIMEOUT,
    3 s here) is up."""
    served = serve()
    served.wait_ready()
    served.warm()
    slow = [socket.create_connection(("127.0.0.1", served.web), timeout=5) for _ in range(50)]
    for sock in slow:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    # and 20 more that send a form's body one byte at a time
    bodies = [socket.create_connection(("127.0.0.1", served.web), timeout=5) for _ in range(20)]
    for sock in bodies:
        sock.sendall(
            b"POST /compte/connexion/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000\r\n\r\n"
        )
    stop = threading.Event()

    def trickle() -> None:
        while not stop.is_set():
            for sock in slow:
                try:
                    sock.sendall(b"X-Lent: 1\r\n")
                except OSError:
                    pass
            for sock in bodies:
                try:
                    sock.sendall(b"a")
                except OSError:
                    pass
            stop.wait(0.5)

    trickler = threading.Thread(target=trickle)
    trickler.start()
    try:
        time.sleep(1.0)
        for _ in range(5):
            assert get_home(served.web, timeout=1.0).startswith(b"HTTP/1.1 200")
        # past the header timeout every trickling connection has been closed by the server
        time.sleep(4.0)
        stop.set()
        trickler.join()
        assert [closed_by_server(sock) for sock in slow] == [True] * 50
    finally:
        stop.set()
        trickler.join()
        for sock in slow + bodies:
            sock.close()


def test_a_killed_indexer_is_restarted_while_web_and_sip2_keep_answering(serve):
    """kill -9 of the search indexer: the web portal and the SIP2 server keep answering
    and the supervisor starts a new indexer within 10 s."""
    served = serve()
    served.wait_ready()
    served.warm()
    (indexer,) = children_named(served.proc.pid, "search_indexer")
    os.kill(indexer, signal.SIGKILL)
    assert get_home(served.web, timeout=15).startswith(b"HTTP/1.1 200")
    assert sip2_answers(served.sip2)
    deadline = time.monotonic() + 10
    while not [p for p in children_named(served.proc.pid, "search_indexer") if p != indexer]:
        assert time.monotonic() < deadline, served.tail()
        time.sleep(0.2)
    assert served.proc.poll() is None
    assert get_home(served.web, timeout=15).startswith(b"HTTP/1.1 200")
    assert sip2_answers(served.sip2)
    assert "le service search s'est arrêté (code -9)" in served.tail()


def test_after_kill_9_of_the_supervisor_serve_starts_again_at_once(serve, home):
    """kill -9 of the supervisor: its children do not keep the ports, and a new
    `navette serve` on the same ports starts and serves."""
    first = serve()
    first.wait_ready()
    old = [pid for pid in all_pids() if marked_for(home, pid)]
    assert len(old) >= 5  # web (and its workers), SIP2, indexer, jobs
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait()
    second = serve(web=first.web, sip2=first.sip2)
    second.wait_ready()
    assert second.proc.poll() is None
    assert not [pid for pid in old if alive(pid)]


def test_a_second_serve_on_the_same_data_directory_is_refused(serve):
    """Two supervisors on one data directory would fight over its ports and its index:
    the second one says so and exits."""
    first = serve()
    first.wait_ready()
    second = serve()
    assert second.proc.wait(timeout=120) != 0
    assert "tourne déjà" in second.tail()
    assert get_home(first.web, timeout=15).startswith(b"HTTP/1.1 200")


def test_links_lead_to_the_address_served_unless_a_public_one_is_set(settings):
    """`navette serve --port 18080` without NAVETTE_PUBLIC_URL: mails link to port 18080,
    not to the default 8000; a configured public address (a proxy in front) wins."""
    from navette.core.management.commands.serve import use_served_address

    settings.NAVETTE_PUBLIC_URL_CONFIGURED = False
    use_served_address("0.0.0.0", 18080)
    assert settings.NAVETTE_PUBLIC_URL == "http://127.0.0.1:18080"
    settings.NAVETTE_PUBLIC_URL_CONFIGURED = True
    settings.NAVETTE_PUBLIC_URL = "https://bibliotheques.example.fr"
    use_served_address("127.0.0.1", 18081)
    assert settings.NAVETTE_PUBLIC_URL == "https://bibliotheques.example.fr"
