"""Reads about patrons: duplicates, lookup at the desk, data export."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from navette.patrons.models import Patron


def possible_duplicates(
    *, first_name: str, last_name: str, birth_date: dt.date | None
) -> list[Patron]:
    """Patrons with the same name (case-insensitive) and birth date."""
    if birth_date is None:
        return []
    return list(
        Patron.objects.filter(
            first_name__iexact=first_name.strip(),
            last_name__iexact=last_name.strip(),
            birth_date=birth_date,
        ).select_related("home_library")
    )


def patron_search(query: str, *, limit: int = 50) -> QuerySet[Patron]:
    """Patrons by card number (exact, current or past card) or name (prefix)."""
    query = query.strip()
    qs = Patron.objects.select_related("category", "home_library")
    if not query:
        return qs.none()
    words = query.split()
    name_filter = Q()
    for word in words:
        name_filter &= Q(last_name__istartswith=word) | Q(first_name__istartswith=word)
    return (
        qs.filter(Q(card_number=query) | Q(cards__number=query) | name_filter)
        .distinct()
        .order_by("last_name", "first_name")[:limit]
    )
