"""Circulation statistics read from the anonymous facts: what happened where, never to whom.

Every figure counts ``CirculationFact`` rows (one per loan, return, renewal, hold,
navette movement), so the figures survive the anonymisation of loans and the
deletion of patrons. Periods are whole days, both ends included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth

from navette.core.errors import DomainError
from navette.network.models import Library
from navette.network.selectors import in_french_order
from navette.stats.models import CirculationAction, CirculationFact

#: age bands in the order a table shows them (as ``Patron.age_band`` names them)
AGE_BANDS = ["0-5", "6-11", "12-14", "15-17", "18-25", "26-39", "40-64", "65+", "inconnu"]


#: the years a statistics period may cover (the page lists every month of the period)
FIRST_YEAR, LAST_YEAR = 1900, 2999


class InvalidPeriod(DomainError):
    """A statistics period outside the years that can hold facts."""

    code = "invalid_period"


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def month_bounds(month_from: str, month_to: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The days covered by two 'AAAA-MM' months (both included, in either order); by default
    from the first of January of this year to today. A month that cannot be read takes its
    default; a month before ``FIRST_YEAR`` or after ``LAST_YEAR`` raises ``InvalidPeriod``."""

    def parse(value: str) -> dt.date | None:
        try:
            return dt.datetime.strptime(value.strip(), "%Y-%m").date()
        except ValueError:
            return None

    first, last = parse(month_from), parse(month_to)
    for month in (first, last):
        if month is not None and not FIRST_YEAR <= month.year <= LAST_YEAR:
            raise InvalidPeriod(month=month, first=FIRST_YEAR, last=LAST_YEAR)
    if first is not None and last is not None and first > last:
        first, last = last, first
    start = first or today.replace(month=1, day=1)
    end = _next_month(last) - dt.timedelta(days=1) if last is not None else today
    return (start, end) if start <= end else (end, start)


def facts(
    start: dt.date, end: dt.date, library: Library | None = None
) -> QuerySet[CirculationFact]:
    qs = CirculationFact.objects.filter(day__gte=start, day__lte=end)
    return qs.filter(library_id=library.pk) if library is not None else qs


@dataclass(frozen=True)
class LibraryRow:
    library: Library
    checkouts: int
    checkins: int
    renewals: int
    holds_placed: int
    holds_fulfilled: int
    transits_sent: int
    #: loans to patrons registered at another library of the network
    checkouts_visitors: int

    @property
    def visitors_percent(self) -> int:
        return round(100 * self.checkouts_visitors / self.checkouts) if self.checkouts else 0


def by_library(start: dt.date, end: dt.date) -> list[LibraryRow]:
    """One row per library of the network (those with nothing too), by commune."""
    counts = {
        row["library_id"]: row
        for row in facts(start, end)
        .values("library_id")
        .annotate(
            checkouts=Count("id", filter=Q(action=CirculationAction.CHECKOUT)),
            checkins=Count("id", filter=Q(action=CirculationAction.CHECKIN)),
            renewals=Count("id", filter=Q(action=CirculationAction.RENEW)),
            holds_placed=Count("id", filter=Q(action=CirculationAction.HOLD_PLACE)),
            holds_fulfilled=Count("id", filter=Q(action=CirculationAction.HOLD_FULFIL)),
            transits_sent=Count("id", filter=Q(action=CirculationAction.TRANSIT_SEND)),
            visitors=Count(
                "id",
                filter=Q(action=CirculationAction.CHECKOUT)
                & Q(home_library__isnull=False)
                & ~Q(home_library_id=F("library_id")),
            ),
        )
    }
    rows = []
    for library in in_french_order(Library.objects.all()):
        c = counts.get(library.pk, {})
        rows.append(
            LibraryRow(
                library=library,
                checkouts=c.get("checkouts", 0),
                checkins=c.get("checkins", 0),
                renewals=c.get("renewals", 0),
                holds_placed=c.get("holds_placed", 0),
                holds_fulfilled=c.get("holds_fulfilled", 0),
                transits_sent=c.get("transits_sent", 0),
                checkouts_visitors=c.get("visitors", 0),
            )
        )
    return rows


@dataclass(frozen=True)
class Share:
    key: str
    count: int
    percent: int


def _shares(pairs: list[tuple[str, int]]) -> list[Share]:
    total = sum(n for _key, n in pairs)
    return [Share(key, n, round(100 * n / total) if total else 0) for key, n in pairs]


def checkouts_by(
    dimension: str, start: dt.date, end: dt.date, library: Library | None = None
) -> list[Share]:
    """Loans counted by ``doc_type``, ``patron_category``, ``age_band`` or ``home_library``
    (the borrower's library, by id), most first (age bands in age order)."""
    if dimension not in {"doc_type", "patron_category", "age_band", "home_library"}:
        raise ValueError(f"unknown dimension {dimension!r}")
    column = "home_library_id" if dimension == "home_library" else dimension
    rows = (
        facts(start, end, library)
        .filter(action=CirculationAction.CHECKOUT)
        .values(column)
        .annotate(n=Count("id"))
    )
    pairs = [("" if r[column] is None else str(r[column]), r["n"]) for r in rows]
    if dimension == "age_band":
        order = {band: i for i, band in enumerate(AGE_BANDS)}
        pairs.sort(key=lambda p: order.get(p[0], len(order)))
    else:
        pairs.sort(key=lambda p: (-p[1], p[0]))
    return _shares(pairs)


def checkouts_by_month(
    start: dt.date, end: dt.date, library: Library | None = None
) -> list[tuple[dt.date, int]]:
    """(first day of the month, loans) for every month of the period, months without loans
    included; interfaces name the month in the reader's language."""
    found = {
        row["month"].date() if isinstance(row["month"], dt.datetime) else row["month"]: row["n"]
        for row in facts(start, end, library)
        .filter(action=CirculationAction.CHECKOUT)
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(n=Count("id"))
    }
    months, day = [], start.replace(day=1)
    while day <= end:
        months.append((day, found.get(day, 0)))
        day = _next_month(day)
    return months


CSV_HEADER = [
    "mois", "bibliotheque", "action", "type_de_document", "categorie", "tranche_d_age",
    "bibliotheque_du_lecteur", "bibliotheque_proprietaire", "nombre",
]  # fmt: skip


def csv_rows(start: dt.date, end: dt.date, library: Library | None = None) -> Iterator[list[str]]:
    """Every fact of the period counted by month and by all its dimensions (codes of
    libraries): what a statistician loads into a spreadsheet."""
    codes = dict(Library.objects.values_list("pk", "code"))
    rows = (
        facts(start, end, library)
        .annotate(month=TruncMonth("day"))
        .values(
            "month",
            "library_id",
            "action",
            "doc_type",
            "patron_category",
            "age_band",
            "home_library_id",
            "owning_library_id",
        )  # fmt: skip
        .annotate(n=Count("id"))
        .order_by("month", "library_id", "action", "doc_type", "patron_category", "age_band")
    )
    for r in rows.iterator(chunk_size=2000):
        yield [
            r["month"].isoformat()[:7],
            codes.get(r["library_id"], ""),
            r["action"],
            r["doc_type"],
            r["patron_category"],
            r["age_band"],
            codes.get(r["home_library_id"], ""),
            codes.get(r["owning_library_id"], ""),
            str(r["n"]),
        ]
