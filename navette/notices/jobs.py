"""Scheduled jobs of the notices app (run by ``navette jobs`` and ``navette serve``)."""

from __future__ import annotations

import datetime as dt

from navette.notices.privacy import notices_anonymise
from navette.notices.services import notices_send


def send(now: dt.datetime) -> str:
    ready, loans = notices_send(now)
    return f"{ready} avis de réservation disponible, {loans} avis de prêt"


def anonymise(now: dt.datetime) -> str:
    return f"{notices_anonymise(now=now)} avis anonymisés"


JOBS = [("notices", send), ("notices-anonymise", anonymise)]
