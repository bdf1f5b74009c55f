"""Token ledger and CAS ticket latency.

``python -m bench digital [--patrons 2000] [--calls 400] [--clients 4]``

Builds a throwaway data directory (SQLite, or the PostgreSQL database named
by DATABASE_URL) with N patrons and one film costing 0.5 token, with network
caps set (so every spend also updates the network's month and year rows,
the hottest rows of the ledger), then measures in-process service calls:

- ``tokens_spend``, one client, a different patron each call;
- ``tokens_spend``, C concurrent clients on different patrons (all meet on
  the network's rows);
- ``tokens_spend``, C clients on ONE patron: the conditional UPDATE must
  let exactly 8 of them through (4 tokens / 0.5), the rest are refused;
- a CAS round trip: ticket issue then ``/p3/serviceValidate`` logic.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import tempfile
import threading
from pathlib import Path

from bench.harness import LATENCY_HEADER, concurrent, timed, write_section


def _setup(home: Path) -> None:
    os.environ["NAVETTE_HOME"] = str(home)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "navette.settings.base")
    import django

    django.setup()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench digital")
    parser.add_argument("--patrons", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args(argv)
    home = Path(tempfile.mkdtemp(prefix="navette-bench-digital-"))
    _setup(home)

    from django.core.management import call_command
    from django.db import connection

    from navette.catalogue.models import DocType, MarcFlavour, Record
    from navette.core.actors import Actor
    from navette.core.clock import PARIS
    from navette.digital.cas import cas_ticket_issue
    from navette.digital.errors import InsufficientTokens
    from navette.digital.models import (
        Resource,
        ResourceKind,
        ServiceProtocol,
        ServiceRegistration,
        Vendor,
        VendorTitle,
    )
    from navette.digital.selectors import token_settings
    from navette.digital.services import cas_ticket_validate, tokens_spend
    from navette.network.models import Library, Network
    from navette.patrons.models import Patron, PatronCategory

    call_command("migrate", verbosity=0)
    network = Network.current()
    lib, _c = Library.objects.get_or_create(
        code="bench", defaults={"network": network, "name": "Bench", "commune": "Bench"}
    )
    cat, _c = PatronCategory.objects.get_or_create(code="adulte", defaults={"label": "Adulte"})
    Patron.objects.filter(card_number__startswith="BENCHDIG").delete()
    Patron.objects.bulk_create(
        Patron(
            card_number=f"BENCHDIG{i:07d}",
            first_name="B",
            last_name=str(i),
            category=cat,
            home_library=lib,
            membership_expires_on=dt.date(2099, 1, 1),
        )  # fmt: skip
        for i in range(args.patrons + 1)
    )
    patrons = list(Patron.objects.filter(card_number__startswith="BENCHDIG").order_by("pk"))
    hot = patrons.pop()
    vendor, _c = Vendor.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    service, _c = ServiceRegistration.objects.get_or_create(
        protocol=ServiceProtocol.CAS, service_url="https://vod.bench.test/cas",
        defaults={"vendor": vendor, "name": "bench"},
    )  # fmt: skip
    resource, _c = Resource.objects.get_or_create(
        code="bench-vod",
        defaults={"vendor": vendor, "name": "Bench VOD", "kind": ResourceKind.VOD,
                  "access_url": "https://vod.bench.test/cas?film={ref}", "sso_service": service,
                  "uses_tokens": True},
    )  # fmt: skip
    # every start is charged: the bench measures spends, not free relaunches of one title
    Resource.objects.filter(pk=resource.pk).update(access_hours=0)
    record = Record.objects.create(flavour=MarcFlavour.MARC21, marc={"leader": "", "fields": []},
                                   title="Film", doc_type=DocType.ONLINE, year=1950)  # fmt: skip
    title = VendorTitle.objects.create(resource=resource, record=record, vendor_ref="B1",
                                       title="Film", release_year=1950)  # fmt: skip
    ts = token_settings()
    ts.monthly_cap_halves = 10**9
    ts.yearly_cap_halves = 10**9
    ts.save()
    now = dt.datetime(2026, 11, 20, 15, 0, tzinfo=PARIS)
    title = VendorTitle.objects.select_related("resource").get(pk=title.pk)
    counter = itertools.count()
    lock = threading.Lock()

    def next_patron():  # type: ignore[no-untyped-def]
        with lock:
            return patrons[next(counter) % len(patrons)]

    def spend_one() -> None:
        p = next_patron()
        tokens_spend(patron=p, title=title, actor=Actor.patron(p.pk), now=now)

    def spend_threaded(_n: int) -> None:
        try:
            spend_one()
        finally:
            connection.close()

    rows = []
    seq = timed(spend_one, repeat=args.calls, warmup=5)
    rows.append(f"| tokens_spend, 1 client | {seq.row()} |")
    conc, rate = concurrent(spend_threaded, args.clients, args.calls // args.clients)
    rows.append(f"| tokens_spend, {args.clients} clients, different patrons | {conc.row()} |")

    outcomes: list[str] = []

    def hot_spend(_n: int) -> None:
        try:
            tokens_spend(patron=hot, title=title, actor=Actor.patron(hot.pk), now=now)
            result = "ok"
        except InsufficientTokens:
            result = "refused"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    hot_lat, _r = concurrent(hot_spend, args.clients, 10)
    ok = outcomes.count("ok")
    rows.append(f"| tokens_spend, {args.clients} clients, one patron | {hot_lat.row()} |")

    def cas_round_trip() -> None:
        p = next_patron()
        url = "https://vod.bench.test/cas?film=B1"
        t = cas_ticket_issue(registration=service, service=url, patron=p, now=now,
                             resource=None, title=None, cost_halves=0)  # fmt: skip
        assert cas_ticket_validate(ticket=t.ticket, service=url, now=now).ok

    cas = timed(cas_round_trip, repeat=args.calls, warmup=5)
    rows.append(f"| CAS ticket issue + p3 validation | {cas.row()} |")
    engine = connection.vendor
    body = "\n".join(
        [
            f"Database: {engine}. In-process service calls (no HTTP).",
            "",
            LATENCY_HEADER,
            *rows,
            "",
            f"- Throughput with {args.clients} clients on different patrons: {rate:.0f} spends/s "
            "(every spend also updates the network's month and year rows).",
            f"- One patron, {len(outcomes)} concurrent starts of a 0.5-token film with 4 tokens: "
            f"{ok} succeeded (expected 8), {outcomes.count('refused')} refused.",
            f"- Load average at the end: {os.getloadavg()[0]:.1f} (shared machine: noisy figures).",
        ]
    )
    write_section(
        f"digital-{engine}",
        f"Token ledger and CAS tickets ({engine})",
        body,
        f"{args.patrons} patrons, {args.calls} calls per case, {args.clients} clients",
    )
