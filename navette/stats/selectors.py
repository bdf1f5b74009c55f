"""Circulation statistics read from the anonymous facts: what happened where, never to whom.

Every figure counts ``CirculationFact`` rows (one per loan, return, renewal, hold,
navette movement), so the figures survive the anonymisation of loans and the
deletion of patrons. Periods are whole days, both ends included.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncMonth

from navette.core.errors import DomainError
from navette.network.models import Library
from navette.network.selectors import in_french_order
from navette.stats import rollups
from navette.stats.models import (
    NETWORK,
    ActiveBorrower,
    ActiveBorrowerCount,
    CirculationAction,
    CirculationFact,
    MonthlyCount,
    MonthlySlice,
)

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


#: what ``tally`` can count by (a fact's columns, ``month``, and ``visitor``: "1" for a fact
#: of a borrower registered at another library of the network, else "0")
DIMENSIONS = frozenset(
    {"month", "action", "library_id", "owning_library_id", "home_library_id", "doc_type",
     "patron_category", "age_band", "visitor"}
)  # fmt: skip
_ID_SLICES = {"home_library_id", "owning_library_id"}


def _month(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _visitor() -> Case:
    return Case(
        When(Q(home_library_id__isnull=False) & ~Q(home_library_id=F("library_id")),
             then=Value("1")),
        default=Value("0"), output_field=CharField(),
    )  # fmt: skip


def tally(
    start: dt.date, end: dt.date, dimensions: Sequence[str], *, library: Library | None = None,
    actions: Sequence[str] = (),
) -> dict[tuple[Any, ...], int]:  # fmt: skip
    """Facts of the period counted by ``dimensions`` (in that order in each key): the days
    rolled up are read from ``MonthlySlice`` (at most one dimension besides the month, the
    action and the library) or ``MonthlyCount`` (more), the later ones from the facts
    themselves (the rollups are never behind by more than the days not yet over; a period
    that does not start on a first of the month is read from the facts)."""
    unknown = set(dimensions) - DIMENSIONS
    if unknown:
        raise ValueError(f"unknown dimensions {sorted(unknown)}")
    through = rollups.rolled_through()
    found: dict[tuple[Any, ...], int] = defaultdict(int)

    def add(qs: QuerySet[Any], measure: Any) -> None:
        if actions:
            qs = qs.filter(action__in=actions)
        if library is not None:
            qs = qs.filter(library_id=library.pk)
        if "month" in dimensions and qs.model is CirculationFact:
            qs = qs.annotate(month=TruncMonth("day"))
        if "visitor" in dimensions:
            qs = qs.annotate(visitor=_visitor())
        for row in qs.values(*dimensions).annotate(n=measure).order_by():
            key = tuple(_month(row[d]) if d == "month" else row[d] for d in dimensions)
            found[key] += row["n"]

    def add_slice(first: dt.date, last: dt.date, dimension: str) -> None:
        qs = MonthlySlice.objects.filter(month__gte=first, month__lte=last, dimension=dimension)
        if library is not None:
            qs = qs.filter(library_id=library.pk)
        elif "library_id" in dimensions:
            qs = qs.exclude(library_id=NETWORK)
        else:
            qs = qs.filter(library_id=NETWORK)
        if actions:
            qs = qs.filter(action__in=actions)
        columns = [d if d in ("month", "action", "library_id") else "key" for d in dimensions]
        for row in qs.values(*columns).annotate(total=Sum("n")).order_by():
            key = []
            for d in dimensions:
                if d in ("month", "action", "library_id"):
                    key.append(row[d])
                elif d in _ID_SLICES:
                    key.append(int(row["key"]) if row["key"] else None)
                else:
                    key.append(row["key"])
            found[tuple(key)] += row["total"]

    # the rollups hold whole months up to ``through``: usable from a first of the month to
    # a month's end (or to ``through``)
    month_end = _next_month(end) - dt.timedelta(days=1)
    usable = through is not None and start.day == 1 and (end >= through or end == month_end)
    if usable:
        assert through is not None
        rolled_end = min(end, through)
        if rolled_end >= start:
            extra = [d for d in dimensions if d not in ("month", "action", "library_id")]
            if len(extra) <= 1:
                add_slice(start, rolled_end.replace(day=1), extra[0] if extra else "")
            else:
                add(
                    MonthlyCount.objects.filter(
                        month__gte=start, month__lte=rolled_end.replace(day=1)
                    ),
                    Sum("n"),
                )
            start = max(start, rolled_end + dt.timedelta(days=1))
    if start <= end:
        add(CirculationFact.objects.filter(day__gte=start, day__lte=end), Count("id"))
    return dict(found)


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
    counts: dict[tuple[int | None, str], int] = defaultdict(int)
    visitors: dict[int | None, int] = defaultdict(int)
    for (library_id, action, visitor), n in tally(
        start, end, ["library_id", "action", "visitor"]
    ).items():
        counts[library_id, action] += n
        if action == CirculationAction.CHECKOUT and visitor == "1":
            visitors[library_id] += n
    rows = []
    for library in in_french_order(Library.objects.all()):

        def c(action: str, pk: int = library.pk) -> int:
            return counts.get((pk, action), 0)

        rows.append(
            LibraryRow(
                library=library,
                checkouts=c(CirculationAction.CHECKOUT),
                checkins=c(CirculationAction.CHECKIN),
                renewals=c(CirculationAction.RENEW),
                holds_placed=c(CirculationAction.HOLD_PLACE),
                holds_fulfilled=c(CirculationAction.HOLD_FULFIL),
                transits_sent=c(CirculationAction.TRANSIT_SEND),
                checkouts_visitors=visitors.get(library.pk, 0),
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
    counted = tally(start, end, [column], library=library, actions=[CirculationAction.CHECKOUT])
    pairs = [("" if key[0] is None else str(key[0]), n) for key, n in counted.items()]
    if dimension == "age_band":
        order = {band: i for i, band in enumerate(AGE_BANDS)}
        pairs.sort(key=lambda p: order.get(p[0], len(order)))
    else:
        pairs.sort(key=lambda p: (-p[1], p[0]))
    return _shares(pairs)


def months_of(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of every month of the period."""
    months, day = [], start.replace(day=1)
    while day <= end:
        months.append(day)
        day = _next_month(day)
    return months


def checkouts_by_month(
    start: dt.date, end: dt.date, library: Library | None = None
) -> list[tuple[dt.date, int]]:
    """(first day of the month, loans) for every month of the period, months without loans
    included; interfaces name the month in the reader's language."""
    found = tally(start, end, ["month"], library=library, actions=[CirculationAction.CHECKOUT])
    return [(month, found.get((month,), 0)) for month in months_of(start, end)]


# --- active borrowers (the year's pseudonyms) ----------------------------------------------

#: the survey's age groups, from the facts' finer bands
AGE_GROUPS: dict[str, tuple[str, ...]] = {
    "0-14": ("0-5", "6-11", "12-14"),
    "15-64": ("15-17", "18-25", "26-39", "40-64"),
    "65+": ("65+",),
    "inconnu": ("inconnu", ""),
}
_GROUP_OF = {band: group for group, bands in AGE_GROUPS.items() for band in bands}


def age_group(band: str) -> str:
    return _GROUP_OF.get(band, "inconnu")


BORROWER_DIMENSIONS = ("age_group", "patron_category", "residence")


def _new_borrowers(
    year: int, scope: int, through: dt.date | None, rolled: QuerySet[ActiveBorrower]
) -> list[dict[str, Any]]:
    """Borrowers of ``year`` seen in the days not rolled up yet and not counted there,
    with the age band, category and commune of their first such loan."""
    start = dt.date(year, 1, 1)
    if through is not None and through >= start:
        start = through + dt.timedelta(days=1)
    end = dt.date(year, 12, 31)
    if start > end:
        return []
    qs = CirculationFact.objects.filter(
        day__gte=start, day__lte=end, action=CirculationAction.CHECKOUT, borrower__isnull=False
    )
    if scope != NETWORK:
        qs = qs.filter(library_id=scope)
    found: dict[Any, dict[str, Any]] = {}
    for row in (
        qs.exclude(Exists(rolled.filter(borrower=OuterRef("borrower"))))
        .values("borrower", "day", "age_band", "patron_category", "residence")
        .order_by("day", "id")
    ):
        found.setdefault(row["borrower"], dict(row))
    return list(found.values())


def active_borrowers(
    year: int, dimension: str | None = None, library: Library | None = None
) -> dict[str, int]:
    """Distinct borrowers who borrowed in ``year`` (at ``library``, else anywhere in the
    network), counted by the year's pseudonyms, so exact after every loan was anonymised and
    patrons purged; by ``age_group`` (0-14, 15-64, 65+), ``patron_category`` or
    ``residence`` (as at their first loan of the year there), or in all (key ``""``)."""
    if dimension is not None and dimension not in BORROWER_DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    scope = library.pk if library is not None else NETWORK
    through = rollups.rolled_through()
    rolled = ActiveBorrower.objects.filter(year=year, library_id=scope)
    column = "age_band" if dimension == "age_group" else dimension
    counts: dict[str, int] = defaultdict(int)

    def key(value: str) -> str:
        if dimension is None:
            return ""
        return age_group(value) if dimension == "age_group" else value

    for found_key, n in ActiveBorrowerCount.objects.filter(
        year=year, library_id=scope, dimension=column or ""
    ).values_list("key", "n"):
        counts[key(found_key)] += n
    for row in _new_borrowers(year, scope, through, rolled):
        counts[key(row[column]) if column else ""] += 1
    return dict(counts)


def active_borrowers_by_library(year: int) -> dict[int, int]:
    """Distinct borrowers of ``year`` at each library (a borrower counts at every library
    where they borrowed)."""
    through = rollups.rolled_through()
    counts: dict[int, int] = defaultdict(int)
    for library_id, n in (
        ActiveBorrowerCount.objects.filter(year=year, dimension="")
        .exclude(library_id=NETWORK)
        .values_list("library_id", "n")
    ):
        counts[library_id] += n
    for library_id in Library.objects.values_list("pk", flat=True):
        scoped = ActiveBorrower.objects.filter(year=year, library_id=library_id)
        counts[library_id] += len(_new_borrowers(year, library_id, through, scoped))
    return dict(counts)


def active_borrowers_by_month(
    year: int, library: Library | None = None
) -> list[tuple[dt.date, int]]:
    """(first day of the month, active borrowers of the year so far) for the twelve months:
    each borrower counted from the month of their first loan of the year (from the rollups,
    plus the days not rolled up yet)."""
    scope = library.pk if library is not None else NETWORK
    rolled = ActiveBorrower.objects.filter(year=year, library_id=scope)
    new: dict[dt.date, int] = defaultdict(int)
    for found_key, n in ActiveBorrowerCount.objects.filter(
        year=year, library_id=scope, dimension="month"
    ).values_list("key", "n"):
        new[dt.date(int(found_key[:4]), int(found_key[5:7]), 1)] += n
    for row in _new_borrowers(year, scope, rollups.rolled_through(), rolled):
        new[row["day"].replace(day=1)] += 1
    running, out = 0, []
    for month in months_of(dt.date(year, 1, 1), dt.date(year, 12, 31)):
        running += new.get(month, 0)
        out.append((month, running))
    return out


CSV_HEADER = [
    "mois", "bibliotheque", "action", "type_de_document", "categorie", "tranche_d_age",
    "bibliotheque_du_lecteur", "bibliotheque_proprietaire", "nombre",
]  # fmt: skip


def csv_rows(start: dt.date, end: dt.date, library: Library | None = None) -> Iterator[list[str]]:
    """Every fact of the period counted by month and by all its dimensions (codes of
    libraries): what a statistician loads into a spreadsheet."""
    codes = dict(Library.objects.values_list("pk", "code"))
    dims = ["month", "library_id", "action", "doc_type", "patron_category", "age_band",
            "home_library_id", "owning_library_id"]  # fmt: skip
    counted = tally(start, end, dims, library=library)
    for key in sorted(counted, key=lambda k: tuple("" if v is None else str(v) for v in k)):
        month, library_id, action, doc_type, category, age, home, owning = key
        yield [
            month.isoformat()[:7], codes.get(library_id, ""), action, doc_type, category, age,
            codes.get(home, ""), codes.get(owning, ""), str(counted[key]),
        ]  # fmt: skip
