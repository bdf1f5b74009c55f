"""The staff pages' one table from desk outcome codes to what the librarian reads: a message
in the request's language, days and euros in its formats, success or error. A refusal of
access (``OutOfScope``) is not here: it is a ``PermissionDenied``, answered 403."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from navette.circulation.messages import checkin_message, day, money, reason_message
from navette.circulation.policies import Decision
from navette.circulation.reasons import Reason
from navette.core.errors import worded
from navette.desk.outcomes import Code, Outcome

Wording = Callable[[dict[str, Any]], str]

#: code -> sentence (refusals of the circulation rules are worded by ``reason_message``)
TABLE: dict[str, Wording] = {
    Code.LENT: lambda d: (
        _("« %(title)s » prêté à %(name)s, à rendre le %(day)s.")
        % {"title": d["title"], "name": d["patron"].full_name, "day": day(d["due_on"])}
    ),
    Code.RETURNED: lambda d: (
        _("« %(title)s » rendu par %(name)s : %(what)s.")
        % {
            "title": d["title"],
            "name": d["borrower"].full_name,
            "what": checkin_message(d["result"]),
        }  # fmt: skip
        if d.get("borrower") is not None
        else _("« %(title)s » : %(what)s.")
        % {"title": d["title"], "what": checkin_message(d["result"])}
    ),
    Code.RECEIVED: lambda d: (
        _("« %(title)s » (%(barcode)s) reçu : %(what)s.")
        % {"title": d["title"], "barcode": d["barcode"], "what": checkin_message(d["result"])}
    ),
    Code.CRATE_SENT: lambda d: (
        ngettext(
            "Caisse pour %(library)s partie avec %(n)d document.",
            "Caisse pour %(library)s partie avec %(n)d documents.",
            d["count"],
        )
        % {"library": d["to_library"], "n": d["count"]}
    ),
    Code.PREFERENCES_SAVED: lambda d: _("Préférences enregistrées."),
    Code.LIBRARY_NOT_FOUND: lambda d: (
        _("Bibliothèque inconnue : %(code)s.") % {"code": d["library_code"]}
    ),
    Code.RENEWED: lambda d: (
        _("« %(title)s » prolongé jusqu'au %(day)s.")
        % {"title": d["title"], "day": day(d["due_on"])}
    ),
    Code.HOLD_PLACED: lambda d: (
        _("Réservé pour %(name)s, à retirer à %(library)s.")
        % {"name": d["patron"].full_name, "library": d["pickup_library"].commune}
    ),
    Code.HOLD_CANCELLED: lambda d: (
        _("Réservation de « %(title)s » annulée pour %(name)s.")
        % {"title": d["title"], "name": d["patron"].full_name}
    ),
    Code.PAID: lambda d: (
        _("Paiement de %(amount)s € enregistré ; reste dû : %(due)s €.")
        % {"amount": money(d["amount_cents"]), "due": money(d["due_cents"])}
    ),
    Code.WAIVED: lambda d: (
        _("Remise de %(amount)s € enregistrée ; reste dû : %(due)s €.")
        % {"amount": money(d["amount_cents"]), "due": money(d["due_cents"])}
    ),
    Code.TRANSIT_LOST: lambda d: (
        _("%(barcode)s déclaré perdu en transit.") % {"barcode": d["barcode"]}
    ),
    Code.COPY_UPDATED: lambda d: _("Exemplaire %(b)s modifié.") % {"b": d["barcode"]},
    Code.COPY_WITHDRAWN: lambda d: _("Exemplaire %(b)s retiré.") % {"b": d["barcode"]},
    Code.BATCH_APPLIED: lambda d: " ".join(
        [
            ngettext(
                "Lot appliqué : %(n)d modifié.", "Lot appliqué : %(n)d modifiés.", d["changed"]
            )
            % {"n": d["changed"]},
            *(
                [ngettext("%(n)d refusé.", "%(n)d refusés.", d["refused"]) % {"n": d["refused"]}]
                if d["refused"]
                else []
            ),
        ]
    ),
    Code.BATCH_UNDONE: lambda d: (
        ngettext(
            "Lot annulé : %(n)d rétabli comme avant.",
            "Lot annulé : %(n)d rétablis comme avant.",
            d["restored"],
        )
        % {"n": d["restored"]}
    ),
    Code.RECORDS_MERGED: lambda d: (
        ngettext(
            "Notices fusionnées dans « %(title)s » ; %(n)d exemplaire déplacé.",
            "Notices fusionnées dans « %(title)s » ; %(n)d exemplaires déplacés.",
            d["copies"],
        )
        % {"title": d["title"], "n": d["copies"]}
    ),
    Code.MERGE_UNDONE: lambda d: (
        _("Fusion annulée : la notice « %(title)s » est rétablie.") % {"title": d["title"]}
    ),
    Code.RECORDS_DISTINCT: lambda d: _("Ces deux notices ne seront plus proposées comme doublons."),
    Code.DUPLICATES_SCANNED: lambda d: (
        ngettext(
            "Liste des doublons recalculée : %(n)d paire de notices.",
            "Liste des doublons recalculée : %(n)d paires de notices.",
            d["pairs"],
        )
        % {"n": d["pairs"]}
    ),
    # an undo the circulation's holds refuse (``navette.circulation.record_merge``)
    "hold_on_kept_copy": lambda d: _(
        "La fusion ne peut plus être annulée : une réservation déplacée attend désormais un "
        "exemplaire de la notice conservée."
    ),
    "copy_held_for_kept": lambda d: _(
        "La fusion ne peut plus être annulée : un exemplaire déplacé est demandé par une "
        "réservation de la notice conservée."
    ),
    "hold_moved": lambda d: _(
        "La fusion ne peut plus être annulée : une réservation déplacée a changé de notice."
    ),
    "hold_changed": lambda d: _(
        "La fusion ne peut plus être annulée : une réservation annulée par la fusion ne peut "
        "pas être rétablie (le lecteur en a une autre)."
    ),
    Code.PIN_SET: lambda d: (
        _("Code enregistré : %(pin)s. Remettez-le au lecteur ; il ne sera plus affiché.")
        % {"pin": d["pin"]}
    ),
    Code.PATRON_REGISTERED: lambda d: (
        _(
            "Inscription de %(name)s enregistrée, carte n° %(card)s. "
            "Donnez-lui maintenant son premier code."
        )
        % {"name": d["name"], "card": d["card"]}
    ),
    Code.MEMBERSHIP_RENEWED: lambda d: (
        _("Adhésion renouvelée jusqu'au %(day)s.") % {"day": day(d["until"])}
    ),
    Code.CARD_REPLACED: lambda d: (
        _("Nouvelle carte n° %(card)s : l'ancienne ne fonctionne plus, l'historique est conservé.")
        % {"card": d["card"]}
    ),
    Code.CARD_NOT_FOUND: lambda d: _("Carte inconnue : %(card)s.") % {"card": d["card"]},
    Code.ITEM_NOT_FOUND: lambda d: (
        _("Code-barres inconnu : %(barcode)s.") % {"barcode": d["barcode"]}
    ),
    Code.LOAN_NOT_FOUND: lambda d: _("Ce prêt n'est plus en cours."),
    Code.NO_OPEN_LOAN: lambda d: _("Ce prêt n'est plus en cours."),
    Code.MISSING_LOAN: lambda d: _("Ce prêt n'est plus en cours."),
    Code.HOLD_NOT_ACTIVE: lambda d: _("Cette réservation n'est plus active."),
    Code.TRANSIT_CLOSED: lambda d: _("Ce transit est déjà clos."),
    Code.WAIVER_NEEDS_REASON: lambda d: _("Une remise doit être motivée."),
}

#: refusals said with what they concern in front ("« <title> » (<barcode>) : <reason>")
_ABOUT = ("barcode", "title")


def _concerns(data: dict[str, Any]) -> str:
    """What a refusal is about: the title in quotes, with the barcode when known."""
    title, barcode = data.get("title"), data.get("barcode")
    if title and barcode:
        return _("« %(title)s » (%(barcode)s)") % {"title": title, "barcode": barcode}
    if title:
        return _("« %(title)s »") % {"title": title}
    return str(barcode or "")


def text(outcome: Outcome, *, about: bool = True) -> str:
    """The sentence for ``outcome`` in the active language; ``about=False``: a refusal without
    the barcode or title it concerns in front (a line already headed by it)."""
    data = outcome.data
    wording = TABLE.get(outcome.code)
    if wording is not None:
        return wording(data)
    if outcome.code in Reason.__members__.values():
        said = reason_message(Reason(outcome.code), **data)
        concerns = _concerns(data) if about else None
        return f"{concerns} : {said}" if concerns else said
    # a catalogue or patron refusal: worded by its app's table (``<app>/messages.py``)
    return worded(outcome.code, data) or outcome.code


#: why a loan cannot be renewed, said in a few words beside it (where the button would be)
_RENEWAL_REASONS: dict[Reason, Wording] = {
    Reason.MAX_RENEWALS: lambda d: _("limite de prolongations atteinte"),
    Reason.HOLD_WAITING: lambda d: _("réservé par un autre lecteur"),
    Reason.LOAN_CLOSED: lambda d: _("prêt terminé"),
}


def renewal_reason(decision: Decision) -> str:
    """Why a loan cannot be renewed, in a few words; empty when it can."""
    if decision.allowed:
        return ""
    context = dict(decision.context or {})
    short = _RENEWAL_REASONS.get(decision.reason)
    return short(context) if short else reason_message(decision.reason, **context)


def say(request: HttpRequest, outcome: Outcome) -> None:
    """Tell the librarian ``outcome`` (and each part of a batch) as a page message."""
    for one in outcome.results or (outcome,):
        (messages.success if one.ok else messages.error)(request, text(one))
