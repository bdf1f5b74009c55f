"""The portal's one table from desk outcome codes to what the patron reads: a message in
the patron's language, days in its format, success or error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from navette.circulation.messages import day, reason_message, renewed_message
from navette.circulation.reasons import Reason
from navette.core.errors import worded
from navette.desk.outcomes import Code, Outcome

#: code -> sentence; a refusal of the circulation rules is worded by ``reason_message``
TABLE: dict[str, Callable[[dict[str, Any]], str]] = {
    Code.RENEWED: lambda d: (
        _("« %(title)s » est prolongé jusqu'au %(day)s.")
        % {"title": d["title"], "day": day(d["due_on"])}
    ),
    Code.HOLD_PLACED: lambda d: (
        _(
            "« %(title)s » est réservé, à retirer à %(library)s. Nous vous préviendrons quand il "
            "sera disponible."
        )
        % {"title": d["hold"].record.title, "library": d["pickup_library"].name}
    ),  # fmt: skip
    Code.HOLD_CANCELLED: lambda d: (
        _("Réservation de « %(title)s » annulée.") % {"title": d["title"]}
    ),
    Code.HOLD_NOT_ACTIVE: lambda d: reason_message(Reason.HOLD_CLOSED),
    Code.LOAN_NOT_FOUND: lambda d: reason_message(Reason.LOAN_CLOSED),
    Code.PICKUP_CHANGED: lambda d: (
        _("« %(title)s » sera à retirer à %(library)s.")
        % {"title": d["hold"].record.title, "library": d["pickup_library"].name}
    ),
}


def _reason(outcome: Outcome) -> str:
    if outcome.code in Reason.__members__.values():
        return reason_message(Reason(outcome.code), **outcome.data)
    # a refusal of another app (patrons, catalogue): worded by its ``messages`` table
    return worded(outcome.code, outcome.data) or outcome.code


def refusal(outcome: Outcome) -> str:
    """A refusal said alone, without what it concerns (a form's error under its title)."""
    wording = TABLE.get(outcome.code)
    return wording(outcome.data) if wording is not None else _reason(outcome)


def text(outcome: Outcome) -> str:
    """The sentence for one outcome in the active language."""
    wording = TABLE.get(outcome.code)
    if wording is not None:
        return wording(outcome.data)
    if not outcome.data.get("title"):
        return _reason(outcome)
    # a renewal refused: said with its title
    return _("« %(title)s » n'a pas été prolongé : %(reason)s") % {
        "title": outcome.data["title"], "reason": _reason(outcome),
    }  # fmt: skip


def say(request: HttpRequest, outcome: Outcome) -> None:
    """Tell the patron ``outcome`` as a page message; a "renew all" says each loan's."""
    if outcome.code == Code.RENEWED_ALL:
        if not outcome.results:
            messages.info(request, _("Vous n'avez aucun prêt en cours."))
        for one in outcome.results:
            said = renewed_message(one.data["due_on"]) if one.ok else _reason(one)
            (messages.success if one.ok else messages.error)(
                request,
                _("« %(title)s » : %(outcome)s") % {"title": one.data["title"], "outcome": said},
            )
        return
    (messages.success if outcome.ok else messages.error)(request, text(outcome))
