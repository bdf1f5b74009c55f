"""Scheduled privacy jobs: anonymise old loans, delete inactive patrons, forget
old login attempts. Each is idempotent."""

from __future__ import annotations

import datetime as dt

from navette.patrons.privacy import loans_anonymise, patrons_purge
from navette.patrons.services import login_attempts_purge


def anonymise(now: dt.datetime) -> str:
    return f"{loans_anonymise(now=now)} prêts anonymisés"


def purge(now: dt.datetime) -> str:
    return f"{patrons_purge(now=now)} lecteurs inactifs supprimés"


def forget_login_attempts(now: dt.datetime) -> str:
    return f"{login_attempts_purge(now=now)} tentatives de connexion oubliées"


JOBS = [
    ("patrons-anonymise", anonymise),
    ("patrons-purge", purge),
    ("patrons-login-attempts", forget_login_attempts),
]
