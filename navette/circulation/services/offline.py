"""Offline transactions: loans and returns made while a machine or a desk was off the
network, replayed as the desk would have made them at their time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from navette.catalogue.models import Item
from navette.circulation.errors import CirculationError
from navette.circulation.models import (
    Loan,
    OfflineKind,
    OfflineOutcome,
    OfflineTransaction,
)
from navette.circulation.services.loans import loan_checkin, loan_checkout
from navette.core.actors import Actor
from navette.network.models import Library
from navette.patrons.models import Patron

#: codes of the outcomes found before any loan service (the others are circulation reasons)
ITEM_NOT_FOUND = "item_not_found"
CARD_NOT_FOUND = "card_not_found"
LENT_MEANWHILE = "lent_meanwhile"
ALREADY_RECORDED = "already_recorded"
NOT_ON_LOAN = "not_on_loan"
RETURNED_BEFORE_LATER_LOAN = "returned_before_later_loan"


@dataclass(frozen=True)
class OfflineEntry:
    """One transaction as the machine or the desk recorded it (identifiers normalised)."""

    kind: str
    barcode: str
    at: dt.datetime
    card: str = ""


def offline_apply(
    *, entry: OfflineEntry, library: Library, actor: Actor, now: dt.datetime, source: str
) -> OfflineTransaction:
    """Replay one offline transaction as at ``entry.at``, and log it (one transaction).

    - A loan: made with ``now = entry.at`` (its due date counts from then). A copy still
      on an older loan was returned without being scanned: that loan ends at ``entry.at``
      first. A copy lent since (at a desk) is a conflict (``lent_meanwhile``): the copy
      cannot be in two hands, staff settle it. The same loan replayed twice is skipped.
      A refusal of the rules (card blocked, limits) is a conflict with its reason.
    - A return: ends the open loan at ``entry.at``, unless that loan began after it (the
      return was of an earlier loan, already closed): skipped, as is a copy not on loan.
    """
    code, outcome, loan = "", OfflineOutcome.APPLIED, None
    with transaction.atomic():
        item = Item.objects.filter(barcode=entry.barcode).first()
        patron = (
            Patron.objects.filter(card_number=entry.card).first()
            if entry.kind == OfflineKind.CHECKOUT
            else None
        )
        current = Loan.objects.open().filter(item__barcode=entry.barcode).first()
        if item is None:
            code, outcome = ITEM_NOT_FOUND, OfflineOutcome.CONFLICT
        elif entry.kind == OfflineKind.CHECKIN:
            if current is None:
                code, outcome = NOT_ON_LOAN, OfflineOutcome.SKIPPED
            elif current.loaned_at > entry.at:
                code, outcome = RETURNED_BEFORE_LATER_LOAN, OfflineOutcome.SKIPPED
            else:
                loan_checkin(item=item, library=library, actor=actor, now=entry.at)
                loan = current
        elif patron is None:
            code, outcome = CARD_NOT_FOUND, OfflineOutcome.CONFLICT
        elif current is not None and current.patron_id == patron.pk:
            code, outcome, loan = ALREADY_RECORDED, OfflineOutcome.SKIPPED, current
        elif current is not None and current.loaned_at > entry.at:
            code, outcome = LENT_MEANWHILE, OfflineOutcome.CONFLICT
        else:
            try:
                with transaction.atomic():
                    if current is not None:  # returned without a scan before this loan
                        loan_checkin(item=item, library=library, actor=actor, now=entry.at)
                    loan = loan_checkout(
                        item=item, patron=patron, library=library, actor=actor, now=entry.at
                    )
            except CirculationError as exc:
                code, outcome = exc.code, OfflineOutcome.CONFLICT
        return OfflineTransaction.objects.create(
            kind=entry.kind, source=source, library=library, actor_label=actor.label[:150],
            card_number=entry.card[:64], barcode=entry.barcode[:64], happened_at=entry.at,
            replayed_at=now, outcome=outcome, code=code, loan=loan,
        )  # fmt: skip


def offline_replay(
    *, entries: list[OfflineEntry], library: Library, actor: Actor, now: dt.datetime,
    source: str,
) -> list[OfflineTransaction]:  # fmt: skip
    """Replay ``entries`` in the order they happened (a return before a later loan of the
    same copy, whatever the file's order), each in its own transaction."""
    return [
        offline_apply(entry=entry, library=library, actor=actor, now=now, source=source)
        for entry in sorted(entries, key=lambda e: e.at)
    ]
