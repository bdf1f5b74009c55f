"""Lending, returning and renewing at a desk (staff page, API, kiosk)."""

from __future__ import annotations

import datetime as dt

from navette.catalogue.models import Item
from navette.circulation.errors import CirculationError
from navette.circulation.models import Loan
from navette.circulation.services import loan_checkin, loan_checkout, loan_renew, loans_renew_all
from navette.core.actors import Actor
from navette.desk.identifiers import item_by_barcode, normal_barcode, patron_by_card
from navette.desk.outcomes import Code, Outcome, done, from_error, refused
from navette.network.models import Library
from navette.patrons.models import Patron


def desk_checkout(
    *, barcode: str = "", card: str | None = None, patron: Patron | None = None,
    item: Item | None = None, library: Library, actor: Actor, now: dt.datetime,
) -> Outcome:  # fmt: skip
    """Lend the copy ``barcode`` (or ``item``, already found) to the card ``card`` (or to
    ``patron``) at ``library``. ``lent`` with ``loan`` and ``due_on``; else the refusal's code."""
    if patron is None:
        patron = patron_by_card(card)
        if patron is None:
            return refused(Code.CARD_NOT_FOUND, card=card or "")
    item = item or item_by_barcode(barcode)
    if item is None:
        return refused(Code.ITEM_NOT_FOUND, barcode=normal_barcode(barcode))
    try:
        loan = loan_checkout(item=item, patron=patron, library=library, actor=actor, now=now)
    except CirculationError as exc:
        return from_error(exc, barcode=item.barcode, title=item.record.title)
    return done(Code.LENT, barcode=item.barcode, title=item.record.title, loan=loan,
                due_on=loan.due_on, patron=patron)  # fmt: skip


def desk_checkin(
    *, barcode: str = "", item: Item | None = None, library: Library, actor: Actor,
    now: dt.datetime,
) -> Outcome:  # fmt: skip
    """Return the copy ``barcode`` (or ``item``) at ``library``. ``returned`` with ``result``
    (the ``CheckinResult``: where the copy goes and why, the penalty of a late return)."""
    item = item or item_by_barcode(barcode)
    if item is None:
        return refused(Code.ITEM_NOT_FOUND, barcode=normal_barcode(barcode))
    try:
        result = loan_checkin(item=item, library=library, actor=actor, now=now)
    except CirculationError as exc:
        return from_error(exc, barcode=item.barcode)
    borrower = result.loan.patron if result.loan is not None and result.loan.patron_id else None
    return done(Code.RETURNED, barcode=item.barcode, title=item.record.title, result=result,
                borrower=borrower)  # fmt: skip


def desk_renew(
    *, loan_id: int | None = None, barcode: str | None = None, patron: Patron | None = None,
    library: Library | None, actor: Actor, now: dt.datetime,
) -> Outcome:  # fmt: skip
    """Renew an open loan given by its id or its copy's barcode (of ``patron`` when given).
    ``renewed`` with ``loan`` and ``due_on``; ``library`` is the desk (None: the lending one)."""
    loans = Loan.objects.select_related("item__record", "library")
    if patron is not None:
        loans = loans.filter(patron_id=patron.pk)
    if loan_id is not None:
        loan = loans.filter(pk=loan_id).first()
        if loan is None or (patron is not None and loan.returned_at is not None):
            return refused(Code.LOAN_NOT_FOUND, loan_id=loan_id)
    elif barcode:
        code = normal_barcode(barcode)
        loan = loans.open().filter(item__barcode=code).first()
        if loan is None:
            return refused(Code.NO_OPEN_LOAN, barcode=code)
    else:
        return refused(Code.MISSING_LOAN)
    try:
        renewed = loan_renew(loan=loan, actor=actor, now=now, library=library)
    except CirculationError as exc:
        return from_error(exc, loan=loan, title=loan.item.record.title)
    return done(Code.RENEWED, loan=renewed, due_on=renewed.due_on, title=loan.item.record.title)


def desk_renew_all(
    *, patron: Patron, library: Library | None, actor: Actor, now: dt.datetime
) -> Outcome:
    """Renew every open loan of ``patron``: ``renewed_all`` with one outcome per loan in
    ``results`` (``renewed`` or the refusal, each with ``loan`` and ``title``)."""
    results = []
    for one in loans_renew_all(patron=patron, actor=actor, now=now, library=library):
        title = one.loan.item.record.title
        if one.renewed or one.error is None:
            results.append(done(Code.RENEWED, loan=one.loan, due_on=one.loan.due_on, title=title))
        else:
            results.append(from_error(one.error, loan=one.loan, title=title))
    return Outcome(True, str(Code.RENEWED_ALL), {"patron": patron}, tuple(results))
