"""Daily rollups of the circulation facts, maintained incrementally.

The statistics pages and the annual report never scan the raw facts of past days: each day,
once over, is counted once into ``DailyCount`` (facts by day and all their dimensions) and
``ActiveBorrower`` (each year's borrowers, per library and for the network). ``RollupState``
says how far it went; readers (``navette.stats.selectors``) add the facts of the days after
it (today, usually) read directly.

``stats_rollup`` (the ``stats-rollup`` job of ``navette jobs``) rolls up every day after the
last one rolled up until yesterday, one transaction per day, under a job lock. Rolling up a
day again is harmless (its counts are replaced; a borrower keeps their first day).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils.translation import ngettext

from navette.core import clock
from navette.core.dblocks import JobLockBusy, job_lock
from navette.stats.models import (
    NETWORK,
    ActiveBorrower,
    CirculationAction,
    CirculationFact,
    DailyCount,
    RollupState,
)

STATE = "circulation"

_DIMENSIONS = (
    "action, library_id, owning_library_id, home_library_id, doc_type, patron_category, age_band"
)


def _tables() -> tuple[str, str, str]:
    return (
        CirculationFact._meta.db_table,
        DailyCount._meta.db_table,
        ActiveBorrower._meta.db_table,
    )


def roll_up_day(day: dt.date) -> None:
    """Count the facts of ``day`` into the rollups (in the caller's transaction)."""
    facts, daily, borrowers = _tables()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {daily} WHERE day = %s", [day])  # noqa: S608
        cursor.execute(
            f"INSERT INTO {daily} (day, {_DIMENSIONS}, n) "  # noqa: S608 (names from _meta)
            f"SELECT day, {_DIMENSIONS}, COUNT(*) FROM {facts} WHERE day = %s "
            f"GROUP BY day, {_DIMENSIONS}",
            [day],
        )
        first = "MIN(age_band), MIN(patron_category), MIN(residence)"
        cursor.execute(
            f"INSERT INTO {borrowers} "  # noqa: S608 (names from _meta)
            "(year, library_id, borrower, first_day, age_band, patron_category, residence) "
            "SELECT * FROM ("
            f" SELECT %s AS y, library_id AS l, borrower AS b, day AS d, {first} FROM {facts}"
            "  WHERE day = %s AND action = %s AND borrower IS NOT NULL AND library_id IS NOT NULL"
            "  GROUP BY library_id, borrower, day"
            " UNION ALL"
            f" SELECT %s, {NETWORK}, borrower, day, {first} FROM {facts}"
            "  WHERE day = %s AND action = %s AND borrower IS NOT NULL"
            "  GROUP BY borrower, day"
            ") AS found WHERE 1 = 1 "
            "ON CONFLICT (year, library_id, borrower) DO UPDATE SET "
            "first_day = excluded.first_day, age_band = excluded.age_band, "
            "patron_category = excluded.patron_category, residence = excluded.residence "
            f"WHERE excluded.first_day < {borrowers}.first_day",
            [day.year, day, CirculationAction.CHECKOUT, day.year, day, CirculationAction.CHECKOUT],
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
                with transaction.atomic():
                    roll_up_day(day)
                    RollupState.objects.update_or_create(name=STATE, defaults={"through_day": day})
                count += 1
                day += dt.timedelta(days=1)
            return count
    except JobLockBusy:
        return 0


def rollup_job(now: dt.datetime) -> str:
    """The ``stats-rollup`` job: every day until yesterday."""
    days = stats_rollup(until=clock.today(now) - dt.timedelta(days=1))
    return ngettext(
        "%(days)d jour de statistiques consolidé", "%(days)d jours de statistiques consolidés", days
    ) % {"days": days}
