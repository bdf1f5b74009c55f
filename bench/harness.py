"""Benchmark harness: machine facts, latency statistics, and RESULTS.md sections.

Each benchmark owns one section of bench/RESULTS.md, delimited by
``<!-- bench:NAME -->`` ... ``<!-- /bench:NAME -->`` and replaced in place on
every run, so benchmarks can be re-run independently. Benchmarks are not
tests: they are run by hand (``python -m bench NAME``) and their figures land
here with the machine, the date and the data size.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
SHARED_DATA = Path(
    os.environ.get("NAVETTE_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
_lock = threading.Lock()


def machine() -> str:
    """One line describing the machine the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gib = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    pg = ""
    try:
        out = subprocess.run(["psql", "--version"], capture_output=True, text=True, timeout=5)
        pg = ", " + out.stdout.strip().replace("psql (PostgreSQL)", "PostgreSQL")
    except (OSError, subprocess.SubprocessError):
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_gib:.0f} GiB, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}{pg}"
    )


@dataclass
class Latency:
    count: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float

    def row(self) -> str:
        return f"{self.p50_ms:.1f} | {self.p95_ms:.1f} | {self.p99_ms:.1f} | {self.mean_ms:.1f} | {self.count}"


#: PostgreSQL's local socket (Debian's default directory)
PG_SOCKET_DIR = "/var/run/postgresql"


def local_pg_url(database: str, port: int = 5432) -> str:
    """A benchmark's PostgreSQL: through the local socket when the server runs on this
    machine, as a single-machine installation connects (no TCP stack to cross on each
    round trip), else TCP on 127.0.0.1. ``--pg`` chooses another."""
    if os.path.exists(f"{PG_SOCKET_DIR}/.s.PGSQL.{port}"):
        return f"postgres://postgres@{PG_SOCKET_DIR.replace('/', '%2F')}:{port}/{database}"
    return f"postgres://postgres@127.0.0.1:{port}/{database}"


def pg_where(url: str) -> str:
    """How a benchmark reaches PostgreSQL, for its report (no password)."""
    url = re.sub(r"//([^:/@]+):[^@]*@", r"//\1@", url)
    return url + (" (local socket)" if "@%2F" in url else " (TCP)")


def summarise(seconds: Sequence[float]) -> Latency:
    if not seconds:
        raise ValueError("no samples")
    ms = sorted(s * 1000 for s in seconds)

    def pct(p: float) -> float:
        k = max(0, min(len(ms) - 1, round(p / 100 * (len(ms) - 1))))
        return ms[k]

    return Latency(len(ms), pct(50), pct(95), pct(99), statistics.fmean(ms), ms[-1])


def timed(fn: Callable[[], object], repeat: int, warmup: int = 3) -> Latency:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return summarise(samples)


def concurrent(fn: Callable[[int], object], clients: int, per_client: int) -> tuple[Latency, float]:
    """Run ``fn(client_no)`` ``per_client`` times in each of ``clients`` threads.

    Returns the latency summary and the throughput (calls per second).
    """
    samples: list[float] = []

    def worker(n: int) -> list[float]:
        local = []
        for _ in range(per_client):
            t0 = time.perf_counter()
            fn(n)
            local.append(time.perf_counter() - t0)
        return local

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for result in pool.map(worker, range(clients)):
            samples.extend(result)
    elapsed = time.perf_counter() - t0
    return summarise(samples), len(samples) / elapsed


LATENCY_HEADER = "| case | p50 ms | p95 ms | p99 ms | mean ms | n |\n|---|---|---|---|---|---|"


def write_section(name: str, title: str, body: str, data_size: str) -> None:
    """Replace (or append) the section ``name`` of bench/RESULTS.md."""
    stamp = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    section = (
        f"<!-- bench:{name} -->\n## {title}\n\n"
        f"- Machine: {machine()}\n- Date: {stamp}\n- Data: {data_size}\n"
        f"- Command: `python -m bench {name}`\n\n{body.strip()}\n<!-- /bench:{name} -->"
    )
    with _lock:
        text = (
            RESULTS.read_text()
            if RESULTS.exists()
            else "# Benchmark results\n\nFigures written by the harness in bench/ (`python -m bench NAME`). Benchmarks are not tests.\n"
        )
        pattern = re.compile(
            rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S
        )
        if pattern.search(text):
            text = pattern.sub(lambda _m: section, text)
        else:
            text = text.rstrip() + "\n\n" + section + "\n"
        RESULTS.write_text(text)
    print(section)
