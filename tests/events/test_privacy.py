"""The journal of event registrations forgets the patron on the registrations' schedule."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import ANONYMOUS_PATRON_LABEL, audit_record
from navette.core.jobs import run_jobs
from navette.core.models import AuditEvent

from .factories import NOW

pytestmark = pytest.mark.django_db


def test_registration_events_lose_the_patron_after_the_anonymisation_delay():
    """A patron's registration journalled 31 days ago loses its actor (30 days by
    default); one journalled yesterday keeps it; other actions wait for the loan
    schedule."""
    old, recent = NOW - dt.timedelta(days=31), NOW - dt.timedelta(days=1)
    for at in (old, recent):
        audit_record(actor=Actor.patron(7), action=AuditAction.REGISTRATION_CREATE, now=at)
    audit_record(actor=Actor.patron(7), action=AuditAction.HOLD_PLACE, now=old)
    run_jobs(NOW, only={"events_anonymise_registrations"})
    by_action = {(e.action, e.at): (e.actor_id, e.actor_label) for e in AuditEvent.objects.all()}
    assert by_action[("registration.create", old)] == (None, ANONYMOUS_PATRON_LABEL)
    assert by_action[("registration.create", recent)] == (7, "patron:7")
    assert by_action[("hold.place", old)] == (7, "patron:7")
