"""SRU searchRetrieve and the partner API's search over HTTP, 4 concurrent clients.

Usage: python -m bench open_search [--records N] [--pg URL] [--requests N] [--workers N]

The catalogue is the search benchmark's corpus (``bench/bench_search.py``: same generator,
same seed, same PostgreSQL database ``<name>_<N>``, reused when present), indexed by Tantivy.
``navette serve`` (granian) answers on the loopback; 4 clients each send ``--requests``
requests per case. Target (issue 21): p95 at most 80 ms with 4 clients on 500,000 records,
the portal's results page budget. CPU per request (the server's processes, and PostgreSQL's
backends: all of them, an upper bound on a shared machine) does not depend on the load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import signal
import subprocess
import sys
import time
import urllib.parse

from bench.bench_oai import cpu_seconds, pg_spent
from bench.bench_search import HOME, free_port, generate
from bench.harness import LATENCY_HEADER, concurrent, write_section

#: (label, path): SRU 1.2 and 2.0 in each record schema, and the API's search
CASES = [
    ("SRU 1.2 dc, 10 records", "/sru?version=1.2&operation=searchRetrieve&query=histoire"
                               "&recordSchema=dc&maximumRecords=10"),
    ("SRU 1.2 unimarc with copies, 10 records",
     "/sru?version=1.2&operation=searchRetrieve&query=dc.title%3D%22guerre%22+and+paix"
     "&recordSchema=unimarc&maximumRecords=10"),
    ("SRU 2.0 dc, 20 records, truncation", "/sru?query=dc.creator%3Dmart*&recordSchema=dc"
                                           "&maximumRecords=20"),
    ("API search, 20 results", "/api/v1/catalogue/search?q=histoire&per_page=20"),
    ("API search, 2 words", "/api/v1/catalogue/search?q=guerre+enfants&per_page=20"),
]  # fmt: skip


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench open_search")
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432/navette_bench_search")
    parser.add_argument("--requests", type=int, default=50, help="requests per client and case")
    parser.add_argument("--workers", type=int, default=2, help="granian workers")
    args = parser.parse_args(argv)

    import psycopg  # noqa: PLC0415

    base, _slash, name = args.pg.rpartition("/")
    name = f"{name}_{args.records}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    home = HOME / str(args.records)
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"{base}/{name}"
    os.environ["NAVETTE_HOME"] = str(home)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "navette.settings.base")
    import django  # noqa: PLC0415

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415

    from navette.catalogue.models import Record  # noqa: PLC0415
    from navette.core.actors import Actor  # noqa: PLC0415
    from navette.core.models import Role, User  # noqa: PLC0415
    from navette.network.demo import DATA, NETWORK_NAME  # noqa: PLC0415
    from navette.network.models import Library  # noqa: PLC0415
    from navette.network.services import load_network_csv  # noqa: PLC0415
    from navette.partners.models import Scope  # noqa: PLC0415
    from navette.partners.services import api_key_create  # noqa: PLC0415
    from navette.search.index import rebuild_index  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    if not Library.objects.exists():
        load_network_csv(DATA, network_name=NETWORK_NAME)
    have = Record.objects.count()
    if have < args.records:
        print(f"generating {args.records - have} records...")
        generate(args.records, list(Library.objects.order_by("pk").values_list("pk", flat=True)),
                 print)  # fmt: skip
    if not (home / "search-index").exists() or have < args.records:
        print("building the index...")
        rebuild_index()
    admin, _new = User.objects.get_or_create(username="bench-admin",
                                             defaults={"role": Role.NETWORK_ADMIN})  # fmt: skip
    _key, token = api_key_create(
        name="bench", scopes=[Scope.CATALOGUE_READ], rate_per_minute=1_000_000,
        actor=Actor.staff(admin), user_id=admin.pk, is_network_admin=True,
        now=dt.datetime.now(dt.UTC),
    )  # fmt: skip
    connection.close()

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "navette", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--no-sip2", "--no-jobs", "--workers", str(args.workers)],
        env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "fr"}
    rows, loads = [], [os.getloadavg()[0]]
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                probe.request("GET", "/sru?operation=explain&version=1.2")
                probe.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.5)
        for label, path in CASES:
            conns: dict[int, http.client.HTTPConnection] = {}

            def hit(n: int, path: str = path, conns: dict = conns) -> None:
                conn = conns.get(n)
                if conn is None:
                    conn = conns[n] = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
                if response.status != 200 or b"diagnostic/1/" in body:
                    raise RuntimeError(f"{path}: HTTP {response.status} {body[:300]!r}")

            for n in range(4):
                hit(n)
            before = cpu_seconds(server.pid)
            latency, rate = concurrent(hit, 4, args.requests)
            after = cpu_seconds(server.pid)
            loads.append(os.getloadavg()[0])
            per = 1000 / latency.count
            rows.append(
                f"| {label} | {latency.p50_ms:.1f} | {latency.p95_ms:.1f} | {latency.p99_ms:.1f} "
                f"| {latency.mean_ms:.1f} | {latency.count} | {rate:.0f} "
                f"| {(after[0] - before[0]) * per:.1f} | {pg_spent(before[1], after[1]) * per:.1f} |"
            )
            print(rows[-1])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    paths = "\n".join(f"- {label}: `GET {urllib.parse.unquote(path)}`" for label, path in CASES)
    header = LATENCY_HEADER.replace(" n |", " n | req/s | server CPU ms / req | "
                                    "PostgreSQL CPU ms / req |").replace(
        "|---|---|---|---|---|---|", "|---|---|---|---|---|---|---|---|---|")  # fmt: skip
    body = (
        f"4 clients, {args.requests} requests each per case, against `navette serve` "
        f"({args.workers} granian workers) on the loopback, PostgreSQL and the Tantivy index. "
        f"Load average (1 min) during the run: {min(loads):.1f} to {max(loads):.1f} on 2 cores "
        "shared with other work, so the latencies are those of a loaded machine; the CPU per "
        "request is not. Target: p95 at most 80 ms.\n\n"
        f"{header}\n" + "\n".join(rows) + f"\n\nRequests:\n{paths}"
    )
    write_section("open_search", "SRU and partner API search, 4 clients", body,
                  f"{args.records:,} generated records (the search benchmark's corpus)")  # fmt: skip
