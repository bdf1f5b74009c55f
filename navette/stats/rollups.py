"""Rollups of the circulation facts, maintained incrementally, day by day.

The statistics pages and the annual report never scan the raw facts of past days: each day,
once over, is counted into ``MonthlyCount`` (facts by month and all their dimensions: the
month's rows are counted again from its first day up to that day), ``MonthlySlice`` (the
same by month, library and action and at most one more dimension, what the pages read) and
``ActiveBorrower`` (each year's borrowers, per library and for the network). ``RollupState`` says through which
day; readers (``navette.stats.selectors``) add the facts of the days after it (today,
usually) read directly. Periods on the pages are whole months, hence the month grain: a
month of facts becomes a few thousand rows.

``stats_rollup`` (the ``stats-rollup`` job of ``navette jobs``) rolls up the days after the
last one rolled up until yesterday, one transaction per month of days, under a job lock.
Rolling up again is harmless (a month's counts are replaced; a borrower keeps their first
day).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.utils.translation import ngettext

from navette.core import clock
from navette.core.dblocks import JobLockBusy, job_lock
from navette.stats.models import (
    NETWORK,
    SLICES,
    ActiveBorrower,
    ActiveBorrowerCount,
    CirculationAction,
    CirculationFact,
    MonthlyCount,
    MonthlySlice,
    RollupState,
)

STATE = "circulation"

_DIMENSIONS = (
    "action, library_id, owning_library_id, home_library_id, doc_type, patron_category, age_band"
)


def _tables() -> tuple[str, str, str]:
    return (
        CirculationFact._meta.db_table,
        MonthlyCount._meta.db_table,
        ActiveBorrower._meta.db_table,
    )


def roll_up(first: dt.date, last: dt.date) -> None:
    """Count the facts of the days ``first`` to ``last`` (one month) into the rollups, in the
    caller's transaction: the month's counts again from its first day up to ``last``, and
    the borrowers first seen in those days."""
    facts, monthly, borrowers = _tables()
    month = first.replace(day=1)
    if last.replace(day=1) != month:
        raise ValueError("one month at a time")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {monthly} WHERE month = %s", [month])  # noqa: S608
        cursor.execute(
            f"INSERT INTO {monthly} (month, {_DIMENSIONS}, n) "  # noqa: S608 (names from _meta)
            f"SELECT %s, {_DIMENSIONS}, COUNT(*) FROM {facts} WHERE day >= %s AND day <= %s "
            f"GROUP BY {_DIMENSIONS}",
            [month, month, last],
        )
        _slice(cursor, month)
        # a borrower's groups: those of their first day in these days (the lowest value
        # should they differ within that day); the facts joined are bounded to these days
        # too, else the join reads every fact ever written (PostgreSQL does not carry the
        # bounds of ``firsts.day`` over to ``f.day``)
        groups = "MIN(age_band), MIN(patron_category), MIN(residence)"
        cursor.execute(
            f"INSERT INTO {borrowers} "  # noqa: S608 (names from _meta)
            "(year, library_id, borrower, first_day, age_band, patron_category, residence) "
            "SELECT * FROM ("
            f" SELECT %s AS y, f.library_id AS l, f.borrower AS b, f.day AS d, {groups}"
            f"  FROM {facts} AS f JOIN ("
            f"   SELECT library_id, borrower, MIN(day) AS day FROM {facts}"
            "    WHERE day >= %s AND day <= %s AND action = %s AND borrower IS NOT NULL"
            "    AND library_id IS NOT NULL GROUP BY library_id, borrower"
            "  ) AS firsts ON f.library_id = firsts.library_id AND f.borrower = firsts.borrower"
            "  AND f.day = firsts.day"
            "  WHERE f.action = %s AND f.day >= %s AND f.day <= %s"
            "  GROUP BY f.library_id, f.borrower, f.day"
            " UNION ALL"
            f" SELECT %s, {NETWORK}, f.borrower, f.day, {groups} FROM {facts} AS f JOIN ("
            f"   SELECT borrower, MIN(day) AS day FROM {facts}"
            "    WHERE day >= %s AND day <= %s AND action = %s AND borrower IS NOT NULL"
            "    GROUP BY borrower"
            "  ) AS firsts ON f.borrower = firsts.borrower AND f.day = firsts.day"
            "  WHERE f.action = %s AND f.day >= %s AND f.day <= %s GROUP BY f.borrower, f.day"
            ") AS found WHERE 1 = 1 "
            "ON CONFLICT (year, library_id, borrower) DO UPDATE SET "
            "first_day = excluded.first_day, age_band = excluded.age_band, "
            "patron_category = excluded.patron_category, residence = excluded.residence "
            f"WHERE excluded.first_day < {borrowers}.first_day",
            [first.year, first, last, CirculationAction.CHECKOUT, CirculationAction.CHECKOUT,
             first, last,
             first.year, first, last, CirculationAction.CHECKOUT, CirculationAction.CHECKOUT,
             first, last],
        )  # fmt: skip


#: a slice's key, as text, from the columns of ``MonthlyCount``
_SLICE_KEYS = {
    "": "''",
    "doc_type": "doc_type",
    "patron_category": "patron_category",
    "age_band": "age_band",
    "home_library_id": "COALESCE(CAST(home_library_id AS TEXT), '')",
    "owning_library_id": "COALESCE(CAST(owning_library_id AS TEXT), '')",
    "visitor": "CASE WHEN home_library_id IS NOT NULL AND home_library_id <> library_id "
    "THEN '1' ELSE '0' END",
}
assert set(_SLICE_KEYS) == {"", *SLICES}


def _slice(cursor: Any, month: dt.date) -> None:
    """``MonthlySlice`` of ``month`` again from its ``MonthlyCount`` rows (already counted):
    per library and for the network, in all and by each dimension of ``SLICES``."""
    monthly, slices = MonthlyCount._meta.db_table, MonthlySlice._meta.db_table
    cursor.execute(f"DELETE FROM {slices} WHERE month = %s", [month])  # noqa: S608
    parts, params = [], []
    for dimension, key in _SLICE_KEYS.items():
        for library in ("library_id", str(NETWORK)):
            group = "action, k" if library != "library_id" else "library_id, action, k"
            parts.append(
                f"SELECT month, {library}, action, '{dimension}', k, SUM(n) FROM ("  # noqa: S608
                f"SELECT month, library_id, action, {key} AS k, n FROM {monthly} "
                f"WHERE month = %s) AS m GROUP BY month, {group}"
            )
            params.append(month)
    cursor.execute(
        f"INSERT INTO {slices} (month, library_id, action, dimension, key, n) "  # noqa: S608
        + " UNION ALL ".join(parts),
        params,
    )


def count_borrowers(year: int) -> None:
    """Recount ``ActiveBorrowerCount`` for ``year`` from ``ActiveBorrower`` (in the caller's
    transaction, with the rollup that changed it)."""
    borrowers, counts = ActiveBorrower._meta.db_table, ActiveBorrowerCount._meta.db_table
    month = (
        "to_char(first_day, 'YYYY-MM')"
        if connection.vendor == "postgresql"
        else "strftime('%%Y-%%m', first_day)"
    )
    parts = [f"SELECT year, library_id, '', '', COUNT(*) FROM {borrowers} WHERE year = %s "  # noqa: S608
             "GROUP BY year, library_id"]  # fmt: skip
    for dimension, column in (("age_band", "age_band"), ("patron_category", "patron_category"),
                              ("residence", "residence"), ("month", month)):  # fmt: skip
        parts.append(
            f"SELECT year, library_id, '{dimension}', {column}, COUNT(*) FROM {borrowers} "  # noqa: S608
            f"WHERE year = %s GROUP BY year, library_id, {column}"
        )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {counts} WHERE year = %s", [year])  # noqa: S608
        cursor.execute(
            f"INSERT INTO {counts} (year, library_id, dimension, key, n) "  # noqa: S608
            + " UNION ALL ".join(parts),
            [year] * len(parts),
        )


def rolled_through() -> dt.date | None:
    """The last day rolled up (``None``: nothing yet)."""
    return RollupState.objects.filter(name=STATE).values_list("through_day", flat=True).first()


def stats_rollup(*, until: dt.date) -> int:
    """Roll up every day after the last one rolled up, through ``until`` (a day that is over),
    one transaction per day; the first run starts at the first fact. Returns the number of
    days rolled up; 0 when another process is at it."""
    try:
        with job_lock("stats-rollup", wait=False):
            done = rolled_through()
            if done is None:
                first = CirculationFact.objects.order_by("day").values_list("day", flat=True)
                start = first.first()
                if start is None:
                    return 0
            else:
                start = done + dt.timedelta(days=1)
            count, day = 0, start
            while day <= until:
                next_month = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
                last = min(until, next_month - dt.timedelta(days=1))
                with transaction.atomic():
                    roll_up(day, last)
                    count_borrowers(last.year)
                    RollupState.objects.update_or_create(name=STATE, defaults={"through_day": last})
                count += (last - day).days + 1
                day = last + dt.timedelta(days=1)
            return count
    except JobLockBusy:
        return 0


def rollup_job(now: dt.datetime) -> str:
    """The ``stats-rollup`` job: every day until yesterday."""
    days = stats_rollup(until=clock.today(now) - dt.timedelta(days=1))
    return ngettext(
        "%(days)d jour de statistiques consolidé", "%(days)d jours de statistiques consolidés", days
    ) % {"days": days}
