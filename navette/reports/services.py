"""Closing a statistics year: the year's report is final and its pseudonym key destroyed."""

from __future__ import annotations

import datetime as dt

from navette.core.actors import Actor
from navette.network.scope import scope_check
from navette.patrons.pseudonyms import pseudonym_key_destroy


def statistics_year_close(*, year: int, actor: Actor, now: dt.datetime) -> bool:
    """Close ``year`` (a year that is over): its borrower pseudonym key is destroyed, so the
    pseudonyms already counted can never be linked back to a patron (the counts stay). A
    network administrator's decision (``OutOfScope`` for anyone else); ``YearNotOver`` for
    the current or a future year. Audited. Returns whether a key was destroyed now."""
    scope_check(actor=actor, library_ids=[None], action="stats.year_close", now=now)
    return pseudonym_key_destroy(year=year, actor=actor, now=now)
