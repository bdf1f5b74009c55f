"""Circulation desk pages: lend, return, navette. Parse, call one service, render.

Barcode scanners type the code and press Enter: every page has one autofocused
field whose form submits on Enter, so the desk needs no mouse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
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
from navette.desk.preferences import desk_library_for, desk_library_remember
from navette.desk.slips import crate_slip_sent, crate_slip_to_pack, hold_slip, loan_receipt
from navette.desk.transits import desk_crate_send, desk_transit_lost, desk_transit_receive
from navette.network.models import Library
from navette.network.scope import staff_libraries
from navette.network.selectors import in_french_order
from navette.patrons.models import Patron
from navette.staff.outcomes import renewal_reason, say, text
from navette.staff.permissions import librarian_required
from navette.staff.printing import printable

SESSION_LIBRARY = "desk_library"
SESSION_RETURNS = "desk_returns"


def desk_library(request: HttpRequest) -> Library | None:
    """The library this desk works for: the one chosen in the desk's menu (kept in the
    session and in the librarian's profile, so that it is chosen once), else the session's,
    else the profile's, else the librarian's first."""
    code = request.GET.get("bibliotheque") or request.POST.get("bibliotheque")
    library = desk_library_for(request.user, code=code, pk=request.session.get(SESSION_LIBRARY))
    if library is not None:
        if code and library.code == code:
            desk_library_remember(user=request.user, library=library)  # type: ignore[arg-type]
        request.session[SESSION_LIBRARY] = library.pk
    return library


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
        now = clock.now()
        loans = list(selectors.patron_loans(patron))
        renewal = selectors.loans_renewal(patron, loans, now)
        ctx.update(
            status=selectors.patron_status(patron, now),
            loans=[
                (loan, renewal[loan.pk].allowed, renewal_reason(renewal[loan.pk])) for loan in loans
            ],  # fmt: skip
            any_renewable=any(d.allowed for d in renewal.values()),
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
def hold_cancel_at_desk(request: HttpRequest) -> HttpResponse:
    """Cancel one of the patron's active holds at the desk (at the patron's request), after a
    confirmation page (GET ``carte`` and ``reservation``; it works without JavaScript): the
    cancellation is its POST."""
    if request.method != "POST":
        patron = patron_by_card(normal_card(request.GET.get("carte")))
        hold_id = request.GET.get("reservation") or "0"
        hold = (
            selectors.patron_active_hold(patron, int(hold_id) if hold_id.isdigit() else 0)
            if patron is not None
            else None
        )
        if patron is None or hold is None:
            say(request, refused(Code.HOLD_NOT_ACTIVE))
            return _back_to_desk(patron) if patron else redirect("staff:circulation_checkout")
        library = desk_library(request)
        return render(request, "staff/circulation/hold_cancel_confirm.html",
                      _context(request, library, patron=patron, hold=hold))  # fmt: skip
    return _hold_cancel(request)


@_desk_form
def _hold_cancel(request: HttpRequest, library: Library | None, patron: Patron) -> HttpResponse:
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
            crates=selectors.crates_to_pack(library),
            sent=list(selectors.crates_sent(library, now - dt.timedelta(days=7))),
            incoming=list(selectors.transits_incoming(library)),
            overdue=list(selectors.transits_overdue(now, library)),
            hold_shelf=list(selectors.hold_shelf(library)),
            to_pull=selectors.pull_list(library, clock.today(now)),
            overdue_loans=list(selectors.overdue_loans(library, now)[:200]),
        )
    return render(request, "staff/circulation/transits.html", ctx)


@librarian_required
def transit_lost(request: HttpRequest) -> HttpResponse:
    """Declare lost a copy whose navette trip never ended (from the overdue transits list),
    after a confirmation page (GET ``transit``): the copy is marked lost and the hold it
    travelled for waits again at its place."""
    transit_id = request.POST.get("transit") or request.GET.get("transit") or "0"
    pk = int(transit_id) if transit_id.isdigit() else 0
    library = desk_library(request)
    if request.method != "POST":
        transit = selectors.open_transit(pk)
        if transit is None:
            say(request, refused(Code.TRANSIT_CLOSED, transit_id=pk))
            return redirect(f"{reverse('staff:circulation_transits')}#transits-en-retard")
        return render(request, "staff/circulation/transit_lost_confirm.html",
                      _context(request, library, transit=transit))  # fmt: skip
    say(request, desk_transit_lost(
        transit_id=pk, library=library, actor=Actor.staff(request.user), now=clock.now(),
    ))  # fmt: skip
    return redirect(f"{reverse('staff:circulation_transits')}#transits-en-retard")


@librarian_required
def crate_send(request: HttpRequest) -> HttpResponse:
    """Record that the crate for one destination (``vers``) left, with the copies listed on
    its slip (``transit``, repeated)."""
    library = desk_library(request)
    if request.method == "POST" and library is not None:
        ids = [int(v) for v in request.POST.getlist("transit") if v.isdigit()]
        say(request, desk_crate_send(
            library=library, to_library_code=request.POST.get("vers", ""), transit_ids=ids,
            actor=Actor.staff(request.user), now=clock.now(),
        ))  # fmt: skip
    return redirect(f"{reverse('staff:circulation_transits')}#envoyer")


@librarian_required
def crate_slip(request: HttpRequest, code: str, pdf: bool = False) -> HttpResponse:
    """The slip of the crate this desk packs for the library ``code``: a page to print, or
    a PDF."""
    library = desk_library(request)
    slip = crate_slip_to_pack(user=request.user, library=library, to_code=code) if library else None
    if slip is None:
        raise Http404
    return printable(request, "staff/print/crate_slip.html", {"slip": slip}, pdf=pdf,
                     filename=f"navette-{library.code}-{code}.pdf")  # type: ignore[union-attr]  # fmt: skip


@librarian_required
def crate_sent_slip(request: HttpRequest, pk: int, pdf: bool = False) -> HttpResponse:
    """The slip of a crate that left (printed again)."""
    slip = crate_slip_sent(user=request.user, crate_id=pk)
    if slip is None:
        raise Http404
    return printable(request, "staff/print/crate_slip.html", {"slip": slip}, pdf=pdf,
                     filename=f"navette-caisse-{pk}.pdf")  # fmt: skip


@librarian_required
def receipt(request: HttpRequest, pdf: bool = False) -> HttpResponse:
    """The loan receipt of the patron of the card ``carte``, given at this desk."""
    library = desk_library(request)
    patron = patron_by_card(normal_card(request.GET.get("carte")))
    if patron is None or library is None:
        raise Http404
    data = loan_receipt(user=request.user, patron=patron, library=library, now=clock.now())
    return printable(request, "staff/print/receipt.html", {"receipt": data}, pdf=pdf,
                     filename=f"recu-{patron.card_number}.pdf")  # fmt: skip


@librarian_required
def hold_slip_print(request: HttpRequest, pk: int, pdf: bool = False) -> HttpResponse:
    """The slip put in a copy set aside for a hold: the patron's name, the title, where and
    until when to collect it."""
    hold = hold_slip(user=request.user, hold_id=pk)
    if hold is None:
        raise Http404
    return printable(request, "staff/print/hold_slip.html", {"hold": hold}, pdf=pdf,
                     filename=f"reservation-{pk}.pdf")  # fmt: skip


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
