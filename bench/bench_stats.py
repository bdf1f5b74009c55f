"""Statistics pages and the annual report on a large ledger of circulation facts.

``python -m bench stats [--facts 30000000] [--patrons 3000000] [--repeat 15] [--pg URL]``

Generates, in PostgreSQL itself (``generate_series``; no Python loop), two years (2024 and
2025) of facts over the 27 Relire libraries: loans, returns, renewals, holds and navette
movements, with media, category, age band, commune and the yearly borrower pseudonym drawn
from ``--patrons`` patrons, and that many patrons; then rolls the days up once
(``stats_rollup``, what the nightly job does) and measures, in process (Django's test
client, the whole view and template), the statistics page for the network and for one
library, the annual report page for the network and for one library, and the annual
report's ODS for one library. Wall time p50/p95 and the CPU seconds of the PostgreSQL
backend and of this process are reported; the machine's load average is written beside
them (a loaded machine inflates wall time, not CPU time much).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import tempfile
import time
from pathlib import Path

from bench.harness import LATENCY_HEADER, local_pg_url, pg_where, summarise, write_section

ACTIONS = [  # (action, share in thousandths)
    ("loan.checkout", 400), ("loan.checkin", 380), ("loan.renew", 120), ("hold.place", 40),
    ("hold.fulfil", 30), ("transit.send", 15), ("transit.receive", 15),
]  # fmt: skip
DOC_TYPES = ["book", "book", "book", "comic", "video", "music", "magazine", "audiobook"]
CATEGORIES = ["adulte", "jeune", "etudiant", "collectivite"]
AGE_BANDS = ["0-5", "6-11", "12-14", "15-17", "18-25", "26-39", "40-64", "65+"]


def _backend_cpu(cursor) -> float:  # type: ignore[no-untyped-def]
    """CPU seconds used so far by this connection's PostgreSQL backend (same machine)."""
    cursor.execute("SELECT pg_backend_pid()")
    pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench stats")
    parser.add_argument("--facts", type=int, default=30_000_000)
    parser.add_argument("--patrons", type=int, default=3_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--pg", default=local_pg_url("navette_bench_stats"))
    args = parser.parse_args(argv)

    home = Path(tempfile.mkdtemp(prefix="navette-bench-stats-"))
    os.environ["NAVETTE_HOME"] = str(home)
    os.environ["DATABASE_URL"] = args.pg
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "navette.settings.base")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from navette.core.models import Role, User
    from navette.network.demo import DATA, NETWORK_NAME
    from navette.network.models import Library
    from navette.network.services import load_network_csv
    from navette.patrons.models import PatronCategory
    from navette.stats.models import ActiveBorrower, CirculationFact, MonthlyCount
    from navette.stats.rollups import stats_rollup

    with connection.cursor() as c:
        c.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    call_command("migrate", verbosity=0)
    load_network_csv(DATA, network_name=NETWORK_NAME)
    for code in CATEGORIES:
        PatronCategory.objects.get_or_create(code=code, defaults={"label": code})
    ids = list(Library.objects.order_by("pk").values_list("pk", flat=True))
    facts_table = CirculationFact._meta.db_table
    actions_sql = "CASE " + " ".join(
        f"WHEN r < {sum(s for _a, s in ACTIONS[: i + 1])} THEN '{a}'"
        for i, (a, _s) in enumerate(ACTIONS)
    ) + " END"  # fmt: skip
    arr = lambda values: "ARRAY[" + ",".join(f"'{v}'" for v in values) + "]"  # noqa: E731
    t0 = time.perf_counter()
    with connection.cursor() as c:
        cpu0 = _backend_cpu(c)
        c.execute(
            f"INSERT INTO {facts_table} (day, action, library_id, owning_library_id, "  # noqa: S608
            "home_library_id, doc_type, patron_category, age_band, residence, borrower) "
            f"SELECT day, {actions_sql}, lib, lib, lib, "
            f"({arr(DOC_TYPES)})[1 + (h %% {len(DOC_TYPES)})], "
            f"({arr(CATEGORIES)})[1 + (p %% {len(CATEGORIES)})], "
            f"({arr(AGE_BANDS)})[1 + (p %% {len(AGE_BANDS)})], "
            "lpad((62000 + p %% 200)::text, 5, '0') || ' COMMUNE ' || (p %% 200), "
            "md5(extract(year FROM day)::text || ':' || p)::uuid "
            "FROM (SELECT DATE '2024-01-01' + (i * 731 / %s)::int AS day, "
            f"(ARRAY[{','.join(map(str, ids))}])[1 + ((i * 7919) %% {len(ids)})] AS lib, "
            "(i * 2654435761) %% %s AS p, (i * 40503) %% 1000 AS r, i AS h "
            "FROM generate_series(0::bigint, %s - 1) AS i) AS g",
            [args.facts, args.patrons, args.facts],
        )
        c.execute(f"ANALYZE {facts_table}")  # noqa: S608
        gen_cpu = _backend_cpu(c) - cpu0
    generated = time.perf_counter() - t0
    # patrons: the annual report counts the registered ones (bulk, in SQL)
    t0 = time.perf_counter()
    category = PatronCategory.objects.get(code="adulte").pk
    with connection.cursor() as c:
        c.execute(
            "INSERT INTO patrons_patron (card_number, first_name, last_name, birth_date, email, "
            "phone, street, postcode, city, category_id, home_library_id, membership_expires_on, "
            "pin_hash, failed_logins, history_opt_in, preferred_language, notify_by_email, "
            "created_at) SELECT 'B' || i, 'P', 'N' || i, DATE '1940-01-01' + (i %% 30000), '', '', "
            "'', lpad((62000 + i %% 200)::text, 5, '0'), 'COMMUNE ' || (i %% 200), %s, "
            f"(ARRAY[{','.join(map(str, ids))}])[1 + (i %% {len(ids)})], DATE '2026-06-30', '', 0, "
            "false, 'fr', true, TIMESTAMPTZ '2023-06-01' FROM generate_series(1, %s) AS i",
            [category, args.patrons],
        )
        c.execute("ANALYZE patrons_patron")
    patrons_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    with connection.cursor() as c:
        cpu0 = _backend_cpu(c)
    days = stats_rollup(until=dt.date(2025, 12, 31))
    with connection.cursor() as c:
        rollup_cpu = _backend_cpu(c) - cpu0
    rollup_s = time.perf_counter() - t0
    with connection.cursor() as c:
        c.execute(
            "SELECT pg_total_relation_size(%s), pg_total_relation_size(%s), "
            "pg_total_relation_size(%s)",
            [facts_table, MonthlyCount._meta.db_table, ActiveBorrower._meta.db_table],
        )
        facts_bytes, monthly_bytes, borrowers_bytes = c.fetchone()
    monthly_rows = MonthlyCount.objects.count()
    borrower_rows = ActiveBorrower.objects.count()

    User.objects.create_user("bench", password="x", role=Role.STATISTICIAN)
    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(username="bench"))
    lens = Library.objects.filter(commune="Lens").order_by("pk").first()
    assert lens is not None
    cases = [
        ("statistics page, network, 2025", "/personnel/statistiques/?de=2025-01&a=2025-12"),
        ("statistics page, Lens, 2025",
         f"/personnel/statistiques/?de=2025-01&a=2025-12&bibliotheque={lens.code}"),
        ("annual report page, network, 2025", "/personnel/statistiques/rapport-annuel/?annee=2025"),
        ("annual report page, Lens, 2025",
         f"/personnel/statistiques/rapport-annuel/?annee=2025&bibliotheque={lens.code}"),
        ("annual report ODS, Lens, 2025",
         f"/personnel/statistiques/rapport-annuel.ods?annee=2025&bibliotheque={lens.code}"),
    ]  # fmt: skip
    rows = []
    for label, url in cases:
        assert client.get(url).status_code == 200  # warm-up
        samples = []
        with connection.cursor() as c:
            pg0 = _backend_cpu(c)
        me0 = _self_cpu()
        for _n in range(args.repeat):
            t = time.perf_counter()
            response = client.get(url)
            samples.append(time.perf_counter() - t)
            assert response.status_code == 200
        with connection.cursor() as c:
            pg_cpu = (_backend_cpu(c) - pg0) / args.repeat
        me_cpu = (_self_cpu() - me0) / args.repeat
        lat = summarise(samples)
        rows.append(f"| {label} | {lat.row()} | {pg_cpu * 1000:.0f} | {me_cpu * 1000:.0f} |")
    load = os.getloadavg()[0]
    body = f"""
PostgreSQL {pg_where(args.pg)}. Facts generated in the database by `generate_series` over
2024-2025 and the 27 Relire libraries (loans 40 %, returns 38 %, renewals 12 %, holds,
navette), pseudonyms from {args.patrons:,} borrowers per year; {args.patrons:,} patrons.
Generation: facts {generated:.0f} s (backend CPU {gen_cpu:.0f} s), patrons {patrons_s:.0f} s.
Disk: facts {facts_bytes / 2**20:,.0f} MiB (table and indexes), monthly rollup
{monthly_bytes / 2**20:,.0f} MiB ({monthly_rows:,} rows), active borrowers
{borrowers_bytes / 2**20:,.0f} MiB ({borrower_rows:,} rows).
Rollup of {days} days (the nightly job's work, done once here): {rollup_s:.0f} s
(backend CPU {rollup_cpu:.0f} s). Pages read the rollups only (no day of the period is
later than the rollup). Load average (1 min) at the end: {load:.1f} on 2 cores shared with
other work: wall times are inflated by it, CPU times much less.
Target: p95 at most 1 s at 30 million facts and 3 million patrons.

{LATENCY_HEADER.replace(" n |", " n | backend CPU ms | Django CPU ms |").replace("|---|---|---|---|---|---|", "|---|---|---|---|---|---|---|---|")}
""" + "\n".join(rows)
    write_section(
        "stats", "Statistics pages and annual report on the facts ledger", body,
        f"{args.facts:,} circulation facts, {args.patrons:,} patrons",
    )  # fmt: skip
    print(body)
