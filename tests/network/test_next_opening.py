"""When a closed library next opens, pure: later today, another day, after a closure."""

import datetime as dt

import pytest

from navette.core.clock import PARIS
from navette.network.hours import ClosedSpan, Schedule, TimeRange, next_opening

#: Tuesday 10-12 and 14-18, Saturday 10-12:30
WEEK = Schedule(
    weekly={
        1: (TimeRange(dt.time(10), dt.time(12)), TimeRange(dt.time(14), dt.time(18))),
        5: (TimeRange(dt.time(10), dt.time(12, 30)),),
    }
)
TUESDAY = dt.date(2026, 12, 8)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), PARIS)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (_at(TUESDAY, 8), _at(TUESDAY, 10)),  # before the morning
        (_at(TUESDAY, 12, 30), _at(TUESDAY, 14)),  # over lunch
        (_at(TUESDAY, 10, 30), _at(TUESDAY, 14)),  # open now: the next range starts at 14
        (_at(TUESDAY, 19), _at(dt.date(2026, 12, 12), 10)),  # evening: Saturday
        (_at(dt.date(2026, 12, 13), 9), _at(dt.date(2026, 12, 15), 10)),  # Sunday: Tuesday
    ],
)
def test_next_opening_later_today_or_on_the_next_open_day(instant, expected):
    """The next opening is the first range starting after the instant, today or later."""
    assert next_opening(WEEK, instant) == expected


def test_next_opening_skips_closed_days_and_reads_utc_in_paris_time():
    """A closure moves the next opening past it; a UTC instant is read in Paris time (07:30
    UTC on Tuesday is 08:30 in Paris, before opening)."""
    closed = Schedule(weekly=WEEK.weekly, closures=(ClosedSpan(TUESDAY, dt.date(2026, 12, 12)),))
    assert next_opening(closed, _at(TUESDAY, 8)) == _at(dt.date(2026, 12, 15), 10)
    utc = dt.datetime(2026, 12, 8, 7, 30, tzinfo=dt.UTC)
    assert next_opening(WEEK, utc) == _at(TUESDAY, 10)


def test_no_opening_within_the_horizon_is_none():
    """A library with no hours (or closed for longer than the horizon) has no next opening."""
    assert next_opening(Schedule(), _at(TUESDAY, 8)) is None
    long_works = Schedule(
        weekly=WEEK.weekly, closures=(ClosedSpan(TUESDAY, TUESDAY + dt.timedelta(days=60)),)
    )
    assert next_opening(long_works, _at(TUESDAY, 8), horizon_days=31) is None
