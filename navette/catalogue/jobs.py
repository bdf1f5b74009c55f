"""Scheduled jobs of the catalogue (run by ``navette jobs`` and ``navette serve``): the
duplicates' scan, and the collections counted for the annual report."""

from __future__ import annotations

import datetime as dt

from navette.catalogue.duplicates import duplicates_scan
from navette.catalogue.rollups import collections_job
from navette.core.actors import Actor


def duplicate_candidates(now: dt.datetime) -> str:
    """Pair again the records sharing keys for the duplicates' review list, when a key was
    written since the last scan (imports, edits, merges undone); otherwise nothing."""
    scan = duplicates_scan(actor=Actor.system("jobs"), now=now)
    if scan is None:
        return "doublons : aucune clé nouvelle"
    return f"doublons : {scan.pairs} paires en {scan.seconds:.1f} s"


JOBS = [
    ("duplicate-candidates", duplicate_candidates),
    ("catalogue-collections", collections_job),
]
