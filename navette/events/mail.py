"""E-mails to people who registered. Called after commit, with registration ids."""

from __future__ import annotations

import logging

from django.conf import settings

from navette.core.links import link_for
from navette.core.mail import build_mail
from navette.events.models import Registration
from navette.events.tokens import registration_token

log = logging.getLogger("navette.events.mail")


def public_url(path: str) -> str:
    """An absolute link for e-mails (``NAVETTE_PUBLIC_URL``, default localhost)."""
    base = settings.NAVETTE_PUBLIC_URL.rstrip("/")
    return base + path


def send_registration_mails(kind: str, registration_ids: list[int]) -> int:
    """Send one e-mail of ``kind`` (confirmed, waiting, promoted, cancelled,
    event_cancelled) per registration, in the patron's language (the site's for a guest);
    returns how many were sent. A registration without e-mail address is skipped."""
    sent = 0
    registrations = Registration.objects.select_related("event", "event__library", "patron").filter(
        pk__in=registration_ids
    )
    for registration in registrations:
        to = registration.email
        if not to:
            continue
        event = registration.event
        cancel_link = ""
        if kind in ("confirmed", "waiting", "promoted"):
            token = registration_token(registration)
            cancel_link = public_url(link_for("registration_cancel", token))
        context = {
            "kind": kind,
            "registration": registration,
            "event": event,
            "event_link": public_url(link_for("event", event.pk)),
            "cancel_link": cancel_link,
        }
        language = registration.patron.preferred_language if registration.patron else None
        build_mail("events/registration", context, language, to=[to]).send()
        sent += 1
    return sent
