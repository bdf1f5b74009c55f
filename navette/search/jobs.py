"""Scheduled jobs of the search index (run on every node: each has its own index)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import ngettext

from navette.search import updater
from navette.search.index import IndexBusy


def apply_outbox(now: dt.datetime) -> str:
    """Apply pending outbox rows (a safety net for the node's indexer and the after-commit
    trigger). When another process is writing the index (the node's indexer, a rebuild),
    that process applies them: nothing to do."""
    try:
        n = updater.process_outbox()
        return ngettext("%(n)d notice réindexée", "%(n)d notices réindexées", n) % {"n": n}
    except IndexBusy:
        return "index en cours d'écriture par un autre processus : rien à faire"


def prune_outbox(now: dt.datetime) -> str:
    n = updater.prune_outbox(now)
    return ngettext(
        "%(n)d ligne de la file d'indexation supprimée",
        "%(n)d lignes de la file d'indexation supprimées",
        n,
    ) % {"n": n}


JOBS = [("search-outbox", apply_outbox), ("search-outbox-prune", prune_outbox)]
