"""A year's collections counted once a day, so that the annual report never reads the copies.

The survey asks for the documents held on 31 December and acquired in the year, by media,
and the periodical titles received. The nightly job (``catalogue-collections``) counts this
year's and, until it is closed, last year's into ``CollectionCount``; closing the year
(``close_statistics_year``) counts it one last time, for good. A copy's status is read on the
day of the count (a copy withdrawn in March of the next year still counts on 31 December
only if the year was counted before). A year never counted is counted from the copies when
asked.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Q, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import ngettext

from navette.catalogue.models import (
    CollectionCount,
    CollectionYear,
    DocType,
    Item,
    ItemStatus,
)
from navette.core import clock
from navette.core.yearly import recount_year

#: ``CollectionCount.library_id`` of the counts of the whole network
NETWORK = 0
DIMENSIONS = ("held", "acquired", "periodicals")


def _items(library_id: int | None) -> QuerySet[Any]:
    """Copies (of ``library_id``, else of every library), with their media as ``kind``: the
    copy's own type, else its record's (as ``Item.doc_type``)."""
    qs = (
        Item.objects.all()
        if library_id is None
        else Item.objects.filter(owning_library_id=library_id)
    )
    return qs.annotate(kind=Coalesce(NullIf("doc_type_override", Value("")), "record__doc_type"))


def held(year: int, library_id: int | None = None) -> QuerySet[Any]:
    """Copies held on 31 December of ``year``: acquired by then (or created by then, when
    the acquisition date is missing), neither withdrawn nor lost (today)."""
    end = dt.date(year, 12, 31)
    return (
        _items(library_id)
        .filter(Q(acquired_on__lte=end) | Q(acquired_on__isnull=True, created_at__date__lte=end))
        .exclude(status__in=[ItemStatus.WITHDRAWN, ItemStatus.LOST])
    )


def acquired(year: int, library_id: int | None = None) -> QuerySet[Any]:
    """Copies acquired in ``year``."""
    return _items(library_id).filter(
        acquired_on__gte=dt.date(year, 1, 1), acquired_on__lte=dt.date(year, 12, 31)
    )


def _count(year: int, library_id: int | None = None) -> dict[tuple[int, str, str], int]:
    """{(library id or NETWORK, dimension, key): n} from the copies themselves."""
    counts: dict[tuple[int, str, str], int] = defaultdict(int)
    network = library_id is None
    for dimension, qs in (
        ("held", held(year, library_id)),
        ("acquired", acquired(year, library_id)),
    ):
        for row in qs.values("owning_library_id", "kind").annotate(n=Count("id")).order_by():
            counts[row["owning_library_id"], dimension, row["kind"]] += row["n"]
            if network:
                counts[NETWORK, dimension, row["kind"]] += row["n"]
    magazines = acquired(year, library_id).filter(kind=DocType.MAGAZINE)
    for row in (
        magazines.values("owning_library_id")
        .annotate(n=Count("record_id", distinct=True))
        .order_by()
    ):
        counts[row["owning_library_id"], "periodicals", ""] = row["n"]
    scope = NETWORK if network else library_id
    assert scope is not None
    # titles, not copies: a title received at two sites counts once for the network
    counts[scope, "periodicals", ""] = magazines.values("record_id").distinct().count()
    return counts


def collection_rollup(year: int, *, today: dt.date, final: bool = False) -> bool:
    """Count the collections of ``year`` into ``CollectionCount`` (replacing the last count)
    as on ``today``; ``final``: the last count of a closed year. A year counted for good is
    left as it is. Returns whether the year was counted."""
    return recount_year(state_model=CollectionYear, count_model=CollectionCount, count=_count, year=year,
                        today=today, final=final)  # fmt: skip


def collection_counts(year: int, dimension: str, library_id: int | None = None) -> dict[str, int]:
    """The collections of ``year`` at ``library_id`` (else the network) by media (``held``,
    ``acquired``) or the periodical titles (``periodicals``, key ""): from the last count,
    else (a year never counted) from the copies."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    scope = NETWORK if library_id is None else library_id
    if not CollectionYear.objects.filter(year=year).exists():
        found = _count(year, library_id)
        return {k: n for (s, d, k), n in found.items() if d == dimension and s == scope}
    return dict(
        CollectionCount.objects.filter(year=year, library_id=scope, dimension=dimension)
        .values_list("key", "n")
    )  # fmt: skip


def collections_job(now: dt.datetime) -> str:
    """The ``catalogue-collections`` job: this year's and (until it is closed) last year's
    collections counted, once a day."""
    today = clock.today(now)
    states = {s.year: s for s in CollectionYear.objects.filter(year__gte=today.year - 1)}
    counted = 0
    for year in (today.year - 1, today.year):
        state = states.get(year)
        if state is not None and (state.final or state.counted_on == today):
            continue
        counted += collection_rollup(year, today=today)
    return ngettext(
        "%(n)d année de collections comptée", "%(n)d années de collections comptées", counted
    ) % {"n": counted}
