"""Public pages of the network: home, library directory, one page per library."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from navette.catalogue.models import DocType
from navette.catalogue.selectors import NEW_ARRIVAL_DAYS, new_arrival_counts, new_arrivals
from navette.core import clock
from navette.editorial.selectors import visible_news, visible_pages, visible_selections
from navette.events.selectors import AgendaFilters, agenda_events
from navette.network.hours import (
    OpeningStatus,
    Schedule,
    next_opening,
    opening_status,
    week_of,
)
from navette.network.models import Library
from navette.network.selectors import active_libraries, library_schedule, schedules_for
from navette.portal.templatetags.agenda_tags import with_display_times

DOC_TYPES = dict(DocType.choices)
#: what the home page shows: news items, new arrivals, events (days ahead and how many),
#: libraries about to open
HOME_NEWS = 4
HOME_NEW_ARRIVALS = 12
HOME_EVENT_DAYS = 7
HOME_EVENTS = 6
HOME_NEXT_OPENINGS = 6


@dataclass
class LibraryCard:
    library: Library
    status: OpeningStatus
    schedule: Schedule


@dataclass
class NextOpening:
    library: Library
    opens_at: dt.datetime
    is_today: bool


def _cards(now) -> list[LibraryCard]:
    libraries = active_libraries()
    schedules = schedules_for(libraries, clock.today(now))
    return [
        LibraryCard(lib, opening_status(schedules[lib.pk], now), schedules[lib.pk])
        for lib in libraries
    ]


def _next_openings(cards: list[LibraryCard], now: dt.datetime) -> list[NextOpening]:
    """The closed libraries that open soonest, with when."""
    today = clock.today(now)
    found = []
    for card in cards:
        if card.status.is_open:
            continue
        opens_at = next_opening(card.schedule, now)
        if opens_at is not None:
            found.append(NextOpening(card.library, opens_at, opens_at.date() == today))
    found.sort(key=lambda n: n.opens_at)
    return found[:HOME_NEXT_OPENINGS]


def home(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    today = clock.today(now)
    cards = _cards(now)
    open_now = [c for c in cards if c.status.is_open]
    since = today - dt.timedelta(days=NEW_ARRIVAL_DAYS)
    events = agenda_events(
        AgendaFilters(date_to=today + dt.timedelta(days=HOME_EVENT_DAYS)), now=now
    )[:HOME_EVENTS]
    return render(
        request,
        "portal/home.html",
        {
            "open_now": open_now,
            "next_openings": _next_openings(cards, now),
            "library_count": len(cards),
            "now": now,
            "news": list(visible_news(now=now)[:HOME_NEWS]),
            "pages": list(visible_pages(now=now)),
            "arrivals": new_arrivals(since=since, limit=HOME_NEW_ARRIVALS),
            "media": [
                (DOC_TYPES.get(value, value), value, n)
                for value, n in new_arrival_counts(since=since).items()
            ],
            "selections": visible_selections(now=now),
            "events": with_display_times(events),
            "libraries": [c.library for c in cards],
        },
    )


def library_list(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    cards = _cards(now)
    return render(
        request,
        "portal/libraries/list.html",
        {"cards": cards, "now": now, "open_count": sum(c.status.is_open for c in cards)},
    )


def library_detail(request: HttpRequest, code: str) -> HttpResponse:
    library = get_object_or_404(Library, code=code, is_active=True)
    now = clock.now()
    today = clock.today(now)
    schedule = library_schedule(library, today)
    upcoming_closures = [c for c in schedule.closures if c.end >= today][:8]
    return render(
        request,
        "portal/libraries/detail.html",
        {
            "library": library,
            "status": opening_status(schedule, now),
            "week": week_of(schedule, today),
            "today": today,
            "closures": upcoming_closures,
            "now": now,
            "news": list(visible_news(now=now, library=library, with_network=False)[:HOME_NEWS]),
            "pages": list(visible_pages(now=now, library=library)),
            "selections": visible_selections(now=now, library=library),
        },
    )
