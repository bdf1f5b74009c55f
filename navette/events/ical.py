"""iCalendar (RFC 5545) feeds of the agenda.

Times are written in Europe/Paris with ``TZID=Europe/Paris`` and the calendar
carries the matching VTIMEZONE, so calendar programs place events at the right
wall-clock time on both sides of a daylight-saving change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import icalendar

from navette.core.clock import PARIS
from navette.events.models import Event, EventStatus

PRODID = "-//Navette//Agenda des bibliothèques//FR"


def event_uid(event: Event) -> str:
    return f"navette-event-{event.pk}@navette"


def _location(event: Event) -> str:
    if event.library_id is not None and event.library is not None:
        lib = event.library
        parts = [lib.name, lib.street, f"{lib.postcode} {lib.city or lib.commune}".strip()]
        return ", ".join(p for p in parts if p)
    return ", ".join(p for p in (event.place_name, event.place_address) if p)


def events_calendar(
    events: Iterable[Event],
    *,
    name: str,
    now: dt.datetime,
    url_for: Callable[[Event], str] | None = None,
) -> bytes:
    """The events as one VCALENDAR (bytes, CRLF lines), with a Europe/Paris VTIMEZONE."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Paris")
    stamp = now.astimezone(dt.UTC)
    for event in events:
        vevent = icalendar.Event()
        vevent.add("uid", event_uid(event))
        vevent.add("dtstamp", stamp)
        vevent.add("dtstart", event.starts_at.astimezone(PARIS))
        vevent.add("dtend", event.ends_at.astimezone(PARIS))
        vevent.add("summary", event.title)
        if event.description:
            vevent.add("description", event.description)
        location = _location(event)
        if location:
            vevent.add("location", location)
        if url_for is not None:
            vevent.add("url", url_for(event))
        if event.theme_id is not None and event.theme is not None:
            vevent.add("categories", [event.theme.label])
        vevent.add("status", "CANCELLED" if event.status == EventStatus.CANCELLED else "CONFIRMED")
        cal.add_component(vevent)
    cal.add_missing_timezones()
    return cal.to_ical()
