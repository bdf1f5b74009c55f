"""Opening hours as pure functions: no database, no wall clock.

A ``Schedule`` is built from the database by ``selectors.library_schedule``;
everything here takes it plus an instant or a day and answers in Paris time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from navette.core.clock import PARIS


@dataclass(frozen=True)
class TimeRange:
    opens: dt.time
    closes: dt.time

    def contains(self, at: dt.time) -> bool:
        return self.opens <= at < self.closes

    def __str__(self) -> str:
        return f"{self.opens:%H:%M}–{self.closes:%H:%M}"


@dataclass(frozen=True)
class ClosedSpan:
    start: dt.date
    end: dt.date
    reason: str = ""
    network_wide: bool = False

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Schedule:
    #: weekday (0 = Monday) -> opening ranges, sorted
    weekly: dict[int, tuple[TimeRange, ...]] = field(default_factory=dict)
    closures: tuple[ClosedSpan, ...] = ()

    def closure_on(self, day: dt.date) -> ClosedSpan | None:
        for span in self.closures:
            if span.covers(day):
                return span
        return None

    def ranges_on(self, day: dt.date) -> tuple[TimeRange, ...]:
        """Opening ranges on a calendar day; none on a closed day."""
        if self.closure_on(day) is not None:
            return ()
        return self.weekly.get(day.weekday(), ())

    def is_open_day(self, day: dt.date) -> bool:
        return bool(self.ranges_on(day))


@dataclass(frozen=True)
class OpeningStatus:
    is_open: bool
    today: tuple[TimeRange, ...]
    closure: ClosedSpan | None
    #: the range in progress when open, else the next range later today
    current_or_next: TimeRange | None


def opening_status(schedule: Schedule, instant: dt.datetime) -> OpeningStatus:
    """Whether the library is open at ``instant``, computed in Paris time."""
    if instant.tzinfo is None:
        raise ValueError("opening_status needs a timezone-aware instant")
    local = instant.astimezone(PARIS)
    day, at = local.date(), local.time()
    closure = schedule.closure_on(day)
    today = schedule.ranges_on(day)
    current = next((r for r in today if r.contains(at)), None)
    upcoming = current or next((r for r in today if r.opens > at), None)
    return OpeningStatus(
        is_open=current is not None, today=today, closure=closure, current_or_next=upcoming
    )


def next_open_day(schedule: Schedule, day: dt.date, *, horizon_days: int = 366) -> dt.date:
    """``day`` if the library opens that day, else the next day it does.

    A library with no opening hours at all (or closed for over a year) gives
    ``day`` back unchanged rather than looping: a due date must exist.
    """
    for offset in range(horizon_days):
        candidate = day + dt.timedelta(days=offset)
        if schedule.is_open_day(candidate):
            return candidate
    return day


def week_of(
    schedule: Schedule, day: dt.date
) -> list[tuple[dt.date, tuple[TimeRange, ...], ClosedSpan | None]]:
    """The seven days from the Monday of ``day``'s week, with ranges and closure."""
    monday = day - dt.timedelta(days=day.weekday())
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    return [(d, schedule.ranges_on(d), schedule.closure_on(d)) for d in days]


def next_opening(
    schedule: Schedule, instant: dt.datetime, *, horizon_days: int = 31
) -> dt.datetime | None:
    """When the library next opens after ``instant`` (Paris time, aware): later today, or
    the first range of the next open day within ``horizon_days``; None when it does not
    open within that time (closed for works, no hours entered)."""
    if instant.tzinfo is None:
        raise ValueError("next_opening needs a timezone-aware instant")
    local = instant.astimezone(PARIS)
    day, at = local.date(), local.time()
    for offset in range(horizon_days + 1):
        candidate = day + dt.timedelta(days=offset)
        for span in schedule.ranges_on(candidate):
            if offset or span.opens > at:
                return dt.datetime.combine(candidate, span.opens, PARIS)
    return None
