"""SIP2's one table from desk outcome codes to the kiosk's answer: the ok flag is the
outcome's, the screen message (AF) is worded here in the active language (the one the
machine asked for, or its profile's, else the network's), days and euros in its formats."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from navette.circulation.messages import (
    checkin_message,
    day,
    money,
    penalty_message,
    reason_message,
)
from navette.circulation.reasons import Reason
from navette.desk.outcomes import Code, Outcome

#: code -> the screen messages (AF, one field each)
TABLE: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    Code.LENT: lambda d: [_("Prêt enregistré : à rendre le %(day)s.") % {"day": day(d["due_on"])}],
    Code.RENEWED: lambda d: [_("Prolongé jusqu'au %(day)s.") % {"day": day(d["due_on"])}],
    Code.RETURNED: lambda d: [checkin_message(d["result"]), penalty_message(d["result"])],
    Code.ITEM_NOT_FOUND: lambda d: [reason_message(Reason.ITEM_NOT_FOUND, barcode=d["barcode"])],
    Code.NO_OPEN_LOAN: lambda d: [reason_message(Reason.LOAN_CLOSED)],
    Code.LOAN_NOT_FOUND: lambda d: [reason_message(Reason.LOAN_CLOSED)],
    Code.HOLD_PLACED: lambda d: [
        _("Réservation enregistrée, retrait à %(library)s.")
        % {"library": d["pickup_library"].short_name}
    ],
    Code.HOLD_CANCELLED: lambda d: [_("Réservation annulée.")],
    Code.PICKUP_CHANGED: lambda d: [
        _("Retrait à %(library)s.") % {"library": d["pickup_library"].short_name}
    ],
    Code.HOLD_NOT_ACTIVE: lambda d: [reason_message(Reason.HOLD_CLOSED)],
    Code.RECORD_NOT_FOUND: lambda d: [reason_message(Reason.ITEM_NOT_FOUND, barcode=d["barcode"])],
    Code.LIBRARY_NOT_FOUND: lambda d: [
        _("Bibliothèque de retrait inconnue : %(code)s.") % {"code": d["library_code"]}
    ],
    Code.PAID: lambda d: [
        _("Paiement de %(amount)s € enregistré ; reste dû : %(due)s €.")
        % {"amount": money(d["amount_cents"]), "due": money(d["due_cents"])}
    ],
    Code.CARD_BLOCKED: lambda d: [],
    Code.CARD_NOT_FOUND: lambda d: [_("Carte inconnue : adressez-vous à l'accueil.")],
    Code.LENT_MEANWHILE: lambda d: [
        _("Document prêté entre-temps à l'accueil : opération signalée au personnel.")
    ],
    Code.OFFLINE_RECORDED: lambda d: [_("Opération hors ligne enregistrée.")],
    Code.CARD_ENABLED: lambda d: [_("Carte réactivée.")] if d["lifted"] else [],
    Code.RENEWED_ALL: lambda d: [] if d["results"] else [_("Aucun prêt en cours.")],
}


def screen(outcome: Outcome) -> list[str]:
    """The AF messages of ``outcome`` (a refusal of the circulation rules: its reason)."""
    wording = TABLE.get(outcome.code)
    if wording is not None:
        return [m for m in wording({**outcome.data, "results": outcome.results}) if m]
    return [reason_message(Reason(outcome.code), **outcome.data)]


def screen_about(outcome: Outcome, barcode: str) -> list[str]:
    """``screen`` with the copy in front ("<barcode> : <reason>"), for a list of answers."""
    return [f"{barcode} : {message}" for message in screen(outcome)]
