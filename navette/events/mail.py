"""E-mails to people who registered. Called after commit, with registration ids."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from navette.core.clock import local
from navette.core.links import link_for
from navette.events.models import Registration
from navette.events.tokens import registration_token

log = logging.getLogger("navette.events.mail")


def public_url(path: str) -> str:
    """An absolute link for e-mails (``NAVETTE_PUBLIC_URL``, default localhost)."""
    base = settings.NAVETTE_PUBLIC_URL.rstrip("/")
    return base + path


def _subject_and_intro(kind: str, registration: Registration) -> tuple[str, str]:
    title = registration.event.title
    if kind == "confirmed":
        return (
            _("Inscription confirmée : %(t)s") % {"t": title},
            _("Votre inscription est confirmée (%(n)s place(s)).") % {"n": registration.seats},
        )
    if kind == "waiting":
        return (
            _("Liste d'attente : %(t)s") % {"t": title},
            _(
                "L'événement est complet : vous êtes sur la liste d'attente. Nous vous écrirons si une place se libère."
            ),
        )
    if kind == "promoted":
        return (
            _("Une place s'est libérée : %(t)s") % {"t": title},
            _(
                "Bonne nouvelle : une place s'est libérée, votre inscription est confirmée (%(n)s place(s))."
            )
            % {"n": registration.seats},
        )
    if kind == "event_cancelled":
        return (
            _("Événement annulé : %(t)s") % {"t": title},
            _("Nous sommes désolés : cet événement est annulé."),
        )
    return (
        _("Inscription annulée : %(t)s") % {"t": title},
        _("Votre inscription est annulée."),
    )


def send_registration_mails(kind: str, registration_ids: list[int]) -> int:
    """Send one e-mail of ``kind`` per registration; returns how many were sent.

    A registration without e-mail address (patron without one) is skipped.
    """
    sent = 0
    registrations = Registration.objects.select_related("event", "event__library", "patron").filter(
        pk__in=registration_ids
    )
    with translation.override("fr"):
        for registration in registrations:
            to = registration.email
            if not to:
                continue
            event = registration.event
            subject, intro = _subject_and_intro(kind, registration)
            when = date_format(
                local(event.starts_at), translation.pgettext("date format", "l j F Y à H:i")
            )
            where = event.library.name if event.library is not None else event.place_name
            lines = [
                _("Bonjour %(name)s,") % {"name": registration.display_name},
                "",
                intro,
                "",
                f"{event.title}",
                f"{when} — {where}",
                public_url(link_for("event", event.pk)),
            ]
            if kind in ("confirmed", "waiting", "promoted"):
                link = public_url(link_for("registration_cancel", registration_token(registration)))
                lines += ["", _("Pour annuler votre inscription : %(link)s") % {"link": link}]
            send_mail(subject, "\n".join(lines), None, [to])
            sent += 1
    return sent
