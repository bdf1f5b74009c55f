"""Scheduled jobs of the search index (run on every node: each has its own index)."""

from __future__ import annotations

import datetime as dt

from navette.search import updater


def apply_outbox(now: dt.datetime) -> str:
    """Apply pending outbox rows (a safety net for the after-commit trigger)."""
    return f"{updater.process_outbox()} notice(s) réindexée(s)"


def prune_outbox(now: dt.datetime) -> str:
    return f"{updater.prune_outbox(now)} ligne(s) de la file d'indexation supprimée(s)"


JOBS = [("search-outbox", apply_outbox), ("search-outbox-prune", prune_outbox)]
