"""API: circulation at the desk (check-out, check-in, renewal, a patron's loans and holds).

Staff only, through the Django session of a logged-in user: 401 without a
session, 403 for a user who may not work at the desk (statistician, inactive)
or not at the given library. POSTs need the CSRF token, as any session form.

Domain refusals are mapped once, here: a conflict with the copy's or loan's
current state is 409, any other refusal (card, limits, rules, unknown barcode
or card in the body) is 422. The body is ``{"code", "message"}`` where
``code`` is the stable reason (``policies.Reason``) and ``message`` the same
French sentence the desk shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.security import SessionAuth

from navette.circulation import selectors
from navette.circulation.messages import checkin_message, penalty_message, reason_message
from navette.circulation.models import Loan
from navette.circulation.reasons import Reason
from navette.core import clock
from navette.core.actors import Actor
from navette.desk.identifiers import patron_by_card
from navette.desk.loans import desk_checkin, desk_checkout, desk_renew
from navette.desk.outcomes import Code, Outcome, refused
from navette.network.models import Library
from navette.network.scope import OutOfScope, scope_check
from navette.patrons.models import Patron

router = Router(tags=["circulation"], auth=SessionAuth())

#: refusals caused by the current state of the copy, loan or hold: retrying later may succeed
CONFLICTS = frozenset(
    {
        Reason.ITEM_ON_LOAN,
        Reason.ITEM_ALREADY_LENT_TO_PATRON,
        Reason.ITEM_HELD_FOR_OTHER,
        Reason.ITEM_IN_TRANSIT,
        Reason.ITEM_UNAVAILABLE,
        Reason.LOAN_CLOSED,
        Reason.HOLD_WAITING,
        Reason.ALREADY_HELD,
        Reason.ALREADY_ON_LOAN,
        Reason.HOLD_CLOSED,
        Reason.HOLD_TRAPPED,
        Reason.NOT_IN_TRANSIT,
    }
)


def status_for(code: str) -> int:
    """The HTTP status of a refusal code: 403 out of the account's libraries, 409 for a state
    conflict, else 422."""
    if code == Code.FORBIDDEN_LIBRARY:
        return 403
    return 409 if code in CONFLICTS else 422


#: the API's wording of desk refusals that are not circulation rules (those are worded by
#: ``reason_message``): the one table, with ``status_for``, from outcome codes to answers
MESSAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    Code.CARD_NOT_FOUND: lambda d: _("Carte inconnue : %(card)s.") % {"card": d["card"]},
    Code.LOAN_NOT_FOUND: lambda d: _("Prêt inconnu : %(id)s.") % {"id": d["loan_id"]},
    Code.NO_OPEN_LOAN: lambda d: (
        _("Aucun prêt en cours pour le document %(barcode)s.") % {"barcode": d["barcode"]}
    ),
    Code.MISSING_LOAN: lambda d: _("Indiquer le prêt ou le code-barres du document."),
}


def refusal_message(outcome: Outcome) -> str:
    """The words of a desk refusal, in the active language (also the partner API's)."""
    wording = MESSAGES.get(outcome.code)
    if wording is not None:
        return wording(outcome.data)
    return reason_message(Reason(outcome.code), **outcome.data)


class ErrorOut(Schema):
    code: str
    message: str


class CheckoutIn(Schema):
    barcode: str
    card: str
    library: str


class CheckinIn(Schema):
    barcode: str
    library: str


class RenewIn(Schema):
    loan: int | None = None
    barcode: str | None = None
    library: str | None = None


class LoanOut(Schema):
    id: int
    barcode: str
    title: str
    library: str
    loaned_at: dt.datetime
    due_on: dt.date
    renewals: int
    overdue: bool


class CheckinOut(Schema):
    barcode: str
    action: str
    message: str
    destination: str | None
    hold: int | None
    loan: int | None
    days_late: int
    penalty_message: str


class HoldOut(Schema):
    id: int
    record: int
    title: str
    status: str
    pickup_library: str
    placed_at: dt.datetime
    position: int | None
    queue_length: int
    trapped_barcode: str | None
    shelf_expires_on: dt.date | None


ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class Refusal(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.body = status, ErrorOut(code=code, message=message)


def _desk_user(request: HttpRequest) -> Any:
    """The staff user, if allowed at a circulation desk (librarian or network admin)."""
    user = request.user
    if not (getattr(user, "is_librarian", False) or getattr(user, "is_network_admin", False)):
        raise Refusal(
            403, "forbidden", _("Accès réservé aux bibliothécaires et aux administrateurs.")
        )
    return user


def _library(request: HttpRequest, code: str, action: str) -> Library:
    user = _desk_user(request)
    library = Library.objects.filter(code=code).select_related("network").first()
    if library is None:
        raise Refusal(
            422, "library_not_found", _("Bibliothèque inconnue : %(code)s.") % {"code": code}
        )
    # the one policy, audited on refusal (OutOfScope: 403 ``forbidden_library``)
    scope_check(actor=Actor.staff(user), library_ids=[library.pk], action=action,
                now=clock.now())  # fmt: skip
    return library


def _patron(card: str, status: int = 422) -> Patron:
    patron = patron_by_card(card)
    if patron is None:
        raise Refusal(
            status, Code.CARD_NOT_FOUND, refusal_message(refused(Code.CARD_NOT_FOUND, card=card))
        )
    return patron


def loan_out(loan: Loan, today: dt.date) -> LoanOut:
    return LoanOut(
        id=loan.pk,
        barcode=loan.item.barcode,
        title=loan.item.record.title,
        library=loan.library.code,
        loaned_at=loan.loaned_at,
        due_on=loan.due_on,
        renewals=loan.renewals,
        overdue=loan.returned_at is None and loan.due_on < today,
    )


def _answer(call: Any) -> Any:
    """Run ``call``; turn a refusal into its status and ``{"code", "message"}`` body."""
    try:
        return call()
    except Refusal as refusal:
        return Status(refusal.status, refusal.body)
    except OutOfScope as exc:
        return Status(403, ErrorOut(code=exc.code, message=exc.message))


def _refused(outcome: Outcome) -> Status[ErrorOut]:
    return Status(
        status_for(outcome.code), ErrorOut(code=outcome.code, message=refusal_message(outcome))
    )


@router.post("/checkout", response={201: LoanOut, **ERRORS})
def checkout(request: HttpRequest, data: CheckoutIn) -> Any:
    """Lend a copy to a card at a library (the same rules as the desk)."""

    def run() -> Status[Any]:
        library = _library(request, data.library, "loan.checkout")
        now = clock.now()
        outcome = desk_checkout(barcode=data.barcode, card=data.card, library=library,
                                actor=Actor.staff(request.user), now=now)  # fmt: skip
        if not outcome.ok:
            return _refused(outcome)
        loan = Loan.objects.select_related("item__record", "library").get(
            pk=outcome.data["loan"].pk
        )
        return Status(201, loan_out(loan, clock.today(now)))

    return _answer(run)


@router.post("/checkin", response={200: CheckinOut, **ERRORS})
def checkin(request: HttpRequest, data: CheckinIn) -> Any:
    """Return a copy at a library; the answer says what to do with it (shelf, hold shelf, navette)."""

    def run() -> Any:
        library = _library(request, data.library, "loan.checkin")
        outcome = desk_checkin(barcode=data.barcode, library=library,
                               actor=Actor.staff(request.user), now=clock.now())  # fmt: skip
        if not outcome.ok:
            return _refused(outcome)
        result = outcome.data["result"]
        return CheckinOut(
            barcode=outcome.data["barcode"],
            action=str(result.action),
            message=checkin_message(result),
            destination=result.destination.code if result.destination else None,
            hold=result.hold.pk if result.hold else None,
            loan=result.loan.pk if result.loan else None,
            days_late=result.days_late,
            penalty_message=penalty_message(result),
        )

    return _answer(run)


@router.post("/renew", response={200: LoanOut, **ERRORS})
def renew(request: HttpRequest, data: RenewIn) -> Any:
    """Renew an open loan given by its id or its copy's barcode (rules of the lending library,
    asked at ``library`` when given, else at the lending library: the account must work there)."""

    def run() -> Any:
        _desk_user(request)
        library = _library(request, data.library, "loan.renew") if data.library else None
        now = clock.now()
        outcome = desk_renew(loan_id=data.loan, barcode=data.barcode, library=library,
                             actor=Actor.staff(request.user), now=now)  # fmt: skip
        if not outcome.ok:
            return _refused(outcome)
        loans = Loan.objects.select_related("item__record", "library")
        return loan_out(loans.get(pk=outcome.data["loan"].pk), clock.today(now))

    return _answer(run)


@router.get("/patrons/{card}/loans", response={200: list[LoanOut], **ERRORS})
def patron_loans(request: HttpRequest, card: str) -> Any:
    """A card's open loans, soonest due first."""

    def run() -> list[LoanOut]:
        _desk_user(request)
        patron = _patron(card, status=404)
        today = clock.today()
        return [loan_out(loan, today) for loan in selectors.patron_loans(patron)]

    return _answer(run)


@router.get("/patrons/{card}/holds", response={200: list[HoldOut], **ERRORS})
def patron_holds(request: HttpRequest, card: str) -> Any:
    """A card's active holds with their place in the queue."""

    def run() -> list[HoldOut]:
        _desk_user(request)
        patron = _patron(card, status=404)
        return [
            HoldOut(
                id=v.hold.pk,
                record=v.hold.record_id,
                title=v.hold.record.title,
                status=v.hold.status,
                pickup_library=v.hold.pickup_library.code,
                placed_at=v.hold.placed_at,
                position=v.position,
                queue_length=v.queue_length,
                trapped_barcode=v.hold.trapped_item.barcode if v.hold.trapped_item else None,
                shelf_expires_on=v.hold.shelf_expires_on,
            )
            for v in selectors.patron_holds(patron)
        ]

    return _answer(run)
