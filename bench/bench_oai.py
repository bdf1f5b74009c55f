"""OAI-PMH full harvest: the whole catalogue through ListRecords, page after page, timed.

Usage: python -m bench oai [--records N] [--prefix oai_dc|marcxml] [--page N] [--pg URL]

Synthetic MARC21 records (title, author, subject, one copy each) are bulk-loaded into a
fresh database (SQLite under a temporary NAVETTE_HOME, or PostgreSQL with --pg), then one
harvester follows the resumption tokens to the end through Django's test client (no HTTP
server: the figure is the provider's own cost, what a harvester over the network adds is
not counted). Target (issue 21): 500,000 records in at most 5 minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import tempfile
import time

from bench.harness import write_section

TOKEN = re.compile(rb"<resumptionToken[^>]*>([^<]*)</resumptionToken>")


def setup(pg: str | None) -> None:
    os.environ.setdefault("NAVETTE_HOME", tempfile.mkdtemp(prefix="navette-bench-oai-"))
    if pg:
        os.environ["DATABASE_URL"] = pg
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "navette.settings.base"
    os.environ.setdefault("NAVETTE_ALLOWED_HOSTS", "testserver")
    import django  # noqa: PLC0415 - settings are chosen above, before Django starts

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415

    call_command("migrate", verbosity=0)


def load(records: int) -> None:
    from navette.catalogue.models import Item, Record  # noqa: PLC0415
    from navette.network.models import Library, Network  # noqa: PLC0415

    network = Network.current()
    library = Library.objects.create(network=network, code="lens", name="Lens", commune="Lens")
    stamp = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    batch = 5000
    for start in range(0, records, batch):
        rows = []
        for n in range(start, min(start + batch, records)):
            title = f"Titre de la notice {n}"
            marc = {
                "leader": "00000nam a2200000 a 4500",
                "fields": [
                    {"001": f"B{n:08d}"},
                    {"100": {"ind1": "1", "ind2": " ", "subfields": [{"a": f"Auteur {n % 997}"}]}},
                    {"245": {"ind1": "1", "ind2": "0", "subfields": [{"a": title}]}},
                    {"650": {"ind1": " ", "ind2": "0", "subfields": [{"a": "Histoire"}]}},
                ],
            }
            rows.append(Record(flavour="marc21", marc=marc, title=title, control_number=f"B{n:08d}",
                               authors=[{"name": f"Auteur {n % 997}", "role": "auteur"}],
                               subjects=["Histoire"], year=1900 + n % 120))  # fmt: skip
        made = Record.objects.bulk_create(rows)
        Item.objects.bulk_create(
            Item(record=r, barcode=f"X{r.pk:010d}", owning_library=library, current_library=library)
            for r in made
        )
    Record.objects.update(updated_at=stamp)


def harvest(prefix: str) -> tuple[int, float, int]:
    from django.test import Client  # noqa: PLC0415

    client = Client()
    params = {"verb": "ListRecords", "metadataPrefix": prefix}
    started = time.perf_counter()
    records = pages = 0
    while True:
        response = client.get("/oai", params)
        body = response.content
        records += body.count(b"<record>")
        pages += 1
        match = TOKEN.search(body)
        if not match or not match.group(1):
            break
        params = {"verb": "ListRecords", "resumptionToken": match.group(1).decode()}
    return records, time.perf_counter() - started, pages


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench oai")
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--prefix", default="marcxml")
    parser.add_argument("--page", type=int, default=200)
    parser.add_argument("--pg", default="")
    args = parser.parse_args(argv)
    os.environ["NAVETTE_OAI_RECORDS_PER_PAGE"] = str(args.page)
    setup(args.pg or None)
    t0 = time.perf_counter()
    load(args.records)
    loaded = time.perf_counter() - t0
    rows = []
    for prefix in dict.fromkeys([args.prefix, "oai_dc"]):
        got, seconds, pages = harvest(prefix)
        if got != args.records:
            sys.exit(f"harvested {got} records of {args.records} ({prefix})")
        per_second = got / seconds
        rows.append(f"| {prefix} | {got:,} | {pages:,} | {seconds:.1f} | {per_second:,.0f} | "
                    f"{500_000 / per_second / 60:.1f} |")  # fmt: skip
    database = "PostgreSQL" if args.pg else "SQLite"
    body = (
        f"One harvester follows ListRecords to the end ({args.page} records per page) through "
        f"Django's test client on {database}; data loaded in {loaded:.0f} s. Target: 500,000 "
        "records in at most 5 minutes (the last column extrapolates linearly from this run).\n\n"
        "| format | records | pages | seconds | records/s | minutes for 500,000 |\n"
        "|---|---|---|---|---|---|\n" + "\n".join(rows)
    )
    write_section("oai", "OAI-PMH full harvest", body,
                  f"{args.records:,} synthetic MARC21 records, one copy each")  # fmt: skip
