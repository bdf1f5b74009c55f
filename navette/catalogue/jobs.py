"""Scheduled jobs of the catalogue (run by ``navette jobs`` and ``navette serve``): the
duplicates' scan, the collections counted for the annual report, and the member
libraries' catalogues harvested when due."""

from __future__ import annotations

import datetime as dt

from navette.catalogue.duplicates import duplicates_scan
from navette.catalogue.harvest import HarvestReport, harvest_due
from navette.catalogue.rollups import collections_job
from navette.core.actors import Actor


def duplicate_candidates(now: dt.datetime) -> str:
    """Pair again the records sharing keys for the duplicates' review list, when a key was
    written since the last scan (imports, edits, merges undone); otherwise nothing."""
    scan = duplicates_scan(actor=Actor.system("jobs"), now=now)
    if scan is None:
        return "doublons : aucune clé nouvelle"
    return f"doublons : {scan.pairs} paires en {scan.seconds:.1f} s"


def harvest_members(now: dt.datetime) -> str:
    """Harvest every member catalogue whose harvest is due (``every_minutes``)."""
    done = harvest_due(now)
    if not done:
        return "aucun catalogue membre à moissonner"
    parts = []
    for source, outcome in done:
        if isinstance(outcome, HarvestReport):
            c = outcome
            parts.append(f"{source.name} : +{c.created} ~{c.updated} -{c.deleted} !{c.rejected}")
        else:
            parts.append(f"{source.name} : échec ({outcome.code})")
    return " ; ".join(parts)


JOBS = [
    ("duplicate-candidates", duplicate_candidates),
    ("catalogue-collections", collections_job),
    ("member-harvest", harvest_members),
]
