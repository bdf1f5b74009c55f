"""Scheduled privacy jobs of the online media library (idempotent)."""

from __future__ import annotations

import datetime as dt

from navette.digital.privacy import sso_forget, token_entries_anonymise


def anonymise_token_entries(now: dt.datetime) -> str:
    return f"{token_entries_anonymise(now=now)} mouvements de jetons anonymisés"


def forget_sign_ins(now: dt.datetime) -> str:
    return f"{sso_forget(now=now)} tickets et codes de connexion expirés supprimés"


JOBS = [
    ("digital-anonymise", anonymise_token_entries),
    ("digital-forget-sign-ins", forget_sign_ins),
]
