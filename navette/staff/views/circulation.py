"""Circulation desk pages: lend, return, navette. Parse, call one service, render.

Barcode scanners type the code and press Enter: every page has one autofocused
field whose form submits on Enter, so the desk needs no mouse.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from navette.catalogue.models import Item
from navette.circulation import selectors
from navette.circulation.errors import CirculationError
from navette.circulation.models import Hold, Loan, PaymentMethod, Transit, TransitStatus
from navette.circulation.models.loans import ACTIVE_HOLD_STATUSES
from navette.circulation.services import (
    fines_pay,
    fines_waive,
    hold_cancel,
    loan_checkin,
    loan_checkout,
    loan_renew,
    loans_renew_all,
    transit_declare_lost,
    transit_receive,
)
from navette.core import clock
from navette.core.actors import Actor
from navette.core.money import euros, parse_euros
from navette.network.models import Library
from navette.network.scope import staff_libraries
from navette.patrons.models import Patron
from navette.staff.permissions import librarian_required

SESSION_LIBRARY = "desk_library"
SESSION_RETURNS = "desk_returns"


def desk_library(request: HttpRequest) -> Library | None:
    """The library this desk works for: chosen in the session, else the librarian's first."""
    code = request.GET.get("bibliotheque") or request.POST.get("bibliotheque")
    allowed = staff_libraries(request.user)
    if code:
        library = allowed.filter(code=code).first()
        if library is not None:
            request.session[SESSION_LIBRARY] = library.pk
            return library
    pk = request.session.get(SESSION_LIBRARY)
    library = allowed.filter(pk=pk).first() if pk else None
    return library or allowed.order_by("commune", "name").first()


def _context(request: HttpRequest, library: Library | None, **extra):
    choices = staff_libraries(request.user)
    return {"desk_library": library, "desk_libraries": choices.order_by("commune", "name"), **extra}


@librarian_required
def checkout(request: HttpRequest) -> HttpResponse:
    """Scan a card, see the patron, scan copies to lend."""
    library = desk_library(request)
    card = (request.GET.get("carte") or request.POST.get("carte") or "").strip()
    patron = (
        Patron.objects.select_related("category", "home_library__network")
        .filter(card_number=card)
        .first()
    )
    if card and patron is None:
        messages.error(request, _("Carte inconnue : %(card)s.") % {"card": card})
    if request.method == "POST" and patron is not None and library is not None:
        barcode = request.POST.get("exemplaire", "").strip()
        item = Item.objects.filter(barcode=barcode).first()
        if item is None:
            messages.error(request, _("Code-barres inconnu : %(barcode)s.") % {"barcode": barcode})
        else:
            try:
                loan = loan_checkout(
                    item=item,
                    patron=patron,
                    library=library,
                    actor=Actor.staff(request.user),
                    now=clock.now(),
                )
                messages.success(
                    request,
                    _("%(barcode)s prêté, à rendre le %(day)s.")
                    % {"barcode": barcode, "day": loan.due_on.strftime("%d/%m/%Y")},
                )
            except CirculationError as exc:
                messages.error(request, f"{barcode} : {exc.message}")
        return _back_to_desk(patron)
    ctx = _context(request, library, card=card, patron=patron)
    if patron is not None:
        ctx.update(
            status=selectors.patron_status(patron, clock.now()),
            loans=list(selectors.patron_loans(patron)),
            holds=selectors.patron_holds(patron),
            fines=selectors.patron_fines(patron),
            payment_methods=[(v, label) for v, label in PaymentMethod.choices if v != "kiosk"],
            today=clock.today(),
        )
    return render(request, "staff/circulation/checkout.html", ctx)


def posted_patron(request: HttpRequest) -> Patron | None:
    """The patron whose card a desk form posted (``carte``); None, with the error said,
    when no card has that number."""
    card = request.POST.get("carte", "").strip()
    patron = Patron.objects.filter(card_number=card).first()
    if patron is None:
        messages.error(request, _("Carte inconnue : %(card)s.") % {"card": card})
    return patron


def _back_to_desk(patron: Patron) -> HttpResponse:
    return redirect(f"{reverse('staff:circulation_checkout')}?carte={patron.card_number}")


def _desk_form(
    view: Callable[[HttpRequest, Library | None, Patron], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """A desk form posted for a patron's card (``carte``): anything but POST goes back to the
    desk, an unknown card is said; the view gets the desk's library and the patron."""

    @wraps(view)
    def wrapped(request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return redirect("staff:circulation_checkout")
        library = desk_library(request)
        patron = posted_patron(request)
        if patron is None:
            return redirect("staff:circulation_checkout")
        return view(request, library, patron)

    return wrapped


@librarian_required
@_desk_form
def renew(request: HttpRequest, library: Library | None, patron: Patron) -> HttpResponse:
    """Renew one of the patron's loans (``pret``) or all of them (``tout``) at the desk, under
    the lending library's rules; each refusal says why."""
    actor, now = Actor.staff(request.user), clock.now()
    if request.POST.get("tout"):
        outcomes = loans_renew_all(patron=patron, actor=actor, now=now, library=library)
        if not outcomes:
            messages.info(request, _("Aucun prêt à prolonger."))
        for outcome in outcomes:
            title = outcome.loan.item.record.title
            if outcome.renewed:
                messages.success(request, f"{title} : {outcome.message}")
            else:
                messages.error(request, f"{title} : {outcome.message}")
    else:
        loan = (
            Loan.objects.select_related("item__record")
            .filter(pk=request.POST.get("pret") or 0, patron=patron, returned_at__isnull=True)
            .first()
        )
        if loan is None:
            messages.error(request, _("Ce prêt n'est plus en cours."))
        else:
            title = loan.item.record.title
            try:
                renewed = loan_renew(loan=loan, actor=actor, now=now, library=library)
                messages.success(
                    request,
                    _("%(title)s : prolongé jusqu'au %(day)s.")
                    % {"title": title, "day": renewed.due_on.strftime("%d/%m/%Y")},
                )
            except CirculationError as exc:
                messages.error(request, f"{title} : {exc.message}")
    return _back_to_desk(patron)


@librarian_required
@_desk_form
def hold_cancel_at_desk(
    request: HttpRequest, library: Library | None, patron: Patron
) -> HttpResponse:
    """Cancel one of the patron's active holds at the desk (at the patron's request)."""
    hold = (
        Hold.objects.select_related("record")
        .filter(
            pk=request.POST.get("reservation") or 0, patron=patron, status__in=ACTIVE_HOLD_STATUSES
        )
        .first()
    )
    if hold is None:
        messages.error(request, _("Cette réservation n'est plus active."))
    else:
        try:
            hold_cancel(
                hold=hold, actor=Actor.staff(request.user), now=clock.now(), library=library
            )
            messages.success(
                request, _("Réservation annulée : %(title)s.") % {"title": hold.record.title}
            )
        except CirculationError as exc:
            messages.error(request, f"{hold.record.title} : {exc.message}")
    return _back_to_desk(patron)


@librarian_required
@_desk_form
def fines(request: HttpRequest, library: Library | None, patron: Patron) -> HttpResponse:
    """Record a payment (or, with a reason, a waiver) of the patron's fines from the desk."""
    raw = request.POST.get("montant", "")
    amount = parse_euros(raw)
    if amount is None:
        messages.error(
            request,
            _("Montant illisible : « %(amount)s » (par exemple 2,50).") % {"amount": raw},
        )
        return _back_to_desk(patron)
    actor = Actor.staff(request.user)
    try:
        if request.POST.get("action") == "remise":
            settlement = fines_waive(
                patron=patron, amount_cents=amount, reason=request.POST.get("motif", ""),
                library=library, actor=actor, now=clock.now(),
            )  # fmt: skip
            done = _("Remise de %(amount)s € enregistrée ; reste dû : %(due)s €.")
        else:
            method = request.POST.get("moyen", "")
            if method not in PaymentMethod.values or method == PaymentMethod.KIOSK:
                messages.error(request, _("Choisir le moyen de paiement."))
                return _back_to_desk(patron)
            settlement = fines_pay(
                patron=patron, amount_cents=amount, method=method,
                library=library, actor=actor, now=clock.now(),
            )  # fmt: skip
            done = _("Paiement de %(amount)s € enregistré ; reste dû : %(due)s €.")
    except ValueError:
        messages.error(request, _("Une remise doit être motivée."))
        return _back_to_desk(patron)
    except CirculationError as exc:
        messages.error(request, exc.message)
        return _back_to_desk(patron)
    messages.success(
        request,
        done % {"amount": euros(settlement.amount_cents), "due": euros(settlement.due_cents)},
    )
    return _back_to_desk(patron)


@librarian_required
def checkin(request: HttpRequest) -> HttpResponse:
    """Scan returned copies; each line says what to do with the copy."""
    library = desk_library(request)
    returns = request.session.get(SESSION_RETURNS, [])
    if request.method == "POST" and library is not None:
        barcode = request.POST.get("exemplaire", "").strip()
        item = Item.objects.filter(barcode=barcode).first()
        if item is None:
            line = {
                "barcode": barcode,
                "error": True,
                "message": _("Code-barres inconnu : %(b)s.") % {"b": barcode},
            }
        else:
            try:
                result = loan_checkin(
                    item=item, library=library, actor=Actor.staff(request.user), now=clock.now()
                )
                line = {"barcode": barcode, "error": False, "action": str(result.action),
                        "message": result.message, "penalty": result.penalty_message}  # fmt: skip
            except CirculationError as exc:
                line = {"barcode": barcode, "error": True, "message": exc.message}
        request.session[SESSION_RETURNS] = [line, *returns][:30]
        return redirect("staff:circulation_checkin")
    return render(
        request, "staff/circulation/checkin.html", _context(request, library, returns=returns)
    )


@librarian_required
def transits(request: HttpRequest) -> HttpResponse:
    """The navette for one library: copies to send, to receive (scan), overdue transits."""
    library = desk_library(request)
    if request.method == "POST" and library is not None:
        barcode = request.POST.get("exemplaire", "").strip()
        item = Item.objects.filter(barcode=barcode).first()
        if item is None:
            messages.error(request, _("Code-barres inconnu : %(b)s.") % {"b": barcode})
        else:
            try:
                result = transit_receive(
                    item=item, library=library, actor=Actor.staff(request.user), now=clock.now()
                )
                messages.success(request, f"{barcode} : {result.message}")
            except CirculationError as exc:
                messages.error(request, f"{barcode} : {exc.message}")
        return redirect("staff:circulation_transits")
    ctx = _context(request, library)
    if library is not None:
        now = clock.now()
        ctx.update(
            to_send=list(selectors.transits_to_send(library)),
            incoming=list(selectors.transits_incoming(library)),
            overdue=list(selectors.transits_overdue(now, library)),
            hold_shelf=list(selectors.hold_shelf(library)),
            to_pull=selectors.pull_list(library, clock.today(now)),
            overdue_loans=list(selectors.overdue_loans(library, now)[:200]),
        )
    return render(request, "staff/circulation/transits.html", ctx)


@librarian_required
def transit_lost(request: HttpRequest) -> HttpResponse:
    """Declare lost a copy whose navette trip never ended (from the overdue transits list):
    the copy is marked lost and the hold it travelled for waits again at its place."""
    if request.method != "POST":
        return redirect("staff:circulation_transits")
    library = desk_library(request)
    transit = (
        Transit.objects.select_related("item")
        .filter(pk=request.POST.get("transit") or 0, status=TransitStatus.IN_TRANSIT)
        .first()
    )
    if transit is None:
        messages.error(request, _("Ce transit est déjà clos."))
    else:
        try:
            transit_declare_lost(
                transit=transit, actor=Actor.staff(request.user), now=clock.now(), library=library
            )
            messages.success(
                request,
                _("%(barcode)s déclaré perdu en transit.") % {"barcode": transit.item.barcode},
            )
        except CirculationError as exc:
            messages.error(request, f"{transit.item.barcode} : {exc.message}")
    return redirect(f"{reverse('staff:circulation_transits')}#transits-en-retard")
