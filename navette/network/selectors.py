"""Reads of the network: schedules and library lists."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q

from navette.core.collation import sorted_by
from navette.network.hours import ClosedSpan, Schedule, TimeRange
from navette.network.models import Closure, Library, MemberSystem, Network, OpeningPeriod


def _closures_window(day: dt.date, days_before: int = 0, days_after: int = 400) -> Q:
    return Q(end_date__gte=day - dt.timedelta(days=days_before)) & Q(
        start_date__lte=day + dt.timedelta(days=days_after)
    )


def schedules_for(
    libraries: list[Library], around: dt.date, days_after: int = 400
) -> dict[int, Schedule]:
    """Schedules for several libraries in two queries (periods, closures)."""
    ids = [lib.pk for lib in libraries]
    weekly: dict[int, dict[int, list[TimeRange]]] = defaultdict(lambda: defaultdict(list))
    for period in OpeningPeriod.objects.filter(library_id__in=ids).order_by("weekday", "opens"):
        weekly[period.library_id][period.weekday].append(TimeRange(period.opens, period.closes))
    closures = list(
        Closure.objects.filter(_closures_window(around, 0, days_after))
        .filter(Q(library_id__in=ids) | Q(library__isnull=True))
        .order_by("start_date")
    )
    result: dict[int, Schedule] = {}
    for lib_id in ids:
        spans = tuple(
            ClosedSpan(c.start_date, c.end_date, c.reason, network_wide=c.library_id is None)
            for c in closures
            if c.library_id in (None, lib_id)
        )
        result[lib_id] = Schedule(
            weekly={wd: tuple(r) for wd, r in weekly[lib_id].items()}, closures=spans
        )
    return result


def library_schedule(library: Library, around: dt.date, days_after: int = 400) -> Schedule:
    return schedules_for([library], around, days_after)[library.pk]


def in_french_order(libraries: Iterable[Library]) -> list[Library]:
    """Libraries by commune then name, in French alphabetical order (Méricourt, Meurchin)."""
    return sorted_by(libraries, lambda lib: lib.commune, lambda lib: lib.name)


def active_libraries() -> list[Library]:
    return in_french_order(Library.objects.filter(is_active=True))


def network_name() -> str:
    """The network's name, as configured (a read: nothing is created)."""
    name = Network.objects.order_by("pk").values_list("name", flat=True).first()
    return name or ""


def libraries_by_code() -> list[Library]:
    """Every library, active or not (copies stay owned by a closed library), by code."""
    return list(Library.objects.order_by("code"))


def first_library_email() -> str:
    """The e-mail of the first library that has one, "" if none."""
    email = Library.objects.exclude(email="").order_by("pk").values_list("email", flat=True)
    return email.first() or ""


def member_system_for_card(card_number: str) -> MemberSystem | None:
    """The active member library whose card prefixes the number starts with (the longest
    prefix wins), or None."""
    best: tuple[int, MemberSystem] | None = None
    for member in MemberSystem.objects.filter(is_active=True).select_related("library"):
        for prefix in member.prefixes:
            if card_number.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), member)
    return best[1] if best is not None else None


def member_systems() -> list[MemberSystem]:
    """The active member libraries running another system, in French order."""
    members = list(MemberSystem.objects.filter(is_active=True).select_related("library"))
    order = {lib.pk: i for i, lib in enumerate(in_french_order([m.library for m in members]))}
    return sorted(members, key=lambda m: order[m.library.pk])


def member_system_by_pk(pk: int) -> MemberSystem | None:
    return MemberSystem.objects.filter(pk=pk, is_active=True).select_related("library").first()
