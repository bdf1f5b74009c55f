"""E-mails to people who registered. Called after commit, with registration ids."""

from __future__ import annotations

import logging
import re
import unicodedata

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from navette.core.clock import local
from navette.core.links import link_for
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
    base = getattr(settings, "NAVETTE_PUBLIC_URL", "http://localhost:8000").rstrip("/")
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
                _("Bonjour %(name)s,") % {"name": mail_safe_name(registration.display_name)},
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


def send_guest_confirmation(event_id: int, name: str, email: str, link: str, seats: int) -> bool:
    """The mail that lets a guest confirm a registration they asked for (after commit).

    Its only free text is the guest's own name, through ``mail_safe_name``.
    """
    event = Event.objects.select_related("library").filter(pk=event_id).first()
    if event is None:
        return False
    with translation.override("fr"):
        when = date_format(
            local(event.starts_at), translation.pgettext("date format", "l j F Y à H:i")
        )
        where = event.library.name if event.library is not None else event.place_name
        subject = _("Confirmez votre inscription : %(t)s") % {"t": event.title}
        lines = [
            _("Bonjour %(name)s,") % {"name": mail_safe_name(name)},
            "",
            ngettext(
                "Une inscription pour %(n)s place a été demandée avec cette adresse :",
                "Une inscription pour %(n)s places a été demandée avec cette adresse :",
                seats,
            )
            % {"n": seats},
            "",
            event.title,
            f"{when} — {where}",
            "",
            _("Pour la confirmer, ouvrez ce lien dans les 24 heures :"),
            link,
            "",
            _(
                "Aucune place n'est réservée avant votre confirmation. Si vous n'avez rien "
                "demandé, ignorez ce message."
            ),
        ]
        send_mail(subject, "\n".join(lines), None, [email])
    return True
