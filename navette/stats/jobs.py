"""The statistics app's scheduled work (``navette jobs``)."""

from navette.stats.rollups import rollup_job

JOBS = [("stats-rollup", rollup_job)]
