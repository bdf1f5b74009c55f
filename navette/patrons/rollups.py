"""Registered patrons counted by year, so that the annual report never reads the patrons.

The survey counts the patrons registered in a year (registered by its 31 December, their
membership running on one of its days) by age, by commune of residence and per site. The
nightly job (``patrons-registered``) counts this year's and, until it is closed, last year's
into ``RegisteredCount``, once a day; ``close_statistics_year`` counts the year one last
time and marks it final, so that the patrons deleted afterwards (``patrons-purge``) still
count in the year they were registered. A year never counted (before this rollup existed)
is counted from the patrons when asked.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, QuerySet
from django.utils.translation import ngettext

from navette.core import clock
from navette.core.yearly import recount_year
from navette.patrons.models import NETWORK, Patron, RegisteredCount, RegisteredYear
from navette.patrons.pseudonyms import year_closed

#: what the counts are by (besides the total, dimension "")
DIMENSIONS = ("birth_year", "residence")


def registered(year: int, library_id: int | None = None) -> QuerySet[Patron]:
    """The patrons registered in ``year`` (at ``library_id``, else anywhere)."""
    qs = Patron.objects.filter(
        created_at__date__lte=dt.date(year, 12, 31), membership_expires_on__gte=dt.date(year, 1, 1)
    )
    return qs.filter(home_library_id=library_id) if library_id is not None else qs


def _count(year: int, library_id: int | None = None) -> dict[tuple[int, str, str], int]:
    """{(library id or NETWORK, dimension, key): patrons} from the patrons themselves."""
    counts: dict[tuple[int, str, str], int] = defaultdict(int)
    patrons = registered(year, library_id)

    def add(library: int, dimension: str, key: str, n: int) -> None:
        for scope in (library, NETWORK) if library_id is None else (library,):
            counts[scope, dimension, key] += n

    for row in patrons.values("home_library_id", "birth_date__year").annotate(n=Count("id")):
        born = row["birth_date__year"]
        add(row["home_library_id"], "", "", row["n"])
        add(row["home_library_id"], "birth_year", "" if born is None else str(born), row["n"])
    for row in patrons.values("home_library_id", "postcode", "city").annotate(n=Count("id")):
        place = Patron(postcode=row["postcode"], city=row["city"]).residence
        add(row["home_library_id"], "residence", place, row["n"])
    counts[(NETWORK if library_id is None else library_id), "", ""] += 0  # the total, even 0
    return counts


def registered_rollup(year: int, *, today: dt.date, final: bool = False) -> bool:
    """Count the patrons registered in ``year`` into ``RegisteredCount`` (replacing the last
    count), as counted on ``today``; ``final``: the last count of a closed year. A year
    already counted for good is left as it is. Returns whether the year was counted."""
    return recount_year(state_model=RegisteredYear, count_model=RegisteredCount, count=_count, year=year,
                        today=today, final=final)  # fmt: skip


def registered_counts(year: int, dimension: str, library_id: int | None = None) -> dict[str, int]:
    """Patrons registered in ``year`` at ``library_id`` (else in the network), in all (key
    "") or by ``birth_year`` or ``residence``: from the last count, else (a year never
    counted) from the patrons."""
    if dimension not in ("", *DIMENSIONS):
        raise ValueError(f"unknown dimension {dimension!r}")
    scope = NETWORK if library_id is None else library_id
    if not RegisteredYear.objects.filter(year=year).exists():
        return {k: n for (_s, d, k), n in _count(year, library_id).items() if d == dimension}
    return dict(
        RegisteredCount.objects.filter(year=year, library_id=scope, dimension=dimension)
        .values_list("key", "n")
    )  # fmt: skip


def registered_job(now: dt.datetime) -> str:
    """The ``patrons-registered`` job: this year's and (until it is closed) last year's
    registered patrons counted, once a day."""
    today = clock.today(now)
    done = dict(RegisteredYear.objects.values_list("year", "counted_on"))
    counted = 0
    for year in (today.year - 1, today.year):
        if done.get(year) == today or (year < today.year and year_closed(year)):
            continue
        counted += registered_rollup(year, today=today)
    return ngettext(
        "%(n)d année d'inscrits comptée", "%(n)d années d'inscrits comptées", counted
    ) % {"n": counted}
