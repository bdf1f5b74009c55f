"""OAI-PMH full harvest: the whole catalogue through ListRecords, page after page, timed.

Usage: python -m bench oai [--records N] [--prefix marcxml,oai_dc] [--page N] [--pg URL]
                           [--server] [--workers N]

Synthetic MARC21 records (control number, author, title, publication, two subjects, one or
two copies each) are loaded into a fresh database: SQLite under a temporary NAVETTE_HOME,
or PostgreSQL with --pg (a database ``<name>_oai_<N>`` made next to the URL's, loaded with
COPY and kept for the next run of the same size). One harvester then follows the resumption
tokens to the end, through Django's test client, or with --server over HTTP on the loopback
against ``navette serve`` (granian), as a harvester on the network sees it.

Figures: wall time and records per second (they depend on the machine's load), and CPU
seconds per 1,000 records (load-independent): the provider (the server's processes, or this
process with the test client) and PostgreSQL (every backend of the server: on a shared
machine other people's queries count too, so it is an upper bound). Target (issue 21):
500,000 records in at most 5 minutes, 1,667 records/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import io
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from bench.harness import write_section

TOKEN = re.compile(rb"<resumptionToken[^>]*>([^<]*)</resumptionToken>")
STAMP = "2026-01-01 00:00:00+00"
SUBJECTS = ["Histoire", "Romans", "Bandes dessinées", "Cuisine", "Voyages", "Sciences",
            "Musique", "Cinéma", "Jeunesse", "Poésie", "Philosophie", "Sports"]  # fmt: skip


def setup(pg: str | None, records: int) -> str:
    """Point Django at the benchmark's database, migrate; return where the data lives."""
    os.environ.setdefault("NAVETTE_HOME", tempfile.mkdtemp(prefix="navette-bench-oai-"))
    where = "SQLite"
    if pg:
        import psycopg  # noqa: PLC0415

        base, _slash, name = pg.rpartition("/")
        name = f"{name}_oai_{records}"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"{base}/{name}"
        where = "PostgreSQL"
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "navette.settings.base"
    os.environ.setdefault("NAVETTE_ALLOWED_HOSTS", "testserver,127.0.0.1")
    import django  # noqa: PLC0415 - settings are chosen above, before Django starts

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    return where


def _marc(n: int) -> dict:
    title = f"Titre de la notice {n} : histoire & récit <{n % 13}>"
    return {
        "leader": "00000nam a2200000 a 4500",
        "fields": [
            {"001": f"B{n:08d}"},
            {"008": "260101s2001    fr            000 0 fre d"},
            {"020": {"ind1": " ", "ind2": " ", "subfields": [{"a": f"978{n:010d}"}]}},
            {"100": {"ind1": "1", "ind2": " ", "subfields": [{"a": f"Auteur {n % 997}"},
                                                            {"e": "auteur"}]}},
            {"245": {"ind1": "1", "ind2": "0", "subfields": [{"a": title},
                                                            {"c": f"Auteur {n % 997}"}]}},
            {"264": {"ind1": " ", "ind2": "1", "subfields": [{"a": "Paris"}, {"b": "Éditions"},
                                                            {"c": str(1900 + n % 120)}]}},
            {"650": {"ind1": " ", "ind2": "7", "subfields": [{"a": SUBJECTS[n % 12]}]}},
            {"650": {"ind1": " ", "ind2": "7", "subfields": [{"a": SUBJECTS[(n * 7) % 12]}]}},
        ],
    }  # fmt: skip


def _record_values(n: int) -> dict:
    return {
        "title": f"Titre de la notice {n} : histoire & récit <{n % 13}>",
        "control_number": f"B{n:08d}",
        "authors": [{"name": f"Auteur {n % 997}", "role": "auteur"}],
        "subjects": [SUBJECTS[n % 12], SUBJECTS[(n * 7) % 12]],
        "year": 1900 + n % 120,
        "isbns": [f"978{n:010d}"],
        "publisher": "Éditions",
    }


def load(records: int, log) -> float:  # type: ignore[no-untyped-def]
    """Load the records unless a previous run did; return the seconds it took."""
    from navette.catalogue.models import Item, Record  # noqa: PLC0415
    from navette.network.models import Library, Network  # noqa: PLC0415

    have = Record.objects.count()
    if have == records:
        return 0.0
    if have:
        sys.exit(f"the database holds {have} records, not {records}: drop it first")
    t0 = time.perf_counter()
    network = Network.current()
    libraries = [
        Library.objects.create(network=network, code=code, name=code.title(), commune=code)
        for code in ("lens", "harnes", "liévin")
    ]
    from django.db import connection  # noqa: PLC0415

    if connection.vendor == "postgresql":
        _copy(records, [lib.pk for lib in libraries], log)
    else:
        stamp = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        for start in range(0, records, 5000):
            made = Record.objects.bulk_create(
                Record(flavour="marc21", marc=_marc(n), **_record_values(n))
                for n in range(start, min(start + 5000, records))
            )
            Item.objects.bulk_create(
                Item(record=r, barcode=f"X{r.pk:09d}{k}", owning_library=libraries[(r.pk + k) % 3],
                     current_library=libraries[(r.pk + k) % 3], call_number=f"R {r.pk % 997}")
                for r in made
                for k in range(1 + r.pk % 2)
            )  # fmt: skip
        Record.objects.update(updated_at=stamp)
    return time.perf_counter() - t0


def _copy(records: int, library_ids: list[int], log) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection  # noqa: PLC0415

    from bench.bench_search import _copy_text, _extra_columns  # noqa: PLC0415
    from navette.catalogue.models import Item, Record  # noqa: PLC0415

    rec_cols = ("id, flavour, marc, title, control_number, authors, subjects, year, isbns, "
                "publisher, doc_type, created_at, updated_at")  # fmt: skip
    item_cols = ("record_id, barcode, owning_library_id, current_library_id, call_number, "
                 "status, circulates, created_at, updated_at")  # fmt: skip
    rec_extra, rec_defaults = _extra_columns(Record, rec_cols)
    item_extra, item_defaults = _extra_columns(Item, item_cols)
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        raw = cur.cursor
        for lo in range(1, records + 1, 50_000):
            recs, items = io.StringIO(), io.StringIO()
            for rid in range(lo, min(records, lo + 49_999) + 1):
                v = _record_values(rid)
                row = (rid, "marc21", _marc(rid), v["title"], v["control_number"], v["authors"],
                       v["subjects"], v["year"], v["isbns"], v["publisher"], "book", STAMP, STAMP,
                       *rec_defaults)  # fmt: skip
                recs.write("\t".join(_copy_text(x) for x in row) + "\n")
                for k in range(1 + rid % 2):
                    lib = library_ids[(rid + k) % len(library_ids)]
                    irow = (rid, f"X{rid:09d}{k}", lib, lib, f"R {rid % 997}", "available", "t",
                            STAMP, STAMP, *item_defaults)  # fmt: skip
                    items.write("\t".join(_copy_text(x) for x in irow) + "\n")
            with raw.copy(f"COPY catalogue_record ({rec_cols}{rec_extra}) FROM STDIN") as cp:
                cp.write(recs.getvalue())
            with raw.copy(f"COPY catalogue_item ({item_cols}{item_extra}) FROM STDIN") as cp:
                cp.write(items.getvalue())
            log(f"  {min(records, lo + 49_999):,} records ({time.perf_counter() - t0:.0f} s)")
        for table in ("catalogue_record", "catalogue_item"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))")  # fmt: skip
            cur.execute(f"VACUUM ANALYZE {table}")


# -- CPU accounting from /proc -----------------------------------------------------------------


def cpu_seconds(root: int | None) -> tuple[float, dict[int, float]]:
    """CPU seconds so far of this process, or of the process ``root`` and its descendants (the
    server's supervisor and granian's workers, in their own process groups); and of each
    PostgreSQL backend by pid (compare two samples with ``pg_spent``)."""
    procs: dict[int, tuple[int, str, int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        rest = text[text.rindex(")") + 2 :].split()
        procs[int(stat.parent.name)] = (int(rest[1]), comm, int(rest[11]) + int(rest[12]))
    ours = {root or os.getpid()}
    grew = True
    while grew:
        children = {pid for pid, (ppid, _c, _j) in procs.items() if ppid in ours} - ours
        ours |= children
        grew = bool(children)
    tick = os.sysconf("SC_CLK_TCK")
    mine = sum(procs[pid][2] for pid in ours if pid in procs) / tick
    pg = {pid: j / tick for pid, (_p, comm, j) in procs.items() if comm == "postgres"}
    return mine, pg


def pg_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """PostgreSQL CPU seconds between two samples, over the backends alive at both (others'
    short connections come and go on a shared machine: an upper bound still)."""
    return sum(after[pid] - before[pid] for pid in after.keys() & before.keys())


# -- harvesters --------------------------------------------------------------------------------


def harvest_with(get, prefix: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Follow ListRecords to the end with ``get(query) -> body``; return (records, pages)."""
    query = {"verb": "ListRecords", "metadataPrefix": prefix}
    records = pages = 0
    while True:
        body = get(query)
        records += body.count(b"<record>")
        pages += 1
        match = TOKEN.search(body)
        if not match or not match.group(1):
            return records, pages
        query = {"verb": "ListRecords", "resumptionToken": match.group(1).decode()}


def test_client_get():  # type: ignore[no-untyped-def]
    from django.test import Client  # noqa: PLC0415

    client = Client()

    def get(query: dict[str, str]) -> bytes:
        response = client.get("/oai", query)
        assert response.status_code == 200, response.status_code
        return response.content

    return get


def http_get(port: int):  # type: ignore[no-untyped-def]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(query: dict[str, str]) -> bytes:
        conn.request("GET", "/oai?" + urllib.parse.urlencode(query))
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {body[:300]!r}")
        return body

    return get


def start_server(workers: int) -> tuple[subprocess.Popen, int]:
    from bench.bench_search import free_port  # noqa: PLC0415

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "navette", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--no-sip2", "--no-jobs", "--no-indexer", "--workers", str(workers)],
        env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while True:
        try:
            get = http_get(port)
            get({"verb": "Identify"})
            return server, port
        except (OSError, http.client.HTTPException):
            if time.monotonic() > deadline or server.poll() is not None:
                os.killpg(server.pid, signal.SIGTERM)
                raise RuntimeError("the server did not start") from None
            time.sleep(0.5)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench oai")
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--prefix", default="marcxml,oai_dc", help="formats, comma-separated")
    parser.add_argument("--page", type=int, default=200, help="records per ListRecords page")
    parser.add_argument("--pg", default="", help="PostgreSQL URL (a database is made next to it)")
    parser.add_argument("--server", action="store_true", help="over HTTP against navette serve")
    parser.add_argument("--workers", type=int, default=1, help="server processes (--server)")
    args = parser.parse_args(argv)
    os.environ["NAVETTE_OAI_RECORDS_PER_PAGE"] = str(args.page)
    where = setup(args.pg or None, args.records)
    loaded = load(args.records, print)
    server = None
    if args.server:
        from django.db import connection  # noqa: PLC0415

        connection.close()
        server, port = start_server(args.workers)
        get = http_get(port)
        how = f"over HTTP on the loopback against `navette serve` ({args.workers} worker)"
    else:
        get = test_client_get()
        how = "through Django's test client (no HTTP server)"
    rows = []
    loads = [os.getloadavg()[0]]
    try:
        for prefix in dict.fromkeys(args.prefix.split(",")):
            cpu0 = cpu_seconds(server.pid if server else None)
            t0 = time.perf_counter()
            got, pages = harvest_with(get, prefix)
            seconds = time.perf_counter() - t0
            cpu1 = cpu_seconds(server.pid if server else None)
            loads.append(os.getloadavg()[0])
            if got != args.records:
                sys.exit(f"harvested {got} records of {args.records} ({prefix})")
            per_second = got / seconds
            provider = (cpu1[0] - cpu0[0]) / got * 1000
            database = pg_spent(cpu0[1], cpu1[1]) / got * 1000
            rows.append(
                f"| {prefix} | {got:,} | {pages:,} | {seconds:.1f} | {per_second:,.0f} | "
                f"{500_000 / per_second / 60:.1f} | {provider:.3f} | {database:.3f} | "
                f"{500_000 / 1000 * (provider + database) / 60:.1f} |"
            )
            print(rows[-1])
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    body = (
        f"One harvester follows ListRecords to the end ({args.page} records per page) {how}, "
        f"on {where}" + (f"; data loaded in {loaded:.0f} s" if loaded else "") + ". Load average "
        f"(1 min) during the run: {min(loads):.1f} to {max(loads):.1f} on 2 cores. CPU per "
        "1,000 records: the provider's processes, and PostgreSQL's backends (all of them: an "
        "upper bound on a shared machine). The last column is the CPU time of a 500,000-record "
        "harvest on one free core.\n\n"
        "| format | records | pages | seconds | records/s | minutes for 500,000 (this load) "
        "| provider CPU s / 1,000 | PostgreSQL CPU s / 1,000 | CPU minutes for 500,000 |\n"
        "|---|---|---|---|---|---|---|---|---|\n" + "\n".join(rows)
    )
    write_section("oai", "OAI-PMH full harvest", body,
                  f"{args.records:,} synthetic MARC21 records, one or two copies each")  # fmt: skip
