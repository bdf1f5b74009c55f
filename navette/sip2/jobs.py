"""Scheduled jobs of the SIP2 app (run by ``navette jobs`` and ``navette serve``)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from navette.core import clock
from navette.core.mail import build_mail
from navette.network.models import Library
from navette.sip2.activity import kiosk_monitor
from navette.sip2.models import Kiosk


def kiosk_alerts_send(now: dt.datetime) -> str:
    """E-mail each library about its kiosks that the monitor flags: silent for 30 minutes
    during opening hours (once per silence: not again until the machine was seen since),
    or refusing far more than usual (once a day). Idempotent: a second run sends nothing."""
    today = clock.today(now)
    sent = 0
    libraries = list(Library.objects.filter(is_active=True).exclude(email=""))
    for row in kiosk_monitor(libraries, now):
        kiosk = row.kiosk
        silent = row.silent and (
            kiosk.silence_reported_at is None
            or (row.last_seen is not None and kiosk.silence_reported_at < row.last_seen)
        )
        jumped = row.rate_jumped and kiosk.refusals_reported_on != today
        if not (silent or jumped):
            continue
        # claim the alert first (conditional update): two runs at once send it once
        claimed = Kiosk.objects.filter(pk=kiosk.pk)
        if silent:
            claimed = claimed.filter(
                Q(silence_reported_at__isnull=True)
                | Q(silence_reported_at__lt=row.last_seen or now)
            )
        if jumped:
            claimed = claimed.exclude(refusals_reported_on=today)
        changes: dict[str, object] = {}
        if silent:
            changes["silence_reported_at"] = now
        if jumped:
            changes["refusals_reported_on"] = today
        if not claimed.update(**changes):
            continue
        context = {
            "kiosk": str(kiosk), "library": kiosk.library.name, "silent": silent,
            "jumped": jumped, "last_seen": row.last_seen,
            "rate": round(100 * (row.refusal_rate or 0)), "reasons": row.reasons,
        }  # fmt: skip
        build_mail("sip2/kiosk_alert", context, None, to=[kiosk.library.email]).send()
        sent += 1
    return f"alertes d'automate envoyées : {sent}"


JOBS = [("kiosk-alerts", kiosk_alerts_send)]
