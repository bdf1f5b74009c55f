"""Build the seeded benchmark corpus and time it: ``python -m bench corpus [--records N] [--seed S]``.

Uses the configured database (DATABASE_URL or the SQLite file under
NAVETTE_HOME); other benchmarks call ``bench.corpus.build_corpus`` directly.
"""

from __future__ import annotations

import argparse
import os


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench corpus")
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=42)
    opts = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "navette.settings.base")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.corpus import build_corpus
    from bench.harness import write_section

    call_command("migrate", verbosity=0)
    result = build_corpus(opts.records, opts.seed)
    body = (
        f"Database: {connection.vendor}. Records derived from the LoC books (editions past 250,000), "
        "document types and audiences redistributed by the seed, 1 to 4 copies each over the 27 "
        "libraries, written through the import store in batches of 5,000.\n\n"
        "| records | copies | seconds | records/s |\n|---|---|---|---|\n"
        f"| {result['records']:,} | {result['copies']:,} | {result['seconds']:.1f} | "
        f"{result['records'] / result['seconds']:,.0f} |"
    )
    write_section(
        "corpus", "Benchmark corpus generator", body, f"{opts.records:,} records, seed {opts.seed}"
    )
