"""Scheduled jobs of the notices app (run by ``navette jobs`` and ``navette serve``)."""

from __future__ import annotations

import datetime as dt

from navette.notices.privacy import notices_anonymise
from navette.notices.services import notices_send


def anonymise(now: dt.datetime) -> str:
    return f"{notices_anonymise(now=now)} avis anonymisés"


JOBS = [("notices", notices_send), ("notices-anonymise", anonymise)]
