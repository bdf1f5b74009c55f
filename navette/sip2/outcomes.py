"""SIP2's one table from desk outcome codes to the kiosk's answer: the ok flag is the
outcome's, the screen message (AF) is worded here in the active language (the network's:
kiosks send no language), days and euros in its formats."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from navette.circulation.messages import checkin_message, day, penalty_message, reason_message
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
}


def screen(outcome: Outcome) -> list[str]:
    """The AF messages of ``outcome`` (a refusal of the circulation rules: its reason)."""
    wording = TABLE.get(outcome.code)
    if wording is not None:
        return [m for m in wording(outcome.data) if m]
    return [reason_message(Reason(outcome.code), **outcome.data)]
