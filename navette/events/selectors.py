"""Reads of the agenda: upcoming events with filters, attendee lists, filter choices."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from navette.core.clock import PARIS
from navette.core.collation import collation_key
from navette.events.models import (
    Event,
    EventStatus,
    Programme,
    Registration,
    RegistrationStatus,
    Theme,
)
from navette.network.models import Library
from navette.network.selectors import in_french_order, library_schedule


@dataclass(frozen=True)
class AgendaFilters:
    """What a visitor filtered the agenda by. Empty fields do not filter."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    library: str = ""  # library code
    commune: str = ""
    audience: str = ""
    theme: str = ""  # theme code
    programme: str = ""  # programme slug
    q: str = ""

    @property
    def is_empty(self) -> bool:
        return self == AgendaFilters()


def _at_library(library_q: Q) -> Q:
    """Events held at the libraries matched by ``library_q`` (main or other library)."""
    shared = Event.other_libraries.through.objects.filter(
        library__in=Library.objects.filter(library_q)
    ).values("event_id")
    return Q(library__in=Library.objects.filter(library_q)) | Q(pk__in=shared)


def agenda_events(filters: AgendaFilters, *, now: dt.datetime) -> QuerySet[Event]:
    """Published (or cancelled, to say so) events not yet over, soonest first."""
    qs = Event.objects.exclude(status=EventStatus.DRAFT).filter(ends_at__gte=now)
    if filters.date_from:
        start = dt.datetime.combine(filters.date_from, dt.time.min, PARIS)
        qs = qs.filter(ends_at__gte=start)
    if filters.date_to:
        end = dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min, PARIS)
        qs = qs.filter(starts_at__lt=end)
    if filters.library:
        qs = qs.filter(_at_library(Q(code=filters.library)))
    if filters.commune:
        qs = qs.filter(_at_library(Q(commune=filters.commune)))
    if filters.audience:
        qs = qs.filter(audience=filters.audience)
    if filters.theme:
        qs = qs.filter(theme__code=filters.theme)
    if filters.programme:
        qs = qs.filter(programme__slug=filters.programme)
    for word in filters.q.split()[:6]:
        qs = qs.filter(
            Q(title__icontains=word)
            | Q(description__icontains=word)
            | Q(place_name__icontains=word)
            | Q(library__name__icontains=word)
        )
    return qs.select_related("library", "theme", "programme").order_by("starts_at", "pk")


def library_upcoming_events(library: Library, *, now: dt.datetime, limit: int = 5) -> list[Event]:
    """The next events held at one library, for its page."""
    return list(agenda_events(AgendaFilters(library=library.code), now=now)[:limit])


def programme_events(programme: Programme) -> QuerySet[Event]:
    return (
        programme.events.exclude(status=EventStatus.DRAFT)
        .select_related("library", "theme")
        .order_by("starts_at", "pk")
    )


def event_for_page(pk: int) -> Event | None:
    return (
        Event.objects.exclude(status=EventStatus.DRAFT)
        .select_related("library", "theme", "programme")
        .prefetch_related("other_libraries")
        .filter(pk=pk)
        .first()
    )


def event_attendees(event: Event) -> list[Registration]:
    """Confirmed registrations then the waiting list, in arrival order."""
    regs = list(
        event.registrations.exclude(status=RegistrationStatus.CANCELLED)
        .select_related("patron")
        .order_by("created_at", "pk")
    )
    return [r for r in regs if r.status == RegistrationStatus.CONFIRMED] + [
        r for r in regs if r.status == RegistrationStatus.WAITING
    ]


def patron_registration(event: Event, patron_id: int) -> Registration | None:
    return (
        event.registrations.filter(
            patron_id=patron_id,
            status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING],
        )
        .order_by("-pk")
        .first()
    )


def staff_events(library_ids: list[int] | None, *, now: dt.datetime) -> QuerySet[Event]:
    """Events of these libraries (all when None) from the last month on, for staff."""
    qs = Event.objects.filter(ends_at__gte=now - dt.timedelta(days=31))
    if library_ids is not None:
        qs = qs.filter(library_id__in=library_ids)
    return qs.select_related("library", "programme").order_by("starts_at", "pk")


@dataclass(frozen=True)
class FilterChoices:
    libraries: list[tuple[str, str]]
    communes: list[str]
    themes: list[tuple[str, str]]
    programmes: list[tuple[str, str]]


def filter_choices(*, now: dt.datetime) -> FilterChoices:
    """The options of the agenda's filter form (four small queries)."""
    libraries = in_french_order(
        Library.objects.filter(is_active=True).only("code", "name", "commune")
    )
    return FilterChoices(
        libraries=[(lib.code, lib.name) for lib in libraries],
        communes=sorted({lib.commune for lib in libraries}, key=collation_key),
        themes=list(Theme.objects.order_by("label").values_list("code", "label")),
        programmes=list(
            Programme.objects.filter(is_published=True, ends_on__gte=now.astimezone(PARIS).date())
            .order_by("starts_on")
            .values_list("slug", "title")
        ),
    )


def patron_upcoming_registrations(patron_id: int, *, now: dt.datetime) -> list[Registration]:
    """The patron's confirmed or waiting registrations to events not yet over, soonest
    first (the account page)."""
    return list(
        Registration.objects.filter(
            patron_id=patron_id,
            status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING],
            event__ends_at__gte=now,
        )
        .select_related("event", "event__library")
        .order_by("event__starts_at", "pk")
    )


@dataclass(frozen=True)
class ClosedDay:
    """A day an event is planned while its library is closed; ``reason`` is the closure's
    (a holiday, works), empty on a weekday without opening hours."""

    day: dt.date
    reason: str


def closed_days(library: Library, days: list[dt.date]) -> list[ClosedDay]:
    """Those of ``days`` when ``library`` is closed to the public: a closure (its own or the
    network's) or a weekday without opening hours. A library whose hours are not entered
    is never said closed on a weekday (nothing is known)."""
    if not days:
        return []
    first, last = min(days), max(days)
    schedule = library_schedule(library, first, days_after=(last - first).days + 1)
    found = []
    for day in sorted(set(days)):
        closure = schedule.closure_on(day)
        if closure is not None:
            found.append(ClosedDay(day, closure.reason))
        elif schedule.weekly and not schedule.weekly.get(day.weekday()):
            found.append(ClosedDay(day, ""))
    return found
