"""SIP2 circulation messages: check-out (11), check-in (09), renewal (29, 65), hold (15),
fee paid (37)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from navette.circulation.models import HoldStatus, OfflineKind, OfflineSource, PaymentMethod
from navette.circulation.reasons import Reason
from navette.circulation.selectors import hold_queue_position
from navette.circulation.services.routing import CheckinAction, CheckinKind, CheckinResult
from navette.core import clock
from navette.core.money import parse_euros
from navette.desk.fines import desk_fines_pay
from navette.desk.holds import (
    active_hold,
    desk_hold_cancel,
    desk_hold_change_pickup,
    desk_hold_place,
)
from navette.desk.identifiers import library_by_code, record_by_id
from navette.desk.loans import desk_checkin, desk_checkout, desk_renew, desk_renew_all
from navette.desk.offline import desk_offline_one
from navette.desk.outcomes import Code, Outcome, refused
from navette.sip2.codec import Request, count4, format_date, parse_date, yn
from navette.sip2.handlers._common import (
    CURRENCY,
    PatronCheck,
    Session,
    _institution,
    _loan_response,
    _media_type,
    _not_authenticated_message,
    _now,
    _respond,
    _screen,
    _unknown_item,
    check_patron,
    find_item,
    shelf_fields,
)
from navette.sip2.handlers.status import fines_enabled
from navette.sip2.models import ExtensionField, KioskOperation
from navette.sip2.outcomes import screen, screen_about


def out_of_hours(session: Session) -> str | None:
    """The refusal of a lending operation outside the hours the kiosk's profile allows."""
    if session.profile.works_at(clock.local(_now()).time()):
        return None
    session.refusal = "out_of_hours"
    return _("Automate hors service à cette heure : adressez-vous à l'accueil.")


def not_identified(session: Session, check: PatronCheck) -> str:
    """The refusal of an unidentified patron, noted for the monitor."""
    session.refusal = "card_not_found" if check.patron is None else "not_identified"
    return _not_authenticated_message(check)


def offline_at(request: Request, *names: str) -> dt.datetime:
    """When a no-block (offline) transaction happened: the first date given, else now."""
    for name in names:
        at = parse_date(request.fixed.get(name, ""))
        if at is not None:
            return at
    return _now()


def offline_checkout(session: Session, request: Request) -> bytes:
    """11 with no block: a loan the machine made while off the network, replayed as the
    desk would have made it then (due date from then); the card alone identifies the
    patron (the machine checked what it could at the time). Logged as offline; a conflict
    (the copy lent at a desk since) answers ok=0 and waits for staff."""
    assert session.library is not None
    outcome = desk_offline_one(
        kind=OfflineKind.CHECKOUT, barcode=request.get("AB"), card=request.get("AA"),
        at=offline_at(request, "transaction_date"), library=session.library,
        actor=session.actor, now=_now(), source=OfflineSource.KIOSK,
    )  # fmt: skip
    session.refusal = outcome.code
    return _loan_response(session, request, "12", ok=outcome.ok, renewal=False,
                          item=find_item(request.get("AB")),
                          due=outcome.data["due_on"] if outcome.ok else None,
                          messages=screen(outcome))  # fmt: skip


def checkout(session: Session, request: Request) -> bytes:
    """11 -> 12: lend the copy through the desk's check-out; with SC renewal policy Y, a copy
    already lent to this patron is renewed instead. With no block: ``offline_checkout``."""
    if request.flag("no_block"):
        return offline_checkout(session, request)
    check = check_patron(session, request, KioskOperation.CHECKOUT)
    item = find_item(request.get("AB"))
    closed = out_of_hours(session)
    if closed:
        return _loan_response(session, request, "12", ok=False, renewal=False, item=item, due=None,
                              messages=[closed])  # fmt: skip
    if not check.authenticated or check.patron is None:
        return _loan_response(session, request, "12", ok=False, renewal=False, item=item, due=None,
                              messages=[not_identified(session, check)])  # fmt: skip
    if item is None:
        session.refusal = "item_not_found"
        return _loan_response(session, request, "12", ok=False, renewal=False, item=None, due=None,
                              messages=[_unknown_item(request.get("AB"))])  # fmt: skip
    assert session.library is not None
    now = _now()
    lent = desk_checkout(item=item, patron=check.patron, library=session.library,
                         actor=session.actor, now=now)  # fmt: skip
    session.refusal = lent.code
    if lent.code == Reason.ITEM_ALREADY_LENT_TO_PATRON and request.flag("sc_renewal_policy"):
        renewed = desk_renew(barcode=item.barcode, patron=check.patron, library=session.library,
                             actor=session.actor, now=now)  # fmt: skip
        if renewed.code != Code.NO_OPEN_LOAN:
            return _loan_response(session, request, "12", ok=renewed.ok, renewal=renewed.ok,
                                  item=item, due=renewed.data.get("due_on") if renewed.ok else None,
                                  messages=[_("Prêt prolongé.")] if renewed.ok else screen(renewed))  # fmt: skip
    return _loan_response(session, request, "12", ok=lent.ok, renewal=False, item=item,
                          due=lent.data["due_on"] if lent.ok else None, messages=screen(lent))  # fmt: skip


#: CV, the alert type a sorter reads (3M's values, as Koha and Evergreen send them): 01 set
#: aside for a hold here, 02 for a hold at another library, 04 to another library
ALERT_TYPE = {
    CheckinKind.HOLD_SHELF: "01",
    CheckinKind.ALREADY_ON_HOLD_SHELF: "01",
    CheckinKind.TRANSIT_FOR_HOLD: "02",
    CheckinKind.TRANSIT_HOME: "04",
}


def _checkin_extensions(session: Session, result: CheckinResult) -> list[tuple[str, str | None]]:
    """The profile's extension fields in a check-in's answer: for sorters the call number,
    shelving location, alert type and destination; the hold's patron when it asks."""
    fields = shelf_fields(session, result.item)
    if fields:
        fields += [
            ("CV", ALERT_TYPE.get(result.kind)),
            ("CT", result.destination.code if result.destination is not None else None),
        ]
    patron = result.hold_patron
    if patron is not None and session.profile.sends(ExtensionField.HOLD_PATRON):
        fields += [("CY", patron.card_number), ("DA", patron.full_name)]
    return fields


def checkin(session: Session, request: Request) -> bytes:
    """09 -> 10: return the copy through the desk's check-in. A copy trapped for a hold or
    bound for another library raises the alert, with the destination in the sort bin (CL)
    and what to do with it in AF. The borrower's card (AA) and the media type (CK) when the
    profile sends them; a copy that was not on loan answers ok=0 when the profile says so
    (it is still routed: the copy is on the machine's shelf either way)."""
    item = find_item(request.get("AB"))
    now = _now()
    fields: list[tuple[str, str | None]] = [
        ("AO", _institution(session, request)),
        ("AB", request.get("AB")),
    ]
    if item is not None and request.flag("no_block"):
        assert session.library is not None
        offline = desk_offline_one(
            kind=OfflineKind.CHECKIN, barcode=item.barcode,
            at=offline_at(request, "return_date", "transaction_date"), library=session.library,
            actor=session.actor, now=now, source=OfflineSource.KIOSK,
        )  # fmt: skip
        session.refusal = offline.code
        fields += [("AQ", item.owning_library.code), ("AJ", item.record.title),
                   *_screen(screen(offline))]  # fmt: skip
        return _respond(session, request, "10",
                        ["1" if offline.ok else "0", "Y", "N", "N", format_date(now)], fields)  # fmt: skip
    if item is None:
        session.refusal = "item_not_found"
        fields += [("AQ", ""), *_screen([_unknown_item(request.get("AB"))])]
        return _respond(session, request, "10", ["0", "N", "U", "N", format_date(now)], fields)
    assert session.library is not None
    outcome = desk_checkin(item=item, library=session.library, actor=session.actor, now=now)
    session.refusal = outcome.code if not outcome.ok else "not_on_loan"
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
    borrower = result.loan.patron if result.loan is not None and result.loan.patron_id else None
    messages = screen(outcome)
    ok = result.loan is not None or session.profile.checkin_not_on_loan_ok
    if not ok:
        messages.insert(0, _("Ce document n'était pas en prêt."))
    fields += [
        ("AQ", item.owning_library.code),
        ("AJ", item.record.title),
        ("AA", borrower.card_number if borrower is not None and session.profile.checkin_patron
         else None),
        ("CL", destination if alert else None),
        ("CK", _media_type(session, item)),
        *_checkin_extensions(session, result),
        *_screen(messages),
    ]  # fmt: skip
    return _respond(
        session, request, "10", ["1" if ok else "0", "Y", "N", yn(alert), format_date(now)], fields
    )


def renew(session: Session, request: Request) -> bytes:
    """29 -> 30: renew the patron's loan of this copy through the desk's renewal."""
    check = check_patron(session, request, KioskOperation.RENEW)
    item = find_item(request.get("AB"))
    closed = out_of_hours(session)
    if closed:
        return _loan_response(session, request, "30", ok=False, renewal=False, item=item, due=None,
                              messages=[closed])  # fmt: skip
    if not check.authenticated or check.patron is None:
        return _loan_response(session, request, "30", ok=False, renewal=False, item=item, due=None,
                              messages=[not_identified(session, check)])  # fmt: skip
    if item is None:
        session.refusal = "item_not_found"
        return _loan_response(session, request, "30", ok=False, renewal=False, item=None, due=None,
                              messages=[_unknown_item(request.get("AB"))])  # fmt: skip
    outcome = desk_renew(barcode=item.barcode, patron=check.patron, library=session.library,
                         actor=session.actor, now=_now())  # fmt: skip
    session.refusal = outcome.code
    return _loan_response(session, request, "30", ok=outcome.ok, renewal=outcome.ok, item=item,
                          due=outcome.data["due_on"] if outcome.ok else None,
                          messages=screen(outcome))  # fmt: skip


def renew_all(session: Session, request: Request) -> bytes:
    """65 -> 66: the desk's renew all; renewed copies in BM, the others in BN with their
    reasons."""

    check = check_patron(session, request, KioskOperation.RENEW)
    now = _now()
    institution = _institution(session, request)
    closed = out_of_hours(session)
    if closed or not check.authenticated or check.patron is None:
        return _respond(session, request, "66", ["0", count4(0), count4(0), format_date(now)],
                        [("AO", institution),
                         *_screen([closed or not_identified(session, check)])])  # fmt: skip
    outcome = desk_renew_all(
        patron=check.patron, library=session.library, actor=session.actor, now=now
    )
    renewed = [o for o in outcome.results if o.ok]
    refusals = [o for o in outcome.results if not o.ok]
    fields: list[tuple[str, str | None]] = [("AO", institution)]
    fields += [("BM", o.data["loan"].item.barcode) for o in renewed]
    fields += [("BN", o.data["loan"].item.barcode) for o in refusals]
    messages = [m for o in refusals for m in screen_about(o, o.data["loan"].item.barcode)]
    fields += _screen(messages or screen(outcome))
    return _respond(
        session,
        request,
        "66",
        ["1", count4(len(renewed)), count4(len(refusals)), format_date(now)],
        fields,
    )


def hold(session: Session, request: Request) -> bytes:
    """15 -> 16: place (+), cancel (-) or change the pickup library (*) of a hold, through
    the desk's hold actions."""

    check = check_patron(session, request, KioskOperation.HOLD)
    now = _now()
    mode = request.fixed.get("hold_mode", "+")
    item = find_item(request.get("AB"))
    title_id = request.get("AJ")
    record = item.record if item is not None else record_by_id(title_id)
    pickup_code = request.get("BS")
    pickup = library_by_code(pickup_code) if pickup_code else session.library

    def answer(outcome: Outcome, position: int | None = None) -> bytes:
        session.refusal = outcome.code
        held = outcome.data.get("hold") if outcome.ok else None
        fields: list[tuple[str, str | None]] = [
            ("BW", format_date(clock.paris_datetime(held.shelf_expires_on, dt.time(23, 59, 59)))
             if held is not None and held.shelf_expires_on else None),
            ("BR", str(position) if position and session.profile.queue_position else None),
            ("BS", outcome.data["pickup_library"].code
             if outcome.ok and "pickup_library" in outcome.data else None),
            ("AO", _institution(session, request)),
            ("AA", request.get("AA")),
            ("AB", request.get("AB") or None),
            ("AJ", record.title if record is not None else None),
            *_screen(screen(outcome)),
        ]  # fmt: skip
        available = held is not None and held.status == HoldStatus.READY
        return _respond(
            session, request, "16", ["1" if outcome.ok else "0", yn(available), format_date(now)],
            fields,
        )  # fmt: skip

    def message(text: str) -> bytes:
        """A refusal worded by SIP2 itself (before any desk action)."""
        fields: list[tuple[str, str | None]] = [
            ("AO", _institution(session, request)),
            ("AA", request.get("AA")),
            ("AB", request.get("AB") or None),
            ("AJ", record.title if record is not None else None),
            *_screen([text]),
        ]
        return _respond(session, request, "16", ["0", "N", format_date(now)], fields)

    closed = out_of_hours(session)
    if closed:
        return message(closed)
    if not check.authenticated or check.patron is None:
        return message(not_identified(session, check))
    if record is None:
        return answer(refused(Code.RECORD_NOT_FOUND, barcode=request.get("AB") or title_id))
    if pickup is None:
        return answer(refused(Code.LIBRARY_NOT_FOUND, library_code=pickup_code))
    patron = check.patron
    if mode == "+":
        placed = desk_hold_place(patron=patron, record=record, pickup_library=pickup,
                                 library=session.library, actor=session.actor, now=now)  # fmt: skip
        return answer(placed, hold_queue_position(placed.data["hold"]) if placed.ok else None)
    if mode == "-":
        return answer(desk_hold_cancel(record=record, patron=patron, library=session.library,
                                       actor=session.actor, now=now))  # fmt: skip
    if mode == "*":
        existing = active_hold(patron=patron, record=record)
        if existing is None:
            return answer(refused(Code.HOLD_NOT_ACTIVE))
        changed = desk_hold_change_pickup(hold=existing, pickup_library=pickup,
                                          library=session.library, actor=session.actor, now=now)  # fmt: skip
        return answer(changed, hold_queue_position(existing) if changed.ok else None)
    return message(_("Mode de réservation inconnu : %(mode)s.") % {"mode": mode})


def fee_paid(session: Session, request: Request) -> bytes:
    """37 -> 38: record a payment of the patron's fines with the desk's payment."""

    check = check_patron(session, request, KioskOperation.FEE_PAID)
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
    closed = out_of_hours(session)
    if closed:
        return answer(False, [closed])
    if not check.authenticated or check.patron is None:
        return answer(False, [not_identified(session, check)])
    currency = request.fixed.get("currency_type", "") or CURRENCY
    if currency != CURRENCY:
        return answer(False, [_("Devise non acceptée : %(currency)s.") % {"currency": currency}])
    amount = parse_euros(request.get("BV") or "")
    if amount is None:
        return answer(False, [_("Montant illisible : %(amount)s.") % {"amount": request.get("BV")}])
    paid = desk_fines_pay(patron=check.patron, amount_cents=amount, method=PaymentMethod.KIOSK,
                          library=session.library, actor=session.actor, now=now)  # fmt: skip
    session.refusal = paid.code
    return answer(paid.ok, screen(paid))
