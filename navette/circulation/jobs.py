"""Scheduled circulation jobs (idempotent)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import ngettext

from navette.circulation.models import Hold, HoldStatus
from navette.circulation.privacy import loans_anonymise
from navette.circulation.services import hold_expire
from navette.core import clock
from navette.core.actors import Actor


def expire_uncollected_holds(now: dt.datetime) -> str:
    """Expire holds left on the hold shelf past their last day; each copy passes to the next in queue."""
    actor = Actor.system("circulation.expire_holds")
    today = clock.today(now)
    expired = 0
    for hold in Hold.objects.filter(status=HoldStatus.READY, shelf_expires_on__lt=today).order_by(
        "pk"
    ):
        if hold_expire(hold=hold, actor=actor, now=now) is not None:
            expired += 1
    return ngettext("%(n)d réservation expirée", "%(n)d réservations expirées", expired) % {
        "n": expired
    }


def anonymise(now: dt.datetime) -> str:
    return f"{loans_anonymise(now=now)} prêts anonymisés"


JOBS = [
    ("circulation.expire_holds", expire_uncollected_holds),
    ("loans-anonymise", anonymise),
]
