"""Union catalogue: the results page with member libraries' live availability.

Three member libraries answer SIP2 Item Information (small asyncio SIP2 servers in this
process); one of them is slow (each answer delayed). The results page (20 records, each
held by one to three members) is measured through ``navette serve`` with 4 concurrent
clients, as a browser uses it: the page, then (when the page asks for it) the follow-up
request for the member states (htmx). Cases:

- no live availability (the members' catalogues harvested, states not asked);
- live availability, nothing cached (``NAVETTE_MEMBER_AVAILABILITY_CACHE_SECONDS=0`` and the
  slow member never left alone: every follow-up asks the three members, the worst case);
- live availability, states cached (the normal case within a minute of a first page).

Server CPU per request is read from /proc (every process of ``navette serve``).

Usage: python -m bench union_availability [--requests N] [--clients C] [--records N]
       [--slow SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.harness import Latency, concurrent, summarise, write_section

MEMBERS = [("membre-a", "Armentières"), ("membre-b", "Bondues"), ("membre-c", "Croix")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- SIP2 members -------------------------------------------------------------------------


def _checksum(data: bytes) -> bytes:
    return b"%04X" % ((-sum(data)) & 0xFFFF)


def _reply(body: str, frame: bytes) -> bytes:
    at = frame.rfind(b"AY")
    data = body.encode() + (b"AY" + frame[at + 2 : at + 3] + b"AZ" if at >= 0 else b"AZ")
    return data + _checksum(data) + b"\r"


class Member:
    """A member's SIP2 server: login accepted, Item Information answered after ``delay``
    (copies whose barcode ends in an even digit on the shelf, the others on loan)."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.asked = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.port = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                frame = await reader.readuntil(b"\r")
                if frame.startswith(b"93"):
                    writer.write(_reply("941", frame))
                elif frame.startswith(b"17"):
                    self.asked += 1
                    await asyncio.sleep(self.delay)
                    barcode = re.search(rb"\|AB([^|]*)\|", frame)
                    code = barcode.group(1).decode() if barcode else ""
                    status = "03" if code[-1:] in "02468" else "04"
                    due = "|AH20270115    235900" if status == "04" else ""
                    writer.write(_reply(
                        f"18{status}0201{time.strftime('%Y%m%d    %H%M%S')}|AB{code}|AJTitre{due}|",
                        frame,
                    ))  # fmt: skip
                else:
                    writer.write(_reply("96", frame))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def start(self) -> Member:
        self.thread.start()

        async def serve() -> int:
            server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
            return int(server.sockets[0].getsockname()[1])

        self.port = asyncio.run_coroutine_threadsafe(serve(), self.loop).result(10)
        return self


# --- the network's data ---------------------------------------------------------------------

SETUP = """
import random
from django.db import transaction
from navette.catalogue.models import (HarvestSource, MarcFlavour, MemberHolding, MemberRecord,
                                      Record)
from navette.core import clock
from navette.network.models import Library, MemberSystem, Network

random.seed(22)
network = Network.current()
ports = %(ports)r
libraries = []
for (code, commune), port in zip(%(members)r, ports):
    lib = Library.objects.create(network=network, code=code, name="Médiathèque", commune=commune)
    MemberSystem.objects.create(library=lib, system_name="Koha", card_prefixes=code,
                                sip2_host="127.0.0.1", sip2_port=port,
                                sip2_login="portail", sip2_password="secret")
    source = HarvestSource.objects.create(library=lib, name=code,
                                          url="http://127.0.0.1:9/oai", live_availability=True,
                                          record_url_template="https://" + code + ".example/{id}")
    libraries.append((lib, source))
now = clock.now()
with transaction.atomic():
    for n in range(%(records)d):
        record = Record.objects.create(
            flavour=MarcFlavour.MARC21, marc={"leader": "00000nam a2200000 a 4500", "fields": []},
            title=f"Roman numéro {n}", authors=[{"name": f"Autrice {n %% 97}"}], year=2000 + n %% 25,
        )
        for lib, source in random.sample(libraries, random.randint(1, 3)):
            member = MemberRecord.objects.create(source=source, identifier=f"oai:{lib.code}:{n}",
                                                 local_id=str(n), record=record,
                                                 owns_record=True, harvested_at=now)
            for c in range(random.randint(1, 2)):
                MemberHolding.objects.create(member_record=member, record=record, library=lib,
                                             barcode=f"{lib.code}-{n}-{c}", call_number="R")
"""


def navette_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAVETTE_", "DATABASE_"))}
    env.update(NAVETTE_HOME=str(home), DJANGO_SETTINGS_MODULE="navette.settings.base", **extra)
    return env


def prepare(home: Path, ports: list[int], records: int) -> None:
    env = navette_env(home)
    navette = [sys.executable, "-m", "navette"]
    subprocess.run([*navette, "migrate", "-v0"], env=env, check=True)
    code = "import django; django.setup()\n" + SETUP % {
        "ports": ports, "members": MEMBERS, "records": records,
    }  # fmt: skip
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    subprocess.run([*navette, "reindex"], env=env, check=True, capture_output=True)


def set_live(home: Path, live: bool) -> None:
    code = (
        "import django; django.setup()\n"
        "from navette.catalogue.models import HarvestSource\n"
        f"HarvestSource.objects.update(live_availability={live!r})\n"
    )
    subprocess.run([sys.executable, "-c", code], env=navette_env(home), check=True)


# --- measuring ------------------------------------------------------------------------------


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) of ``root`` and every process below it, children that
    ended included (cutime, cstime)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        times[pid] = sum(int(v) for v in fields[11:15]) / tick
    total = 0.0
    for pid, cpu in times.items():
        p = pid
        while p and p != root:
            p = parents.get(p, 0)
        if p == root:
            total += cpu
    return total


class Server:
    def __init__(self, home: Path, **env: str) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "navette", "serve", "--port", str(self.port), "--no-sip2",
             "--no-jobs", "--workers", "2"],
            env=navette_env(home, **env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/recherche/?q=roman")
                conn.getresponse().read()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("navette serve did not start") from None
                time.sleep(0.3)

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=60)


def run_case(
    server: Server, clients: int, requests: int, pages: int, *, warm: bool = False
) -> dict[str, object]:
    """Each client: a results page, then its follow-up request when the page has one.
    ``warm``: first every client reads every page with its follow-up, twice, 3 s apart (the
    cache is per web worker; the slow member's late answers come in meanwhile)."""
    conns: dict[int, http.client.HTTPConnection] = {}
    follow: list[float] = []
    lock = threading.Lock()

    def get(n: int, path: str) -> bytes:
        conn = conns.get(n)
        if conn is None:
            conn = conns[n] = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", path, headers={"Accept-Language": "fr"})
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}")
        return body

    pending: dict[int, str] = {}

    def hit(n: int) -> None:
        body = get(n, f"/recherche/?q=roman&tri=title&page={random.randint(1, pages)}")
        found = re.search(rb'hx-get="(/recherche/disponibilites-membres/[^"]+)"', body)
        if found:
            pending[n] = found.group(1).decode().replace("&amp;", "&")

    def visit_all(n: int) -> None:
        for number in range(1, pages + 1):
            body = get(n, f"/recherche/?q=roman&tri=title&page={number}")
            found = re.search(rb'hx-get="(/recherche/disponibilites-membres/[^"]+)"', body)
            if found:
                get(n, found.group(1).decode().replace("&amp;", "&"))

    for n in range(clients):
        hit(n)
        pending.pop(n, None)
    if warm:
        for _round in range(2):
            threads = [threading.Thread(target=visit_all, args=(n,)) for n in range(clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            time.sleep(3)
    # page latency alone: the follow-ups are timed apart (a browser sends them after showing
    # the page); the server does both, so the page is measured under that load
    samples: list[float] = []

    def timed_hit(n: int) -> None:
        t0 = time.perf_counter()
        hit(n)
        with lock:
            samples.append(time.perf_counter() - t0)
        url = pending.pop(n, None)
        if url is not None:
            t1 = time.perf_counter()
            get(n, url)
            with lock:
                follow.append(time.perf_counter() - t1)

    cpu0 = tree_cpu(server.proc.pid)
    _latency, _rate = concurrent(timed_hit, clients, requests)
    cpu = tree_cpu(server.proc.pid) - cpu0
    load = Path("/proc/loadavg").read_text().split()[:3]
    total = len(samples) + len(follow)
    return {
        "page": summarise(samples),
        "follow": summarise(follow) if follow else None,
        "cpu_ms": 1000 * cpu / max(1, total),
        "load": " ".join(load),
        "requests": total,
    }


def row(label: str, lat: Latency | None, extra: str) -> str:
    if lat is None:
        return f"| {label} | — | — | — | — | 0 | {extra} |"
    return f"| {label} | {lat.row()} | {extra} |"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench union_availability")
    parser.add_argument("--requests", type=int, default=60, help="pages per client and case")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--pages", type=int, default=10, help="results pages read (of 20)")
    parser.add_argument("--slow", type=float, default=0.3, help="seconds per slow answer")
    args = parser.parse_args(argv)
    members = [Member(0.002).start(), Member(0.002).start(), Member(args.slow).start()]
    pages = min(args.pages, args.records // 20)
    rows = []
    loads = []
    with tempfile.TemporaryDirectory(prefix="navette-bench-union-") as tmp:
        home = Path(tmp)
        prepare(home, [m.port for m in members], args.records)
        cases = [
            ("no live availability", False, {}),
            ("live, nothing cached (every page asks the 3 members)", True,
             {"NAVETTE_MEMBER_AVAILABILITY_CACHE_SECONDS": "0", "NAVETTE_MEMBER_DOWN_SECONDS": "0"}),
            ("live, states cached (60 s; after every page was read twice)", True, {}),
        ]  # fmt: skip
        for label, live, env in cases:
            set_live(home, live)
            server = Server(home, **env)
            try:
                result = run_case(server, args.clients, args.requests, pages, warm=live and not env)
            finally:
                server.stop()
            cpu = f"{result['cpu_ms']:.1f}"
            rows.append(row(f"{label}: results page", result["page"], cpu))  # type: ignore[arg-type]
            if result["follow"] is not None:
                rows.append(row(f"{label}: follow-up (member states)", result["follow"], cpu))  # type: ignore[arg-type]
            loads.append(f"{label}: {result['load']}")
    asked = ", ".join(str(m.asked) for m in members)
    body = (
        f"{args.clients} concurrent clients, {args.requests} results pages each per case, "
        "against `navette serve` (granian, 2 workers); each page followed by its request for "
        "the member states when it has one (as htmx sends it once the page is shown). Three "
        f"members answer SIP2 Item Information from this process, two at once and one after "
        f"{args.slow * 1000:.0f} ms per copy; a page shows about 40 member copies; the clients "
        f"read the first {pages} pages in random order. Settings: "
        "answer timeout 1.5 s, budget 2 s. CPU is the server's (every process of `navette "
        "serve`) per request, pages and follow-ups together. Item Information requests "
        f"answered by the members (fast, fast, slow): {asked}.\n\n"
        "The machine was shared with other engineers' builds and tests during the run "
        "(load average, 1/5/15 min, at the end of each case: "
        + "; ".join(loads)
        + "): wall times are inflated by it, the CPU per request much less.\n\n"
        "| case | p50 ms | p95 ms | p99 ms | mean ms | n | server CPU ms/request |\n"
        "|---|---|---|---|---|---|---|\n" + "\n".join(rows)
    )
    write_section(
        "union_availability",
        "Union catalogue: results page with members' live availability",
        body,
        f"{args.records} harvested records held by 3 member libraries (1 to 3 each, 1 or 2 "
        "copies per member), SQLite",
    )


if __name__ == "__main__":
    main(sys.argv[1:])
