"""Usage for the network's councils and vendors: online resources used and event
registrations, month by month, by the patron's library (members attached through a
connector and libraries served by Navette alike) and by its commune.

Read from anonymous rows only: the online resources' usage facts (``digital.UsageFact``:
launches and tokens, with the patron's library copied at launch) and the registrations'
library (``events.Registration.home_library``, copied at registration and kept after the
anonymisation). Guests and patrons with no library count under no library ("").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth

from navette.core.collation import collation_key
from navette.digital.models import UsageFact
from navette.events.models import Registration, RegistrationStatus
from navette.network.models import Library
from navette.network.selectors import in_french_order

PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class UsageRow:
    """One month at one library (None: guests, or a patron without library)."""

    month: dt.date
    library: Library | None
    launches: int
    #: tokens spent, in half tokens (a launch may cost half a token)
    tokens_halves: int
    registrations: int
    seats: int

    @property
    def tokens(self) -> float:
        return self.tokens_halves / 2


@dataclass(frozen=True)
class CommuneRow:
    month: dt.date
    commune: str
    launches: int
    tokens_halves: int
    registrations: int
    seats: int

    @property
    def tokens(self) -> float:
        return self.tokens_halves / 2


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months = []
    month = start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def usage_by_library(
    start: dt.date, end: dt.date, library_ids: set[int] | None = None
) -> list[UsageRow]:
    """Every month from ``start`` to ``end`` (whole months) and library with some use, in
    month order then French order of libraries (no library last). ``library_ids``: only
    these libraries (a librarian's), else every library and the use of no library."""
    months = _months(start, end)
    first, after = months[0], (months[-1] + dt.timedelta(days=32)).replace(day=1)
    counts: dict[tuple[dt.date, int | None], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    facts = (
        UsageFact.objects.filter(month__gte=f"{first:%Y-%m}", month__lt=f"{after:%Y-%m}")
        .values("month", "library_id")
        .annotate(launches=Sum("launches"), halves=Sum("tokens_halves"))
    )
    for f in facts:
        month = dt.datetime.strptime(f["month"], "%Y-%m").date()
        c = counts[(month, f["library_id"])]
        c[0] += f["launches"] or 0
        c[1] += f["halves"] or 0
    since = dt.datetime.combine(first, dt.time(), PARIS)
    until = dt.datetime.combine(after, dt.time(), PARIS)
    registrations = (
        Registration.objects.filter(created_at__gte=since, created_at__lt=until)
        .exclude(status=RegistrationStatus.CANCELLED)
        .annotate(month=TruncMonth("created_at", tzinfo=PARIS))
        .values("month", "home_library_id")
        .annotate(n=Count("id"), seats=Sum("seats"))
    )
    for r in registrations:
        month = r["month"].date() if isinstance(r["month"], dt.datetime) else r["month"]
        c = counts[(month, r["home_library_id"])]
        c[2] += r["n"]
        c[3] += r["seats"] or 0
    ordered = in_french_order(Library.objects.all())
    libraries = {lib.pk: lib for lib in ordered}
    order = {lib.pk: n for n, lib in enumerate(ordered)}
    rows = [
        UsageRow(month, libraries.get(lib_id) if lib_id else None, *c)
        for (month, lib_id), c in counts.items()
        if (library_ids is None or lib_id in library_ids) and any(c)
    ]
    rows.sort(key=lambda r: (r.month, order.get(r.library.pk, -1) if r.library else 1 << 30))
    return rows


def usage_by_commune(rows: list[UsageRow]) -> list[CommuneRow]:
    """The same figures added up by the libraries' commune ("" for no library)."""
    sums: dict[tuple[dt.date, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in rows:
        s = sums[(r.month, r.library.commune if r.library else "")]
        s[0] += r.launches
        s[1] += r.tokens_halves
        s[2] += r.registrations
        s[3] += r.seats
    out = [CommuneRow(month, commune, *s) for (month, commune), s in sums.items()]
    out.sort(key=lambda r: (r.month, r.commune == "", collation_key(r.commune)))
    return out
