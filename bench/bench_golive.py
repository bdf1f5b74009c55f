"""Go-live import benchmark: a generated 27-library network brought in by ``navette
import-network`` on PostgreSQL: the dry run, the apply, and a second apply (nothing to do).

``python -m bench golive [--scale 1.0] [--pg-url URL]``

A database is created for the run and migrated; the catalogue the copies point to (records
only, 50,000 at full size) is inserted first, untimed, as the MARC import would have left
it. The export is written by bench/golive_export.py (seeded). Each command runs in its own
process, timed from outside: wall time, CPU time (user + system, load-independent) and peak
resident memory, from ``os.wait4``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.golive_export import FULL
from bench.harness import local_pg_url, pg_where, write_section

ROOT = Path(__file__).resolve().parents[1]


def seed(directory: Path, scale: float, records: int) -> None:
    """In a child with Django set up: insert the records, write the export."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "navette.settings.base")
    django.setup()
    from bench.golive_export import write_network_export
    from navette.catalogue.models import Record

    rows = [Record(flavour="unimarc", marc={"leader": "", "fields": []}, title=f"Titre {n}",
                   doc_type="book") for n in range(records)]  # fmt: skip
    Record.objects.bulk_create(rows, batch_size=5000)
    ids = list(Record.objects.values_list("pk", flat=True))
    t0 = time.perf_counter()
    sizes = {k: max(int(v * scale), 10) for k, v in FULL.items()}
    facts = write_network_export(directory, record_ids=ids, **sizes)
    print(json.dumps({"generate_s": time.perf_counter() - t0, "patron_rows": facts.patron_rows,
                      "people": facts.people, "copies": facts.copies, "loans": facts.loans,
                      "holds": facts.holds, "fines": facts.fines, "history": facts.history,
                      "collisions": len(facts.collisions)}))  # fmt: skip


def import_child(args: list[str]) -> None:
    """Run ``import-network`` in this process and print the CPU time the PostgreSQL backend of
    its connection spent (read from /proc: the server runs on this machine)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "navette.settings.base")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]

    def server_cpu() -> float:
        fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    before = server_cpu()
    call_command("import_network", *args)
    print(json.dumps({"server_cpu": server_cpu() - before}))


def measured(args: list[str], env: dict[str, str]) -> dict[str, object]:
    """Run a command; its wall time, CPU time, peak RSS and output."""
    out = Path(tempfile.mkstemp(prefix="bench-golive-", suffix=".log")[1])
    with out.open("w") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    text = out.read_text()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{text[-3000:]}")
    server = json.loads(text.strip().splitlines()[-1])["server_cpu"]
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "server_cpu": server,
            "rss_mib": usage.ru_maxrss / 1024, "output": text}  # fmt: skip


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench golive")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: the full network")
    parser.add_argument("--pg-url", default=None)
    parser.add_argument("--seed-child", default=None)
    parser.add_argument("--import-child", nargs=argparse.REMAINDER, default=None)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--no-second-apply", action="store_true",
                        help="skip the second apply (which finds everything in already)")  # fmt: skip
    opts = parser.parse_args(argv)
    if opts.seed_child:
        seed(Path(opts.seed_child), opts.scale, opts.records)
        return
    if opts.import_child is not None:
        import_child(opts.import_child)
        return
    name = f"navette_bench_golive_{os.getpid()}"
    url = opts.pg_url or local_pg_url(name)
    base = url.rpartition("/")[0]
    admin = f"{base}/postgres"
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(DATABASE_URL=f"{base}/{name}", NAVETTE_HOME=tempfile.mkdtemp(prefix="bench-gl-"))
    directory = Path(tempfile.mkdtemp(prefix="bench-golive-export-"))
    records = max(int(opts.records * opts.scale), 100)
    try:
        subprocess.run([sys.executable, "-m", "navette", "migrate", "-v0"], env=env, check=True,
                       cwd=ROOT)  # fmt: skip
        seeded = subprocess.run(
            [sys.executable, "-m", "bench.bench_golive", "--seed-child", str(directory),
             "--scale", str(opts.scale), "--records", str(records)],
            env=env, check=True, capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip
        facts = json.loads(seeded.stdout.strip().splitlines()[-1])
        command = [sys.executable, "-m", "bench.bench_golive", "--import-child", str(directory),
                   "--mapping", str(directory / "mapping.toml"),
                   "--report", str(directory / "report.csv")]  # fmt: skip
        load_before = os.getloadavg()
        dry = measured(command, env)
        applied = measured([*command, "--apply"], env)
        again = None if opts.no_second_apply else measured([*command, "--apply"], env)
        load_after = os.getloadavg()
    finally:
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=False)
    rows = []
    for label, r in (("dry run", dry), ("apply", applied), ("second apply", again)):
        if r is None:
            continue
        rows.append(f"| {label} | {r['wall']:.0f} | {r['cpu']:.0f} | {r['server_cpu']:.0f} | "
                    f"{r['rss_mib']:.0f} |")  # fmt: skip
    summary = [s for s in str(applied["output"]).strip().splitlines() if not s.startswith("{")]
    summary = summary[summary.index(next(s for s in summary if s.startswith("Import"))) :]
    body = (
        f"The generated network (bench/golive_export.py, seed 19) at scale {opts.scale}: "
        f"{facts['patron_rows']:,} patron rows for {facts['people']:,} people (3 % in two "
        f"libraries, merged by the mapping's rule), {facts['copies']:,} copies "
        f"({facts['collisions']:,} barcode collisions, prefixed), {facts['loans']:,} open "
        f"loans, {facts['holds']:,} holds, {facts['fines']:,} fines, {facts['history']:,} "
        f"history rows; {records:,} records in the catalogue beforehand. PostgreSQL at "
        f"{pg_where(url)}. Each command in its own process; its CPU is the user + system time "
        f"of that process, the server's CPU that of its PostgreSQL backend (/proc): both are "
        f"load-independent, the wall time is not. Load average (1, 5 min) "
        f"before: {load_before[0]:.1f}, {load_before[1]:.1f}; after: {load_after[0]:.1f}, "
        f"{load_after[1]:.1f} on {os.cpu_count()} cores shared with other work. Writing the "
        f"export took {facts['generate_s']:.0f} s. Target: the apply in at most 10 minutes "
        f"at full size.\n\n"
        "| command | wall s | import CPU s | PostgreSQL CPU s | peak RSS MiB |\n"
        "|---|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n\nThe apply's own summary:\n\n```\n"
        + "\n".join(summary)
        + "\n```"
    )
    size = "full size" if opts.scale == 1.0 else f"scale {opts.scale} of the full network"
    write_section("golive", "Go-live import (import-network)", body, size)


if __name__ == "__main__":
    main(sys.argv[1:])
