"""Scheduled jobs: delete inactive patrons, forget old login attempts, count the registered
patrons of the year for the statistics. Each is idempotent. (Old loans are anonymised by the circulation app's job, ``loans-anonymise``.)"""

from __future__ import annotations

import datetime as dt

from navette.patrons.privacy import patrons_purge
from navette.patrons.pseudonyms import pseudonym_keys_job
from navette.patrons.rollups import registered_job
from navette.patrons.services import login_attempts_purge


def purge(now: dt.datetime) -> str:
    return f"{patrons_purge(now=now)} lecteurs inactifs supprimés"


def forget_login_attempts(now: dt.datetime) -> str:
    return f"{login_attempts_purge(now=now)} tentatives de connexion oubliées"


JOBS = [
    ("pseudonym-keys", pseudonym_keys_job),
    ("patrons-purge", purge),
    ("patrons-login-attempts", forget_login_attempts),
    ("patrons-registered", registered_job),
]
