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
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.security import SessionAuth

from navette.catalogue.models import Item
from navette.circulation import selectors
from navette.circulation.errors import CirculationError
from navette.circulation.models import Loan
from navette.circulation.policies import Reason, reason_message
from navette.circulation.services import loan_checkin, loan_checkout, loan_renew
from navette.core import clock
from navette.core.actors import Actor
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
    """The HTTP status of a circulation refusal code: 409 for a state conflict, else 422."""
    return 409 if code in CONFLICTS else 422


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


def _item(barcode: str) -> Item:
    item = Item.objects.filter(barcode=barcode.strip()).first()
    if item is None:
        raise Refusal(
            422, str(Reason.ITEM_NOT_FOUND), reason_message(Reason.ITEM_NOT_FOUND, barcode=barcode)
        )
    return item


def _patron(card: str, status: int = 422) -> Patron:
    patron = Patron.objects.select_related("category").filter(card_number=card.strip()).first()
    if patron is None:
        raise Refusal(status, "card_not_found", _("Carte inconnue : %(card)s.") % {"card": card})
    return patron


def _loan_out(loan: Loan, today: dt.date) -> LoanOut:
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
    except CirculationError as exc:
        return Status(status_for(exc.code), ErrorOut(code=exc.code, message=exc.message))


@router.post("/checkout", response={201: LoanOut, **ERRORS})
def checkout(request: HttpRequest, data: CheckoutIn) -> Any:
    """Lend a copy to a card at a library (the same rules as the desk)."""

    def run() -> Status[LoanOut]:
        library = _library(request, data.library, "loan.checkout")
        patron, item = _patron(data.card), _item(data.barcode)
        now = clock.now()
        loan = loan_checkout(
            item=item, patron=patron, library=library, actor=Actor.staff(request.user), now=now
        )
        loan = Loan.objects.select_related("item__record", "library").get(pk=loan.pk)
        return Status(201, _loan_out(loan, clock.today(now)))

    return _answer(run)


@router.post("/checkin", response={200: CheckinOut, **ERRORS})
def checkin(request: HttpRequest, data: CheckinIn) -> Any:
    """Return a copy at a library; the answer says what to do with it (shelf, hold shelf, navette)."""

    def run() -> CheckinOut:
        library = _library(request, data.library, "loan.checkin")
        item = _item(data.barcode)
        result = loan_checkin(
            item=item, library=library, actor=Actor.staff(request.user), now=clock.now()
        )
        return CheckinOut(
            barcode=item.barcode,
            action=str(result.action),
            message=result.message,
            destination=result.destination.code if result.destination else None,
            hold=result.hold.pk if result.hold else None,
            loan=result.loan.pk if result.loan else None,
            days_late=result.days_late,
            penalty_message=result.penalty_message,
        )

    return _answer(run)


@router.post("/renew", response={200: LoanOut, **ERRORS})
def renew(request: HttpRequest, data: RenewIn) -> Any:
    """Renew an open loan given by its id or its copy's barcode (rules of the lending library)."""

    def run() -> LoanOut:
        _desk_user(request)
        library = _library(request, data.library, "loan.renew") if data.library else None
        loans = Loan.objects.select_related("item__record", "library")
        if data.loan is not None:
            loan = loans.filter(pk=data.loan).first()
        elif data.barcode:
            loan = loans.filter(
                item__barcode=data.barcode.strip(), returned_at__isnull=True
            ).first()
        else:
            raise Refusal(422, "missing_loan", _("Indiquer le prêt ou le code-barres du document."))
        if loan is None and data.loan is not None:
            raise Refusal(422, "loan_not_found", _("Prêt inconnu : %(id)s.") % {"id": data.loan})
        if loan is None:
            raise Refusal(
                422,
                "no_open_loan",
                _("Aucun prêt en cours pour le document %(barcode)s.") % {"barcode": data.barcode},
            )
        now = clock.now()
        renewed = loan_renew(loan=loan, actor=Actor.staff(request.user), now=now, library=library)
        return _loan_out(loans.get(pk=renewed.pk), clock.today(now))

    return _answer(run)


@router.get("/patrons/{card}/loans", response={200: list[LoanOut], **ERRORS})
def patron_loans(request: HttpRequest, card: str) -> Any:
    """A card's open loans, soonest due first."""

    def run() -> list[LoanOut]:
        _desk_user(request)
        patron = _patron(card, status=404)
        today = clock.today()
        return [_loan_out(loan, today) for loan in selectors.patron_loans(patron)]

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
