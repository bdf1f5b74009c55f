"""Portal home and library directory: p50/p95 latency under 4 concurrent clients,
through the production server (``navette serve``: gunicorn), on SQLite and PostgreSQL.

Usage: python -m bench portal [--requests N] [--clients C] [--pg URL] [--no-pg]
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import concurrent, write_section

PAGES = ["/", "/bibliotheques/", "/bibliotheques/lens/"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(env: dict[str, str]) -> None:
    navette = [sys.executable, "-m", "navette"]
    subprocess.run([*navette, "migrate", "-v0"], env=env, check=True)
    code = (
        "import django; django.setup()\n"
        "from navette.core.demo_loader import DemoContext\n"
        "from navette.network import demo\n"
        "from pathlib import Path\n"
        "import os\n"
        "demo.load(DemoContext(home=Path(os.environ['NAVETTE_HOME']), log=lambda *a: None))\n"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "navette.settings.base"},
        check=True,
    )


def run_one(label: str, env: dict[str, str], clients: int, requests: int) -> list[str]:
    prepare(env)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "navette", "serve", "--port", str(port), "--no-sip2", "--no-jobs", "--workers", "4"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/")
                conn.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start") from None
                time.sleep(0.3)
        rows = []
        for path in PAGES:
            conns = {}

            def hit(n: int, path: str = path, conns: dict = conns) -> None:
                conn = conns.get(n)
                if conn is None:
                    conn = conns[n] = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", path, headers={"Accept-Language": "fr"})
                response = conn.getresponse()
                body = response.read()
                if response.status != 200 or not body:
                    raise RuntimeError(f"{path}: HTTP {response.status}")

            for n in range(clients):  # warm-up, one request per client
                hit(n)
            latency, rate = concurrent(hit, clients, requests)
            rows.append(f"| {label} GET {path} | {latency.row()} | {rate:.0f} |")
        return rows
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench portal")
    parser.add_argument("--requests", type=int, default=250, help="requests per client and page")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432/navette_bench_portal")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="navette-bench-") as tmp:
        base_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        base_env["NAVETTE_HOME"] = str(Path(tmp) / "sqlite")
        rows += run_one("SQLite", base_env, args.clients, args.requests)
        if not args.no_pg:
            import psycopg

            admin = args.pg.rsplit("/", 1)[0] + "/postgres"
            name = args.pg.rsplit("/", 1)[1]
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
            pg_env = {**base_env, "NAVETTE_HOME": str(Path(tmp) / "pg"), "DATABASE_URL": args.pg}
            rows += run_one("PostgreSQL", pg_env, args.clients, args.requests)
    body = (
        f"{args.clients} concurrent clients with keep-alive, {args.requests} requests each per page, "
        "against `navette serve` (gunicorn, 4 workers) on the same machine; the clients share its 2 cores.\n\n"
        + "| case | p50 ms | p95 ms | p99 ms | mean ms | n | req/s |\n|---|---|---|---|---|---|---|\n"
        + "\n".join(rows)
    )
    write_section(
        "portal", "Portal home and library directory", body, "27 libraries (Relire), example hours"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
