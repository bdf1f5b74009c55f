"""Public pages of the network: home, library directory, one page per library."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from navette.core import clock
from navette.network.hours import OpeningStatus, Schedule, opening_status, week_of
from navette.network.models import Library
from navette.network.selectors import active_libraries, library_schedule, schedules_for


@dataclass
class LibraryCard:
    library: Library
    status: OpeningStatus
    schedule: Schedule


def _cards(now) -> list[LibraryCard]:
    libraries = active_libraries()
    schedules = schedules_for(libraries, clock.today(now))
    return [
        LibraryCard(lib, opening_status(schedules[lib.pk], now), schedules[lib.pk])
        for lib in libraries
    ]


def home(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    cards = _cards(now)
    open_now = [c for c in cards if c.status.is_open]
    return render(
        request,
        "portal/home.html",
        {"open_now": open_now, "library_count": len(cards), "now": now},
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
        },
    )
