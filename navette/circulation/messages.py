"""The words of circulation: refusal messages and what the desk says of a return, in the
reader's language, with dates and euros in that language's formats (Django's formats).

Policies and services return codes and data (``Reason`` with dates and amounts in cents,
``CheckinResult`` with a ``CheckinKind``); interfaces word them here, through their one
table of outcome codes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from navette.circulation.reasons import Reason

if TYPE_CHECKING:
    from navette.circulation.policies import Decision
    from navette.circulation.services.routing import CheckinResult


def day(value: dt.date) -> str:
    """A day in the active language's short format (25/03/2025, 03/25/2025)."""
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def money(cents: int) -> str:
    """An amount of cents in euros, in the active language's format (4,50 / 4.50), no sign."""
    return formats.number_format(Decimal(int(cents)) / 100, 2)


def _worded(context: dict[str, Any]) -> dict[str, Any]:
    """Context data as words: days in the short format, ``*_cents`` amounts in euros under
    their name without the suffix."""
    out: dict[str, Any] = {}
    for key, value in context.items():
        if key.endswith("_cents"):
            out[key[: -len("_cents")]] = money(value)
        elif isinstance(value, dt.date):
            out[key] = day(value)
        else:
            out[key] = value
    return out


def reason_message(reason: Reason, **context: Any) -> str:
    """The message for ``reason``, filled with ``context`` (library, day, limit, amounts)."""
    messages = {
        Reason.OK: _("Autorisé."),
        Reason.CARD_EXPIRED: _("Carte expirée le {expired_on} : renouveler l'adhésion."),
        Reason.PATRON_BLOCKED: _("Carte bloquée : {block}."),
        Reason.PATRON_SUSPENDED: _("Droit d'emprunt suspendu jusqu'au {until} (retards)."),
        Reason.FINES_DUE: _("Amendes impayées : {amount} € (prêt bloqué à partir de {limit} €)."),
        Reason.ITEM_NOT_CIRCULATING: _("Document exclu du prêt (consultation sur place)."),
        Reason.ITEM_ON_LOAN: _("Document déjà en prêt : il doit d'abord être rendu."),
        Reason.ITEM_ALREADY_LENT_TO_PATRON: _("Document déjà en prêt à ce lecteur."),
        Reason.ITEM_HELD_FOR_OTHER: _(
            "Document réservé pour un autre lecteur (retrait à {library})."
        ),
        Reason.ITEM_IN_TRANSIT: _("Document en transit vers {library} : le réceptionner d'abord."),
        Reason.ITEM_UNAVAILABLE: _("Document indisponible ({status})."),
        Reason.MAX_LOANS: _("Nombre maximal de prêts atteint ({limit} documents)."),
        Reason.MAX_LOANS_TYPE: _(
            "Nombre maximal de prêts atteint pour ce type de document ({limit} « {doc_type} »)."
        ),
        Reason.LOAN_CLOSED: _("Ce prêt est terminé."),
        Reason.MAX_RENEWALS: _("Prolongation refusée : déjà prolongé {limit} fois."),
        Reason.HOLD_WAITING: _("Prolongation refusée : un autre lecteur a réservé ce document."),
        Reason.HOLDS_NOT_ALLOWED: _("Réservation non permise pour ce document et cette carte."),
        Reason.MAX_HOLDS: _("Nombre maximal de réservations atteint ({limit})."),
        Reason.ALREADY_HELD: _("Ce titre est déjà réservé par ce lecteur."),
        Reason.ALREADY_ON_LOAN: _("Ce lecteur a déjà ce document en prêt."),
        Reason.NO_HOLDABLE_COPY: _("Aucun exemplaire réservable pour ce titre."),
        Reason.HOLD_CLOSED: _("Cette réservation est close."),
        Reason.HOLD_TRAPPED: _(
            "Un exemplaire est déjà mis de côté pour cette réservation : "
            "elle ne peut plus être suspendue."
        ),
        Reason.BAD_SUSPENSION: _("Dates de suspension invalides : la fin précède le début."),
        Reason.PICKUP_INACTIVE: _(
            "Bibliothèque de retrait fermée au public : en choisir une autre."
        ),
        Reason.NOT_IN_TRANSIT: _("Ce document n'est pas dans la navette."),
        Reason.CRATE_EMPTY: _(
            "Aucun document de cette caisse n'est encore à envoyer : rien n'a été enregistré."
        ),
        Reason.ITEM_NOT_FOUND: _("Code-barres inconnu : {barcode}."),
        Reason.NO_FINES_DUE: _("Aucune amende à régler pour ce lecteur."),
        Reason.PAYMENT_INVALID: _("Montant invalide : {amount} (un montant positif en euros)."),
        Reason.PAYMENT_EXCEEDS_DUE: _(
            "Le montant ({amount} €) dépasse ce qui est dû ({due} €) : rien n'a été enregistré."
        ),
    }
    template = messages[reason]
    try:
        return template.format(**_worded(context))
    except (KeyError, IndexError):
        return template


def decision_message(decision: Decision) -> str:
    """The message of a policy's refusal."""
    return reason_message(decision.reason, **dict(decision.context or {}))


def checkin_message(result: CheckinResult) -> str:
    """What to do with a returned or received copy (the desk's instruction)."""
    kind = str(result.kind)
    where = result.destination.short_name if result.destination else ""
    patron = result.hold_patron
    who = patron.full_name if patron else _("lecteur anonymisé")
    if kind == "hold_shelf":
        card = patron.card_number if patron else ""
        return _("étagère des réservations : pour %(who)s (%(card)s)") % {"who": who, "card": card}
    if kind == "already_on_hold_shelf":
        return _("déjà mis de côté : étagère des réservations de %(library)s pour %(who)s") % {
            "library": where, "who": who,
        }  # fmt: skip
    if kind == "transit_home":
        return _("navette vers %(library)s (retour à la bibliothèque propriétaire)") % {
            "library": where
        }
    if kind == "transit_for_hold":
        return _("navette vers %(library)s") % {"library": where}
    return _("à ranger en rayon")


def penalty_message(result: CheckinResult) -> str:
    """What a late return costs the patron; empty when on time."""
    days = result.days_late
    if result.suspended_until is not None:
        return ngettext(
            "Retour en retard de %(days)d jour : prêt suspendu jusqu'au %(until)s.",
            "Retour en retard de %(days)d jours : prêt suspendu jusqu'au %(until)s.",
            days,
        ) % {"days": days, "until": day(result.suspended_until)}
    if result.fine_cents:
        return ngettext(
            "Retour en retard de %(days)d jour : amende de %(amount)s €.",
            "Retour en retard de %(days)d jours : amende de %(amount)s €.",
            days,
        ) % {"days": days, "amount": money(result.fine_cents)}
    if days:
        return ngettext(
            "Retour en retard de %(days)d jour.", "Retour en retard de %(days)d jours.", days
        ) % {"days": days}
    return ""


def renewed_message(due_on: dt.date) -> str:
    """A renewal granted."""
    return _("Prolongé jusqu'au %(day)s.") % {"day": day(due_on)}
