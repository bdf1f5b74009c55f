"""The clock. Services take ``now`` as a parameter; interfaces read it here.

Tests never patch the wall clock: they pass ``now`` to services, or set
``clock.frozen`` through the ``clock`` fixture for code reached through HTTP.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

PARIS = ZoneInfo("Europe/Paris")

#: When set (tests only), ``now()`` returns this instant.
frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """The current instant, timezone-aware (UTC)."""
    if frozen is not None:
        return frozen
    return timezone.now()


def local(instant: dt.datetime) -> dt.datetime:
    """``instant`` in the network's time zone (Europe/Paris)."""
    if timezone.is_naive(instant):
        raise ValueError("naive datetime: give a timezone-aware instant")
    return instant.astimezone(PARIS)


def today(instant: dt.datetime | None = None) -> dt.date:
    """The calendar date in Paris at ``instant`` (default: now)."""
    return local(instant or now()).date()


def paris_datetime(day: dt.date, at: dt.time) -> dt.datetime:
    """The aware instant for a wall-clock time on a Paris calendar day."""
    return dt.datetime.combine(day, at, tzinfo=PARIS)
