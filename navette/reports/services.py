"""Closing a statistics year: the year's report is final and its pseudonym key destroyed."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from navette.catalogue.rollups import collection_rollup
from navette.core import clock
from navette.core.actors import Actor
from navette.network.scope import scope_check
from navette.patrons.pseudonyms import pseudonym_key_destroy
from navette.patrons.rollups import registered_rollup


def statistics_year_close(*, year: int, actor: Actor, now: dt.datetime) -> bool:
    """Close ``year`` (a year that is over): its borrower pseudonym key is destroyed, so the
    pseudonyms already counted can never be linked back to a patron (the counts stay), and
    its registered patrons and collections are counted one last time (``RegisteredCount``,
    ``CollectionCount``: the patrons deleted and copies withdrawn afterwards still count).
    A network administrator's decision (``OutOfScope`` for anyone else); ``YearNotOver`` for
    the current or a future year. Audited. Returns whether a key was destroyed now."""
    scope_check(actor=actor, library_ids=[None], action="stats.year_close", now=now)
    with transaction.atomic():
        destroyed = pseudonym_key_destroy(year=year, actor=actor, now=now)
        registered_rollup(year, today=clock.today(now), final=True)
        collection_rollup(year, today=clock.today(now), final=True)
    return destroyed
