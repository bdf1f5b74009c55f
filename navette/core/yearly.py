"""Counts kept per year, recounted until the year is closed: the shape the collection and
registered-patron rollups share (a state row per year, the count rows replaced at each
count, one count of a year at a time)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import transaction

#: a year's counts: (library id or the network's 0, dimension, key) -> n
Counts = dict[tuple[int, str, str], int]


def recount_year(
    *, state_model: Any, count_model: Any, count: Callable[[int], Counts], year: int,
    today: dt.date, final: bool,
) -> bool:  # fmt: skip
    """Count ``year`` with ``count`` into ``count_model`` (replacing the last count), as on
    ``today``; ``final``: the last count of a closed year. A year counted for good is left
    as it is. ``state_model`` has ``year``, ``counted_on`` and ``final``; ``count_model``
    has ``year``, ``library_id``, ``dimension``, ``key`` and ``n``. Returns whether the
    year was counted."""
    with transaction.atomic():
        state_model.objects.bulk_create(
            [state_model(year=year, counted_on=today)], ignore_conflicts=True
        )
        # one count of a year at a time: the others wait here, then count again
        state = state_model.objects.select_for_update().get(year=year)
        if state.final:
            return False
        counts = count(year)
        count_model.objects.filter(year=year).delete()
        count_model.objects.bulk_create(
            [count_model(year=year, library_id=library, dimension=dimension, key=key, n=n)
             for (library, dimension, key), n in counts.items()],
            batch_size=2000,
        )  # fmt: skip
        state.counted_on, state.final = today, final
        state.save(update_fields=["counted_on", "final"])
    return True
