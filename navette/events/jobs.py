"""Scheduled job of the agenda: anonymise registrations after the event."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import ngettext

from navette.events.models import anonymise_after_days
from navette.events.privacy import registrations_journal_anonymise
from navette.events.services import registrations_anonymise


def anonymise_registrations(now: dt.datetime) -> str:
    days = anonymise_after_days()
    count = registrations_anonymise(now=now, after_days=days)
    registrations_journal_anonymise(now=now, after_days=days)
    return ngettext(
        "%(n)d inscription anonymisée (%(days)d jours après l'événement)",
        "%(n)d inscriptions anonymisées (%(days)d jours après l'événement)",
        count,
    ) % {"n": count, "days": days}


JOBS = [("events_anonymise_registrations", anonymise_registrations)]
