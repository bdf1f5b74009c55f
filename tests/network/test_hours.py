"""Opening hours, pure: 'Ouvert' / 'Fermé' in Paris time across the DST change."""

import datetime as dt

import pytest

from navette.core.clock import PARIS
from navette.network.hours import ClosedSpan, Schedule, TimeRange, next_open_day, opening_status

TUESDAY_AFTERNOON = Schedule(weekly={1: (TimeRange(dt.time(14), dt.time(18)),)})

# Tuesdays on each side of the 2026 changes: summer time ends 25 Oct, starts 29 Mar.
WINTER_TUESDAY = dt.date(2026, 11, 24)
SUMMER_TUESDAY = dt.date(2026, 10, 20)
AFTER_SPRING_CHANGE = dt.date(2026, 3, 31)


@pytest.mark.parametrize("day", [WINTER_TUESDAY, SUMMER_TUESDAY, AFTER_SPRING_CHANGE])
@pytest.mark.parametrize(
    ("hour", "expected"),
    [(13, False), (14, True), (15, True), (17, True), (18, False), (19, False)],
)
def test_open_on_tuesday_afternoon_in_paris_time(day, hour, expected):
    """A library open Tuesday 14:00-18:00 is open at 15:00 Paris time and closed at 19:00,
    whatever the UTC offset of the day."""
    instant = dt.datetime.combine(day, dt.time(hour), tzinfo=PARIS).astimezone(dt.UTC)
    assert opening_status(TUESDAY_AFTERNOON, instant).is_open is expected


def test_utc_instant_is_read_in_paris_time():
    """14:30 UTC on a summer Tuesday is 16:30 in Paris (open); 16:30 UTC is 18:30 (closed)."""
    open_ = dt.datetime(2026, 10, 20, 14, 30, tzinfo=dt.UTC)
    closed = dt.datetime(2026, 10, 20, 16, 30, tzinfo=dt.UTC)
    assert opening_status(TUESDAY_AFTERNOON, open_).is_open
    assert not opening_status(TUESDAY_AFTERNOON, closed).is_open


def test_declared_closed_day_is_closed():
    """On a declared closed day the library shows 'Fermé' with the reason, even at 15:00."""
    schedule = Schedule(
        weekly=TUESDAY_AFTERNOON.weekly,
        closures=(ClosedSpan(WINTER_TUESDAY, WINTER_TUESDAY, "Inventaire"),),
    )
    instant = dt.datetime.combine(WINTER_TUESDAY, dt.time(15), tzinfo=PARIS)
    status = opening_status(schedule, instant)
    assert not status.is_open
    assert status.closure is not None and status.closure.reason == "Inventaire"
    assert status.today == ()


def test_naive_instant_is_refused():
    with pytest.raises(ValueError):
        opening_status(TUESDAY_AFTERNOON, dt.datetime(2026, 11, 24, 15))


def test_next_open_day_skips_closed_days():
    """A due date falling on a closed day moves to the next open day."""
    schedule = Schedule(
        weekly=TUESDAY_AFTERNOON.weekly,
        closures=(ClosedSpan(WINTER_TUESDAY, WINTER_TUESDAY, "Travaux"),),
    )
    wednesday = WINTER_TUESDAY + dt.timedelta(days=1)
    assert next_open_day(schedule, wednesday) == WINTER_TUESDAY + dt.timedelta(days=7)
    assert next_open_day(
        schedule, WINTER_TUESDAY - dt.timedelta(days=7)
    ) == WINTER_TUESDAY - dt.timedelta(days=7)
