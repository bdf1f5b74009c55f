"""The process supervisor behind ``navette serve``.

It starts the node's services (web server, SIP2 server, search indexer, jobs) as child
processes and keeps them running:

- a child that stops is restarted after a back-off (1 s, doubling up to 30 s, back to 1 s
  once the child has stayed up for a minute); the other services keep serving meanwhile;
- every child runs in a process group of its own, so that stopping a service stops what it
  started itself (the web server's workers);
- every child asks the kernel to send it SIGTERM when the supervisor dies, even by SIGKILL
  (``PR_SET_PDEATHSIG`` on Linux);
- a PID file in the data directory, locked while the supervisor lives, names the run; its
  children carry the run's name in their environment. A new supervisor that finds the file
  unlocked (the previous one was killed) ends whatever is left of that run before it binds
  the ports, and one that finds it locked refuses to start a second copy.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

RUN_ENV = "NAVETTE_SERVE_RUN"
PR_SET_PDEATHSIG = 1

BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
STABLE_AFTER = 60.0
STOP_GRACE = 15.0


class Writer(Protocol):
    """Where the supervisor reports (a text stream, a management command's stdout)."""

    def write(self, text: str, /) -> Any: ...

    def flush(self) -> Any: ...


class SupervisorError(Exception):
    """The supervisor cannot start (another one runs, a port is taken)."""


@dataclass
class Child:
    """One supervised service: how to start it, and its current process."""

    name: str
    argv: list[str]
    env: dict[str, str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    backoff: float = BACKOFF_FIRST
    restart_at: float | None = None
    restarts: int = 0
    log: list[str] = field(default_factory=list)


def _libc_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    if not name:
        return None
    return ctypes.CDLL(name, use_errno=True).prctl


_PRCTL = _libc_prctl()


def _die_with(parent_pid: int) -> Callable[[], None]:
    """A ``preexec_fn`` that makes the child receive SIGTERM when ``parent_pid`` dies."""

    def preexec() -> None:
        if _PRCTL is not None:
            _PRCTL(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        # the supervisor may have died between fork and prctl: nobody would signal us then
        if os.getppid() != parent_pid:
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def _run_processes(run: str) -> list[int]:
    """Processes whose environment names the supervisor run ``run`` (children of a
    previous supervisor and what they started)."""
    marker = f"{RUN_ENV}={run}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                environ = fh.read().split(b"\0")
        except OSError:
            continue
        if marker in environ:
            found.append(int(entry))
    return found


def reap_run(run: str, *, timeout: float = 10.0) -> list[int]:
    """Kill (SIGKILL) what is left of a previous supervisor's run and wait until it is gone.

    Returns the process ids that were killed."""
    if not os.path.isdir("/proc"):
        return []
    pids = _run_processes(run)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _run_processes(run):
        time.sleep(0.05)
    return pids


class PidFile:
    """``$NAVETTE_HOME/serve.pid``: locked (flock) for the supervisor's lifetime.

    The kernel drops the lock when the supervisor dies, however it dies, so a locked file
    means a live supervisor and an unlocked one a dead run to clean up."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self, run: str) -> str | None:
        """Lock the file and record ``run``; return the previous run's name, if any.

        Raises SupervisorError when another supervisor holds the lock."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                previous = self._read()
                raise SupervisorError(
                    "« navette serve » tourne déjà sur ce répertoire de données "
                    f"(processus {previous.get('pid', '?')}, fichier {self.path})."
                ) from exc
            raise
        self.fd = fd
        previous_run = self._read().get("run")
        payload = json.dumps({"pid": os.getpid(), "run": run}).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, payload, 0)
        os.fsync(fd)
        return previous_run if isinstance(previous_run, str) else None

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        os.close(self.fd)
        self.fd = None


class Supervisor:
    """Start children, restart the ones that stop, stop them all on SIGTERM or SIGINT."""

    def __init__(
        self,
        children: list[Child],
        *,
        pid_file: Path,
        out: Writer,
        backoff_max: float = BACKOFF_MAX,
        stable_after: float = STABLE_AFTER,
    ) -> None:
        self.children = children
        self.pid_file = PidFile(pid_file)
        self.out = out
        self.backoff_max = backoff_max
        self.stable_after = stable_after
        self.run = uuid.uuid4().hex
        self.stopping = False

    def say(self, message: str) -> None:
        self.out.write(f"[navette serve] {message}\n")
        self.out.flush()

    def claim(self) -> None:
        """Take the PID file and end the leftovers of a supervisor that was killed.

        Call before binding anything: the leftovers may hold the ports."""
        previous = self.pid_file.acquire(self.run)
        if previous:
            killed = reap_run(previous)
            if killed:
                self.say(f"{len(killed)} processus laissés par un arrêt brutal précédent arrêtés.")

    def _spawn(self, child: Child) -> None:
        env = {**child.env, RUN_ENV: self.run}
        child.process = subprocess.Popen(
            child.argv, env=env, process_group=0, preexec_fn=_die_with(os.getpid())
        )
        child.started_at = time.monotonic()
        child.restart_at = None

    def start(self) -> None:
        for child in self.children:
            self._spawn(child)

    def _check(self, child: Child, now: float) -> None:
        proc = child.process
        if child.restart_at is not None:
            if now >= child.restart_at:
                child.restarts += 1
                self.say(f"redémarrage du service {child.name}")
                self._spawn(child)
            return
        if proc is None or proc.poll() is None:
            if proc is not None and now - child.started_at >= self.stable_after:
                child.backoff = BACKOFF_FIRST
            return
        # what the child started (web workers) goes with it
        _signal_group(proc.pid, signal.SIGKILL)
        if now - child.started_at >= self.stable_after:
            child.backoff = BACKOFF_FIRST
        delay = child.backoff
        child.backoff = min(self.backoff_max, child.backoff * 2)
        child.restart_at = now + delay
        self.say(
            f"le service {child.name} s'est arrêté (code {proc.returncode}) ; "
            f"redémarrage dans {delay:g} s"
        )

    def supervise(self) -> None:
        """Run until SIGTERM or SIGINT, then stop every child (SIGTERM, then SIGKILL)."""

        def stop(signum, frame):
            self.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while not self.stopping:
                now = time.monotonic()
                for child in self.children:
                    self._check(child, now)
                time.sleep(0.2)
        finally:
            self.stop_all()

    def stop_all(self) -> None:
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for proc in running:
            _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for proc in running:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for child in self.children:
            if child.process is not None:
                _signal_group(child.process.pid, signal.SIGKILL)
                if child.process.poll() is None:
                    child.process.wait()
        reap_run(self.run, timeout=5.0)
        self.pid_file.release()


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass
