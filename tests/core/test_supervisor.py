"""The supervisor of `navette serve` with small stand-in services (navette.core.supervisor):
back-off between restarts, process groups, the PID file and the reaping of a dead run."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from navette.core.management.commands.serve import check_port_free
from navette.core.supervisor import (
    RUN_ENV,
    Child,
    PidFile,
    Supervisor,
    SupervisorError,
    reap_run,
)

EXIT_AT_ONCE = [sys.executable, "-c", "raise SystemExit(3)"]
# a service that starts a helper of its own (as the web server starts its workers)
WITH_HELPER = ["sh", "-c", 'sleep 300 & echo $! > "$HELPER_PID"; wait']


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_a_stopped_child_is_restarted_after_a_growing_back_off(tmp_path):
    """1 s, then 2 s, then 4 s between restarts of a service that keeps stopping; the
    back-off stays at its maximum; the supervisor reports each stop with its code."""
    out = io.StringIO()
    child = Child("search", EXIT_AT_ONCE, dict(os.environ))
    supervisor = Supervisor([child], pid_file=tmp_path / "serve.pid", out=out, backoff_max=4)
    supervisor.claim()
    supervisor.start()
    delays = []
    try:
        for _ in range(4):
            assert child.process is not None
            child.process.wait(timeout=30)
            now = time.monotonic()
            supervisor._check(child, now)
            assert child.restart_at is not None
            delays.append(round(child.restart_at - now, 3))
            supervisor._check(child, now + delays[-1] - 0.01)  # not yet
            assert child.restarts == len(delays) - 1
            supervisor._check(child, now + delays[-1])
            assert child.restarts == len(delays)
    finally:
        supervisor.stop_all()
    assert delays == [1.0, 2.0, 4.0, 4.0]
    assert "le service search s'est arrêté (code 3) ; redémarrage dans 1 s" in out.getvalue()


def test_stopping_a_child_stops_what_it_started(tmp_path):
    """Each child has its own process group: stop_all ends the child's own helpers too,
    and removes the PID file."""
    helper_pid = tmp_path / "helper.pid"
    env = {**os.environ, "HELPER_PID": str(helper_pid)}
    supervisor = Supervisor(
        [Child("web", WITH_HELPER, env)], pid_file=tmp_path / "serve.pid", out=io.StringIO()
    )
    supervisor.claim()
    supervisor.start()
    wait_for(lambda: helper_pid.exists() and helper_pid.read_text().strip())
    helper = int(helper_pid.read_text())
    assert alive(helper)
    supervisor.stop_all()
    wait_for(lambda: not alive(helper), timeout=5)
    assert not (tmp_path / "serve.pid").exists()


def test_a_live_supervisor_s_pid_file_refuses_a_second_one(tmp_path):
    """The PID file is locked while its supervisor lives."""
    first = PidFile(tmp_path / "serve.pid")
    assert first.acquire("run-1") is None
    with pytest.raises(SupervisorError, match="tourne déjà"):
        PidFile(tmp_path / "serve.pid").acquire("run-2")
    first.release()


def test_a_dead_supervisor_s_run_is_named_and_reaped(tmp_path):
    """An unlocked PID file names the previous run; reap_run kills every process marked
    with it, and only those."""
    stale = PidFile(tmp_path / "serve.pid")
    stale.acquire("run-mort")
    os.close(stale.fd)  # the lock goes as with a kill -9, the file stays
    stale.fd = None
    marked = subprocess.Popen(["sleep", "300"], env={**os.environ, RUN_ENV: "run-mort"})
    other = subprocess.Popen(["sleep", "300"], env={**os.environ, RUN_ENV: "run-autre"})
    try:
        current = PidFile(tmp_path / "serve.pid")
        assert current.acquire("run-neuf") == "run-mort"
        assert reap_run("run-mort") == [marked.pid]
        assert marked.wait(timeout=5) == -9
        assert other.poll() is None
        current.release()
    finally:
        other.kill()
        other.wait()
        marked.kill()
        marked.wait()


def test_a_port_in_use_is_refused_before_anything_starts():
    """`navette serve` checks its ports first and says which one is taken."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(SupervisorError, match=f"le port {port} de 127.0.0.1 est déjà utilisé"):
            check_port_free("127.0.0.1", port)
    check_port_free("127.0.0.1", port)  # free again
