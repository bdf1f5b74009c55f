"""Agenda page latency with 3,000 upcoming events, 4 concurrent clients.

``python -m bench agenda [--events 3000] [--clients 4] [--requests 100] [--mode gunicorn|client]``

Builds a throwaway data directory (SQLite, or PostgreSQL when DATABASE_URL is
set) with the 27 Relire libraries and N upcoming events (bulk-inserted: the
benchmark measures reading, not writing), then measures the agenda pages:

- ``gunicorn`` (default): a real gunicorn server (sync workers, one per client)
  on 127.0.0.1, requested over HTTP keep-alive by client threads; latency is
  what a browser would wait for, minus the network.
- ``client``: Django's test Client in threads inside this process (one GIL).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import itertools
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import LATENCY_HEADER, concurrent, timed, write_section

#: p95 (ms) of every concurrent case, for the verdict against the target.
CONCURRENT_P95: list[float] = []

ROOT = Path(__file__).resolve().parents[1]
CASES = [
    ("agenda, first page", "/agenda/"),
    ("agenda, page 40", "/agenda/?page=40"),
    ("filter: commune + audience", "/agenda/?commune=Lens&public=enfants"),
    ("filter: dates + theme", "/agenda/?du={d1}&au={d2}&theme=musique"),
    ("text search 'conte'", "/agenda/?q=conte"),
    ("programme filter", "/agenda/?programme=nuits-bench"),
    ("event page", "/agenda/evenement/{pk}/"),
    # A query string never seen before on every request: the cache cannot help.
    ("uncached: a new query each request", "/agenda/?public=enfants&page={n}"),
]


def _setup(home: Path) -> None:
    os.environ["NAVETTE_HOME"] = str(home)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "navette.settings.base")
    os.environ["NAVETTE_ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    import django

    django.setup()


def _populate(events: int) -> int:
    """Libraries, themes, a programme and ``events`` upcoming events; returns one event id."""
    from django.core.management import call_command

    from navette.core import clock
    from navette.core.clock import PARIS
    from navette.events.models import Audience, Event, Programme, Theme
    from navette.network.demo import DATA, NETWORK_NAME
    from navette.network.models import Library
    from navette.network.services import load_network_csv

    call_command("migrate", verbosity=0)
    load_network_csv(DATA, network_name=NETWORK_NAME)
    Event.objects.all().delete()
    libraries = list(Library.objects.all())
    themes = [
        Theme.objects.get_or_create(code=c, defaults={"label": c.capitalize()})[0]
        for c in ("conte", "musique", "jeux", "lecture", "numerique", "cinema")
    ]
    today = clock.today()
    programme, _c = Programme.objects.get_or_create(
        slug="nuits-bench",
        defaults={
            "title": "Nuits (bench)",
            "starts_on": today,
            "ends_on": today + dt.timedelta(days=3),
        },
    )
    rng = random.Random(42)
    audiences = [a.value for a in Audience]
    titles = ["Heure du conte", "Atelier numérique", "Concert", "Club lecture", "Jeux de société",
              "Projection", "Rencontre d'auteur", "Bébés lecteurs", "Exposition"]  # fmt: skip
    rows = []
    for i in range(events):
        day = today + dt.timedelta(days=1 + i * 120 // events)
        start = dt.datetime.combine(day, dt.time(rng.choice([10, 14, 15, 18, 20]), 0), PARIS)
        bookable = i % 3 == 0
        rows.append(
            Event(
                title=f"{rng.choice(titles)} {i}",
                description="Une animation pour découvrir la bibliothèque. " * 3,
                library=libraries[i % len(libraries)],
                starts_at=start,
                ends_at=start + dt.timedelta(hours=1, minutes=30),
                audience=rng.choice(audiences),
                theme=themes[i % len(themes)],
                programme=programme if i % 25 == 0 else None,
                registration_required=bookable,
                capacity=20 if bookable else None,
                seats_taken=rng.randint(0, 20) if bookable else 0,
            )  # fmt: skip
        )
    Event.objects.bulk_create(rows, batch_size=500)
    return Event.objects.order_by("starts_at").values_list("pk", flat=True)[events // 2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _paths(event_pk: int) -> list[tuple[str, str]]:
    d1 = dt.date.today() + dt.timedelta(days=10)
    d2 = d1 + dt.timedelta(days=14)
    return [
        (name, path.replace("{n}", "{{n}}").format(pk=event_pk, d1=d1, d2=d2))
        for name, path in CASES
    ]


_counter = itertools.count(1)


def _fresh(path: str) -> str:
    """``path`` with ``{n}`` replaced by a number never used before in this run."""
    return path.format(n=next(_counter)) if "{n}" in path else path


def _run_gunicorn(clients: int, per_client: int, event_pk: int) -> tuple[list[str], str]:
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "navette.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(clients), "--worker-class", "sync", "--keep-alive", "30",
         "--log-level", "warning"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    try:
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        conns: dict[int, http.client.HTTPConnection] = {}

        def get(client: int, path: str) -> None:
            path = _fresh(path)
            conn = conns.get(client)
            if conn is None:
                conn = conns[client] = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", path, headers={"Accept-Language": "fr"})
            response = conn.getresponse()
            body = response.read()
            if response.status != 200 or not body:
                raise RuntimeError(f"GET {path}: {response.status}")

        rows = []
        for name, path in _paths(event_pk):
            for n in range(clients):  # warm every worker and connection
                for _ in range(5):
                    get(n, path)
            single = timed(lambda path=path: get(0, path), repeat=per_client // 2, warmup=0)
            lat, rate = concurrent(lambda n, path=path: get(n, path), clients, per_client)
            rows.append(f"| {name} — 1 client | {single.row()} |")
            rows.append(f"| {name} — {clients} clients ({rate:.0f} req/s) | {lat.row()} |")
            CONCURRENT_P95.append(lat.p95_ms)
        return (
            rows,
            f"gunicorn {clients} sync workers, HTTP keep-alive, client threads in the bench process",
        )
    finally:
        server.terminate()
        server.wait(timeout=20)


def _run_client(clients: int, per_client: int, event_pk: int) -> tuple[list[str], str]:
    from django.db import connection
    from django.test import Client

    # No setup_test_environment(): it instruments every template render.
    local_clients = [Client() for _ in range(clients)]

    def get(n: int, path: str) -> None:
        response = local_clients[n].get(_fresh(path))
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code}")

    rows = []
    for name, path in _paths(event_pk):
        single = timed(lambda path=path: get(0, path), repeat=per_client // 2, warmup=5)
        lat, rate = concurrent(lambda n, path=path: get(n, path), clients, per_client)
        rows.append(f"| {name} — 1 client | {single.row()} |")
        rows.append(f"| {name} — {clients} clients ({rate:.0f} req/s) | {lat.row()} |")
        CONCURRENT_P95.append(lat.p95_ms)
    connection.close()
    return rows, f"Django test Client in {clients} threads of one process"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench agenda")
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=100, help="per client and case")
    parser.add_argument("--mode", choices=["gunicorn", "client"], default="gunicorn")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="navette-bench-agenda-") as tmp:
        _setup(Path(tmp))
        from django.conf import settings

        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        t0 = time.perf_counter()
        load_before = os.getloadavg()[0]
        event_pk = _populate(args.events)
        load_s = time.perf_counter() - t0
        runner = _run_gunicorn if args.mode == "gunicorn" else _run_client
        rows, how = runner(args.clients, args.requests, event_pk)
        load_after = os.getloadavg()[0]
    worst = max(CONCURRENT_P95)
    verdict = "met" if worst <= 50 else "NOT met"
    body = (
        f"Server: {how}; database {engine}. {args.requests} requests per client and case "
        f"after warm-up; 20 events per page. Data load (bulk insert): {load_s:.1f} s.\n"
        f"Target: agenda page p95 ≤ 50 ms with 4 concurrent clients: **{verdict}** "
        f"(worst {args.clients}-client p95 over all cases, uncached included: {worst:.1f} ms).\n"
        "The agenda's content and the event page's public part are cached per process under "
        "the agenda's version (navette/events/agenda_cache.py): repeated views are cache hits "
        "after warm-up; the last case changes the query string on every request, so every "
        "request renders the page anew (count, 20 events, filter form).\n"
        f"Load average (1 min) before and after: {load_before:.1f}, {load_after:.1f} on "
        f"{os.cpu_count()} cores (clients and server share them).\n\n"
        + LATENCY_HEADER
        + "\n"
        + "\n".join(rows)
    )
    write_section(
        "agenda",
        "Agenda pages (3,000 upcoming events)",
        body,
        f"27 libraries, {args.events} upcoming events over 120 days, 6 themes, 1 programme",
    )
