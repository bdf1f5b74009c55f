"""What the agenda holds about a patron, for the patron's data export, and the journal
of registrations forgotten on the registrations' schedule (registrations themselves lose
their patron in ``services.registrations_anonymise``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from navette.core.actions import AuditAction
from navette.core.audit import audit_anonymise
from navette.core.privacy import PatronData, Row
from navette.events.models import Registration

#: the journal's actions done by or for a registered patron
REGISTRATION_ACTIONS = (AuditAction.REGISTRATION_CREATE, AuditAction.REGISTRATION_CANCEL)


def registrations_journal_anonymise(*, now: dt.datetime, after_days: int) -> int:
    """Strip patrons from the journal's registration events older than ``after_days``
    days (the registrations' own delay). Idempotent; returns how many events changed."""
    return audit_anonymise(before=now - dt.timedelta(days=after_days),
                           actions=REGISTRATION_ACTIONS)  # fmt: skip


def _registrations(patron: Any) -> list[Row]:
    return [
        {"evenement": r.event.title, "le": r.event.starts_at,
         "bibliotheque": r.event.library.name if r.event.library else "",
         "places": r.seats, "etat": r.get_status_display(), "inscrit_le": r.created_at,
         "annulee_le": r.cancelled_at, "present": r.attended}
        for r in Registration.objects.filter(patron=patron)
        .select_related("event__library").order_by("-created_at")
    ]  # fmt: skip


PATRON_DATA = [PatronData("inscriptions", [Registration], _registrations)]
