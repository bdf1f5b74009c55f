"""Scheduled jobs of the search index (run on every node: each has its own index)."""

from __future__ import annotations

import datetime as dt

from navette.search import updater
from navette.search.index import IndexBusy


def apply_outbox(now: dt.datetime) -> str:
    """Apply pending outbox rows (a safety net for the node's indexer and the after-commit
    trigger). When another process is writing the index (the node's indexer, a rebuild),
    that process applies them: nothing to do."""
    try:
        return f"{updater.process_outbox()} notice(s) réindexée(s)"
    except IndexBusy:
        return "index en cours d'écriture par un autre processus : rien à faire"


def prune_outbox(now: dt.datetime) -> str:
    return f"{updater.prune_outbox(now)} ligne(s) de la file d'indexation supprimée(s)"


JOBS = [("search-outbox", apply_outbox), ("search-outbox-prune", prune_outbox)]
