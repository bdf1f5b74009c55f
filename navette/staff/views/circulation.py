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

from navette.circulation import selectors
from navette.circulation.messages import penalty_message, reason_message
from navette.circulation.models import OfflineSource, PaymentMethod
from navette.circulation.reasons import Reason
from navette.core import clock
from navette.core.actors import Actor
from navette.core.money import parse_euros
from navette.desk.fines import desk_fines_pay, desk_fines_waive
from navette.desk.holds import desk_hold_cancel
from navette.desk.identifiers import normal_barcode, normal_card, patron_by_card
from navette.desk.loans import desk_checkin, desk_checkout, desk_renew, desk_renew_all
from navette.desk.offline import desk_offline_replay, parse_offline_file
from navette.desk.outcomes import Code, refused
from navette.desk.transits import desk_transit_lost, desk_transit_receive
from navette.network.models import Library
from navette.network.scope import staff_libraries
from navette.network.selectors import in_french_order
from navette.patrons.models import Patron
from navette.staff.outcomes import say, text
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
    return library or next(iter(in_french_order(allowed)), None)


def _context(request: HttpRequest, library: Library | None, **extra):
    choices = staff_libraries(request.user)
    return {"desk_library": library, "desk_libraries": in_french_order(choices), **extra}


@librarian_required
def checkout(request: HttpRequest) -> HttpResponse:
    """Scan a card, see the patron, scan copies to lend."""
    library = desk_library(request)
    card = normal_card(request.GET.get("carte") or request.POST.get("carte"))
    patron = patron_by_card(card)
    if card and patron is None:
        say(request, refused(Code.CARD_NOT_FOUND, card=card))
    if request.method == "POST" and patron is not None and library is not None:
        say(request, desk_checkout(
            barcode=request.POST.get("exemplaire", ""), patron=patron, library=library,
            actor=Actor.staff(request.user), now=clock.now(),
        ))  # fmt: skip
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
    card = normal_card(request.POST.get("carte"))
    patron = patron_by_card(card)
    if patron is None:
        say(request, refused(Code.CARD_NOT_FOUND, card=card))
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
        outcome = desk_renew_all(patron=patron, actor=actor, now=now, library=library)
        if not outcome.results:
            messages.info(request, _("Aucun prêt à prolonger."))
    else:
        loan_id = request.POST.get("pret") or "0"
        outcome = desk_renew(loan_id=int(loan_id) if loan_id.isdigit() else 0, patron=patron,
                             actor=actor, now=now, library=library)  # fmt: skip
    say(request, outcome)
    return _back_to_desk(patron)


@librarian_required
@_desk_form
def hold_cancel_at_desk(
    request: HttpRequest, library: Library | None, patron: Patron
) -> HttpResponse:
    """Cancel one of the patron's active holds at the desk (at the patron's request)."""
    hold_id = request.POST.get("reservation") or "0"
    say(request, desk_hold_cancel(
        hold_id=int(hold_id) if hold_id.isdigit() else 0, patron=patron, library=library,
        actor=Actor.staff(request.user), now=clock.now(),
    ))  # fmt: skip
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
    if request.POST.get("action") == "remise":
        outcome = desk_fines_waive(
            patron=patron, amount_cents=amount, reason=request.POST.get("motif", ""),
            library=library, actor=actor, now=clock.now(),
        )  # fmt: skip
    else:
        method = request.POST.get("moyen", "")
        if method not in PaymentMethod.values or method == PaymentMethod.KIOSK:
            messages.error(request, _("Choisir le moyen de paiement."))
            return _back_to_desk(patron)
        outcome = desk_fines_pay(
            patron=patron, amount_cents=amount, method=method,
            library=library, actor=actor, now=clock.now(),
        )  # fmt: skip
    say(request, outcome)
    return _back_to_desk(patron)


@librarian_required
def checkin(request: HttpRequest) -> HttpResponse:
    """Scan returned copies; each line says what to do with the copy."""
    library = desk_library(request)
    returns = request.session.get(SESSION_RETURNS, [])
    if request.method == "POST" and library is not None:
        barcode = normal_barcode(request.POST.get("exemplaire"))
        outcome = desk_checkin(
            barcode=barcode, library=library, actor=Actor.staff(request.user), now=clock.now()
        )
        if outcome.ok:
            result = outcome.data["result"]
            line = {"barcode": barcode, "error": False, "action": str(result.action),
                    "message": text(outcome), "penalty": penalty_message(result)}  # fmt: skip
        else:
            line = {"barcode": barcode, "error": True,
                    "message": text(outcome, about=False)}  # fmt: skip
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
        say(request, desk_transit_receive(
            barcode=request.POST.get("exemplaire", ""), library=library,
            actor=Actor.staff(request.user), now=clock.now(),
        ))  # fmt: skip
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
    transit_id = request.POST.get("transit") or "0"
    say(request, desk_transit_lost(
        transit_id=int(transit_id) if transit_id.isdigit() else 0, library=desk_library(request),
        actor=Actor.staff(request.user), now=clock.now(),
    ))  # fmt: skip
    return redirect(f"{reverse('staff:circulation_transits')}#transits-en-retard")


#: what is wrong with a line of an offline file
OFFLINE_LINE_ERRORS = {
    "bad_columns": _("il manque des colonnes (date ; opération ; carte ; code-barres)"),
    "bad_kind": _("opération inconnue (prêt ou retour attendu)"),
    "bad_time": _("date illisible (attendue : 2026-03-02T09:15)"),
    "missing_card": _("prêt sans numéro de carte"),
    "missing_barcode": _("code-barres manquant"),
}


#: why an offline transaction waits for staff (besides the loan rules' refusals)
OFFLINE_CONFLICTS = {
    "lent_meanwhile": _("document prêté entre-temps à l'accueil"),
    "item_not_found": _("code-barres inconnu"),
    "card_not_found": _("carte inconnue"),
}


def offline_conflict_reason(code: str) -> str:
    """A conflict's reason in words: the offline codes, else the loan rules' refusal."""
    if code in OFFLINE_CONFLICTS:
        return str(OFFLINE_CONFLICTS[code])
    try:
        message = reason_message(Reason(code))
    except ValueError:
        return code
    # a refusal worded with details the log does not keep (a limit, a day): its gist
    return message.split(" (")[0].split(" : ")[0].split("{")[0].rstrip(" .") + "."


@librarian_required
def offline(request: HttpRequest) -> HttpResponse:
    """Upload the file of loans and returns a desk recorded while the network was down:
    replayed in time order as the desk would have made them then; the conflicts (a copy
    lent meanwhile, a card refused) are listed for staff. A file with an unreadable line
    is refused whole, each bad line named."""
    library = desk_library(request)
    ctx = _context(request, library)
    if request.method == "POST" and library is not None:
        upload = request.FILES.get("fichier")
        text = upload.read().decode("utf-8-sig", errors="replace") if upload else ""
        text = text or request.POST.get("texte", "")
        entries, errors = parse_offline_file(text)
        if errors or not entries:
            ctx["line_errors"] = [(e.line, OFFLINE_LINE_ERRORS[e.code], e.text) for e in errors]
            ctx["empty"] = not errors
            return render(request, "staff/circulation/offline.html", ctx, status=400)
        replayed = desk_offline_replay(entries=entries, library=library,
                                       actor=Actor.staff(request.user), now=clock.now(),
                                       source=OfflineSource.UPLOAD)  # fmt: skip
        ctx["replayed"] = replayed.data
    if library is not None:
        ctx["conflicts"] = [
            (t, offline_conflict_reason(t.code)) for t in selectors.offline_conflicts(library)[:200]
        ]
    return render(request, "staff/circulation/offline.html", ctx)
