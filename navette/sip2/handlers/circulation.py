"""SIP2 circulation messages: check-out (11), check-in (09), renewal (29, 65), hold (15),
fee paid (37)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from navette.catalogue.models import Record
from navette.circulation.messages import (
    reason_message,
)
from navette.circulation.models import Hold, HoldStatus, PaymentMethod
from navette.circulation.reasons import Reason
from navette.circulation.selectors import hold_queue_position
from navette.circulation.services import (
    fines_pay,
    hold_cancel,
    hold_change_pickup,
    hold_place,
    loans_renew_all,
)
from navette.circulation.services.routing import CheckinAction
from navette.core import clock
from navette.core.errors import DomainError
from navette.core.money import euros, parse_euros
from navette.desk.loans import desk_checkin, desk_checkout, desk_renew
from navette.desk.outcomes import Code
from navette.network.models import Library
from navette.sip2.codec import Request, count4, format_date, yn
from navette.sip2.handlers._common import (
    CURRENCY,
    MEDIA_TYPE,
    Session,
    _institution,
    _loan_response,
    _not_authenticated_message,
    _now,
    _respond,
    _screen,
    _unknown_item,
    check_patron,
    find_item,
)
from navette.sip2.handlers.status import fines_enabled
from navette.sip2.outcomes import screen


def checkout(session: Session, request: Request) -> bytes:
    """11 -> 12: lend the copy through the desk's check-out; with SC renewal policy Y, a copy
    already lent to this patron is renewed instead."""
    check = check_patron(session, request)
    item = find_item(request.get("AB"))
    if not check.authenticated or check.patron is None:
        return _loan_response(session, request, "12", ok=False, renewal=False, item=item, due=None,
                              messages=[_not_authenticated_message(check)])  # fmt: skip
    if item is None:
        return _loan_response(session, request, "12", ok=False, renewal=False, item=None, due=None,
                              messages=[_unknown_item(request.get("AB"))])  # fmt: skip
    assert session.library is not None
    now = _now()
    lent = desk_checkout(item=item, patron=check.patron, library=session.library,
                         actor=session.actor, now=now)  # fmt: skip
    if lent.code == Reason.ITEM_ALREADY_LENT_TO_PATRON and request.flag("sc_renewal_policy"):
        renewed = desk_renew(barcode=item.barcode, patron=check.patron, library=session.library,
                             actor=session.actor, now=now)  # fmt: skip
        if renewed.code != Code.NO_OPEN_LOAN:
            return _loan_response(session, request, "12", ok=renewed.ok, renewal=renewed.ok,
                                  item=item, due=renewed.data.get("due_on") if renewed.ok else None,
                                  messages=[_("Prêt prolongé.")] if renewed.ok else screen(renewed))  # fmt: skip
    return _loan_response(session, request, "12", ok=lent.ok, renewal=False, item=item,
                          due=lent.data["due_on"] if lent.ok else None, messages=screen(lent))  # fmt: skip


def checkin(session: Session, request: Request) -> bytes:
    """09 -> 10: return the copy through the desk's check-in. A copy trapped for a hold or
    bound for another library raises the alert, with the destination in the sort bin (CL)
    and what to do with it in AF."""
    item = find_item(request.get("AB"))
    now = _now()
    fields: list[tuple[str, str | None]] = [
        ("AO", _institution(session, request)),
        ("AB", request.get("AB")),
    ]
    if item is None:
        fields += [("AQ", ""), *_screen([_unknown_item(request.get("AB"))])]
        return _respond(session, request, "10", ["0", "N", "U", "N", format_date(now)], fields)
    assert session.library is not None
    outcome = desk_checkin(item=item, library=session.library, actor=session.actor, now=now)
    if not outcome.ok:
        fields += [
            ("AQ", item.owning_library.code),
            ("AJ", item.record.title),
            *_screen(screen(outcome)),
        ]
        return _respond(session, request, "10", ["0", "N", "U", "N", format_date(now)], fields)
    result = outcome.data["result"]
    alert = result.action != CheckinAction.SHELVE
    destination = result.destination.code if result.destination is not None else None
    fields += [
        ("AQ", item.owning_library.code),
        ("AJ", item.record.title),
        ("CL", destination if alert else None),
        ("CK", MEDIA_TYPE.get(item.doc_type, "000")),  # type: ignore[call-overload]
        *_screen(screen(outcome)),
    ]
    return _respond(session, request, "10", ["1", "Y", "N", yn(alert), format_date(now)], fields)


def renew(session: Session, request: Request) -> bytes:
    """29 -> 30: renew the patron's loan of this copy through the desk's renewal."""
    check = check_patron(session, request)
    item = find_item(request.get("AB"))
    if not check.authenticated or check.patron is None:
        return _loan_response(session, request, "30", ok=False, renewal=False, item=item, due=None,
                              messages=[_not_authenticated_message(check)])  # fmt: skip
    if item is None:
        return _loan_response(session, request, "30", ok=False, renewal=False, item=None, due=None,
                              messages=[_unknown_item(request.get("AB"))])  # fmt: skip
    outcome = desk_renew(barcode=item.barcode, patron=check.patron, library=session.library,
                         actor=session.actor, now=_now())  # fmt: skip
    return _loan_response(session, request, "30", ok=outcome.ok, renewal=outcome.ok, item=item,
                          due=outcome.data["due_on"] if outcome.ok else None,
                          messages=screen(outcome))  # fmt: skip


def renew_all(session: Session, request: Request) -> bytes:
    """65 -> 66: ``loans_renew_all``; renewed copies in BM, the others in BN with their reasons."""

    check = check_patron(session, request)
    now = _now()
    institution = _institution(session, request)
    if not check.authenticated or check.patron is None:
        return _respond(session, request, "66", ["0", count4(0), count4(0), format_date(now)],
                        [("AO", institution), *_screen([_not_authenticated_message(check)])])  # fmt: skip
    outcomes = loans_renew_all(
        patron=check.patron, actor=session.actor, now=now, library=session.library
    )
    renewed = [o for o in outcomes if o.renewed]
    refused = [o for o in outcomes if not o.renewed]
    fields: list[tuple[str, str | None]] = [("AO", institution)]
    fields += [("BM", o.loan.item.barcode) for o in renewed]
    fields += [("BN", o.loan.item.barcode) for o in refused]
    messages = [f"{o.loan.item.barcode} : {o.error.message if o.error else ''}" for o in refused]
    if not outcomes:
        messages = [_("Aucun prêt en cours.")]
    fields += _screen(messages)
    return _respond(
        session,
        request,
        "66",
        ["1", count4(len(renewed)), count4(len(refused)), format_date(now)],
        fields,
    )


def hold(session: Session, request: Request) -> bytes:
    """15 -> 16: place (+), cancel (-) or change the pickup library (*) of a hold."""

    check = check_patron(session, request)
    now = _now()
    mode = request.fixed.get("hold_mode", "+")
    item = find_item(request.get("AB"))
    record = item.record if item is not None else None
    title_id = request.get("AJ")
    if record is None and title_id.isdigit():
        record = Record.objects.filter(pk=int(title_id)).first()
    pickup_code = request.get("BS")
    pickup = Library.objects.filter(code=pickup_code).first() if pickup_code else session.library

    def answer(
        ok: bool, messages: list[str], held: Hold | None = None, position: int | None = None
    ) -> bytes:
        fields: list[tuple[str, str | None]] = [
            ("BW", format_date(clock.paris_datetime(held.shelf_expires_on, dt.time(23, 59, 59)))
             if held is not None and held.shelf_expires_on else None),
            ("BR", str(position) if position else None),
            ("BS", held.pickup_library.code if held is not None else None),
            ("AO", _institution(session, request)),
            ("AA", request.get("AA")),
            ("AB", request.get("AB") or None),
            ("AJ", record.title if record is not None else None),
            *_screen(messages),
        ]  # fmt: skip
        available = held is not None and held.status == HoldStatus.READY
        return _respond(
            session, request, "16", ["1" if ok else "0", yn(available), format_date(now)], fields
        )

    if not check.authenticated or check.patron is None:
        return answer(False, [_not_authenticated_message(check)])
    if record is None:
        return answer(False, [_unknown_item(request.get("AB") or title_id)])
    if pickup is None:
        return answer(
            False, [_("Bibliothèque de retrait inconnue : %(code)s.") % {"code": pickup_code}]
        )
    patron = check.patron
    try:
        if mode == "+":
            held = hold_place(patron=patron, record=record, item=None, pickup_library=pickup,
                              actor=session.actor, now=now)  # fmt: skip
            position = hold_queue_position(held)
            return answer(True, [_("Réservation enregistrée, retrait à %(library)s.")
                                 % {"library": held.pickup_library.short_name}], held, position)  # fmt: skip
        existing = (
            Hold.objects.select_related("pickup_library")
            .active()
            .filter(patron_id=patron.pk, record_id=record.pk)
            .first()
        )
        if existing is None:
            return answer(False, [reason_message(Reason.HOLD_CLOSED)])
        if mode == "-":
            hold_cancel(hold=existing, actor=session.actor, now=now, library=session.library)
            return answer(True, [_("Réservation annulée.")])
        if mode == "*":
            changed = hold_change_pickup(
                hold=existing, pickup_library=pickup, actor=session.actor, now=now
            )
            return answer(True, [_("Retrait à %(library)s.") % {"library": changed.pickup_library.short_name}],
                          changed, hold_queue_position(changed))  # fmt: skip
    except DomainError as exc:
        return answer(False, [exc.message])
    return answer(False, [_("Mode de réservation inconnu : %(mode)s.") % {"mode": mode}])


def fee_paid(session: Session, request: Request) -> bytes:
    """37 -> 38: record a payment of the patron's fines with the circulation service."""

    check = check_patron(session, request)
    now = _now()
    institution = _institution(session, request)

    def answer(ok: bool, messages: list[str]) -> bytes:
        return _respond(session, request, "38", [yn(ok), format_date(now)],
                        [("AO", institution), ("AA", request.get("AA")),
                         ("BK", request.get("BK") or None), *_screen(messages)])  # fmt: skip

    if not fines_enabled():
        return answer(
            False, [_("Le réseau n'applique pas d'amendes : aucun paiement à enregistrer.")]
        )
    if not check.authenticated or check.patron is None:
        return answer(False, [_not_authenticated_message(check)])
    currency = request.fixed.get("currency_type", "") or CURRENCY
    if currency != CURRENCY:
        return answer(False, [_("Devise non acceptée : %(currency)s.") % {"currency": currency}])
    amount = parse_euros(request.get("BV") or "")
    if amount is None:
        return answer(False, [_("Montant illisible : %(amount)s.") % {"amount": request.get("BV")}])
    try:
        settlement = fines_pay(
            patron=check.patron, amount_cents=amount, method=PaymentMethod.KIOSK,
            library=session.library, actor=session.actor, now=now,
        )  # fmt: skip
    except DomainError as exc:
        return answer(False, [exc.message])
    return answer(True, [_("Paiement de %(amount)s € enregistré ; reste dû : %(due)s €.")
                         % {"amount": euros(settlement.amount_cents),
                            "due": euros(settlement.due_cents)}])  # fmt: skip
