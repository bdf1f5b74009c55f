"""E-mails to people who registered. Called after commit, with registration ids."""

from __future__ import annotations

import logging
import re
import unicodedata
from enum import StrEnum

from django.conf import settings

from navette.core.links import link_for
from navette.core.mail import build_mail
from navette.events.models import Event, Registration
from navette.events.tokens import registration_token

log = logging.getLogger("navette.events.mail")

#: what a name typed by a guest may show in a mail: letters of any script, spaces,
#: apostrophes and hyphens (no digits, dots, slashes, @: no link, address or message)
_NAME_KEEP = re.compile(r"[^\w' \-’]|[\d_]")
NAME_LENGTH_IN_MAILS = 60


def mail_safe_name(name: str) -> str:
    """A name typed on the portal as a mail may show it: nothing but letters, spaces,
    apostrophes and hyphens, 60 characters at most. A stranger's registration must not
    carry a sentence, a link or an address of the stranger's choosing to someone's inbox."""
    kept = _NAME_KEEP.sub(" ", unicodedata.normalize("NFKC", name))
    return " ".join(kept.split())[:NAME_LENGTH_IN_MAILS].strip()


def public_url(path: str) -> str:
    """An absolute link for e-mails (``NAVETTE_PUBLIC_URL``, default localhost)."""
    base = settings.NAVETTE_PUBLIC_URL.rstrip("/")
    return base + path


class RegistrationMail(StrEnum):
    """What a registration's e-mail tells (the ``kind`` its template branches on)."""

    CONFIRMED = "confirmed"
    WAITING = "waiting"
    PROMOTED = "promoted"
    CANCELLED = "cancelled"
    EVENT_CANCELLED = "event_cancelled"


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
        if kind in (
            RegistrationMail.CONFIRMED,
            RegistrationMail.WAITING,
            RegistrationMail.PROMOTED,
        ):
            token = registration_token(registration)
            cancel_link = public_url(link_for("registration_cancel", token))
        context = {
            "kind": str(kind),
            "registration": registration,
            "name": mail_safe_name(registration.display_name),
            "event": event,
            "event_link": public_url(link_for("event", event.pk)),
            "cancel_link": cancel_link,
        }
        language = registration.patron.preferred_language if registration.patron else None
        build_mail("events/registration", context, language, to=[to]).send()
        sent += 1
    return sent


def send_guest_confirmation(event_id: int, name: str, email: str, link: str, seats: int) -> bool:
    """The mail that lets a guest confirm a registration they asked for (after commit),
    in the site's language (a guest's is not known).

    Its only free text is the guest's own name, through ``mail_safe_name``.
    """
    event = Event.objects.select_related("library").filter(pk=event_id).first()
    if event is None:
        return False
    context = {"name": mail_safe_name(name), "event": event, "link": link, "seats": seats}
    build_mail("events/guest_confirm", context, None, to=[email]).send()
    return True
