"""SIP2 requests -> circulation services and selectors -> SIP2 responses.

No rules here: every decision (may this card borrow, may this copy be lent,
renewed, held) is taken by the circulation services, exactly as at the desk;
a refusal becomes ``ok=0`` with the service's French message in AF. What this
module decides is only protocol: which patron a message is about, whether the
patron proved their PIN in this session, and how to lay out the answer.

Every function here runs in a worker thread of the server (database access).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from navette.catalogue.models import DocType, Item, ItemStatus, Record
from navette.circulation.errors import CirculationError
from navette.circulation.messages import (
    checkin_message,
    decision_message,
    penalty_message,
    reason_message,
    renewed_message,
)
from navette.circulation.models import (
    CirculationSettings,
    Fine,
    Hold,
    HoldStatus,
    Loan,
    PaymentMethod,
    PenaltyKind,
)
from navette.circulation.models.loans import ACTIVE_HOLD_STATUSES
from navette.circulation.policies import Reason
from navette.circulation.selectors import patron_holds, patron_loans
from navette.circulation.selectors import patron_status as circulation_patron_status
from navette.circulation.services import (
    CheckinAction,
    fines_pay,
    hold_cancel,
    hold_change_pickup,
    hold_place,
    loan_checkin,
    loan_checkout,
    loan_renew,
    loans_renew_all,
)
from navette.core import clock
from navette.core.actors import Actor
from navette.core.errors import DomainError
from navette.core.money import euros, parse_euros
from navette.core.rows import RowQuery
from navette.network.models import Library
from navette.patrons.blocks import patron_block
from navette.patrons.models import Patron
from navette.patrons.services import patron_authenticate
from navette.sip2 import codec
from navette.sip2.codec import Request, count4, format_date, patron_status_flags, yn
from navette.sip2.models import Kiosk, KioskOperation

#: Which kiosk permission each request needs (login, status and resend need none).
OPERATION_FOR = {
    "23": KioskOperation.PATRON_STATUS,
    "63": KioskOperation.PATRON_STATUS,
    "35": KioskOperation.PATRON_STATUS,
    "11": KioskOperation.CHECKOUT,
    "09": KioskOperation.CHECKIN,
    "29": KioskOperation.RENEW,
    "65": KioskOperation.RENEW,
    "15": KioskOperation.HOLD,
    "17": KioskOperation.ITEM_INFORMATION,
    "01": KioskOperation.BLOCK_PATRON,
    "25": KioskOperation.PATRON_ENABLE,
    "37": KioskOperation.FEE_PAID,
    "19": KioskOperation.ITEM_STATUS_UPDATE,
}

#: SIP2 circulation status of each item status.
CIRCULATION_STATUS = {
    ItemStatus.AVAILABLE: "03",
    ItemStatus.ON_LOAN: "04",
    ItemStatus.ON_HOLD_SHELF: "08",
    ItemStatus.IN_TRANSIT: "10",
    ItemStatus.LOST: "12",
    ItemStatus.WITHDRAWN: "01",
    ItemStatus.DAMAGED: "01",
}

#: SIP2 media type of each document type (001 book, 002 magazine, 006 CD/DVD...).
MEDIA_TYPE = {
    DocType.BOOK: "001",
    DocType.LARGE_PRINT: "001",
    DocType.COMIC: "001",
    DocType.SCORE: "001",
    DocType.MAP: "001",
    DocType.MAGAZINE: "002",
    DocType.MUSIC: "006",
    DocType.AUDIOBOOK: "006",
    DocType.VIDEO: "006",
    DocType.VIDEO_GAME: "006",
}

LANGUAGE = "000"  # "unknown / default": the kiosk speaks the network's language
CURRENCY = "EUR"
DEFAULT_LIST_SIZE = 50


@dataclass
class Session:
    """The state of one connection: which kiosk, and which patron proved their PIN."""

    kiosk_id: int | None = None
    kiosk_login: str = ""
    library: Library | None = None
    encoding: str = "utf-8"
    operations: frozenset[str] = frozenset()
    peer_ip: str = "127.0.0.1"
    #: the card whose PIN was verified in this session, and a salted digest of that PIN
    patron_card: str = ""
    patron_pin_digest: bytes = b""
    salt: bytes = field(default_factory=lambda: secrets.token_bytes(16))

    @property
    def actor(self) -> Actor:
        assert self.kiosk_id is not None
        return Actor.kiosk(self.kiosk_id, self.kiosk_login)

    def pin_digest(self, pin: str) -> bytes:
        return hashlib.sha256(self.salt + pin.encode("utf-8")).digest()

    def forget_patron(self) -> None:
        self.patron_card = ""
        self.patron_pin_digest = b""


def _respond(
    session: Session, request: Request, code: str, fixed: list[str], fields: list
) -> bytes:
    return codec.format_response(
        code, fixed, fields, sequence=request.sequence, checksummed=request.checksummed,
        encoding=session.encoding,
    )  # fmt: skip


def _now() -> dt.datetime:
    return clock.now()


def _institution(session: Session, request: Request) -> str:
    return request.get("AO") or (session.library.code if session.library else "")


def _screen(messages: list[str]) -> list[tuple[str, str]]:
    return [("AF", m) for m in messages if m]


# --- login and status ----------------------------------------------------------------------


def login(session: Session, request: Request) -> tuple[bytes, bool]:
    """93: check the kiosk's login (CN) and password (CO); on success the session is its."""
    user, password = request.get("CN"), request.get("CO")
    kiosk = (
        Kiosk.objects.select_related("library").filter(login=user, is_active=True).first()
        if user
        else None
    )
    ok = kiosk is not None and kiosk.library.is_active and kiosk.check_password(password)
    if not ok:
        if kiosk is None:
            Kiosk().set_password(password)  # spend the time of a real check
        return codec.format_response(
            "94", ["0"], sequence=request.sequence, checksummed=request.checksummed
        ), False
    assert kiosk is not None
    session.kiosk_id = kiosk.pk
    session.kiosk_login = kiosk.login
    session.library = kiosk.library
    session.encoding = kiosk.encoding
    session.operations = frozenset(kiosk.allowed_operations or [])
    session.forget_patron()
    Kiosk.objects.filter(pk=kiosk.pk).update(last_login_at=_now())
    return codec.format_response(
        "94", ["1"], sequence=request.sequence, checksummed=request.checksummed
    ), True


def login_refused(request: Request) -> bytes:
    """Any message before a successful login: a refused login (94, ok=0)."""
    return codec.format_response(
        "94", ["0"], sequence=request.sequence, checksummed=request.checksummed
    )


def fines_enabled() -> bool:
    return CirculationSettings.objects.filter(penalty=PenaltyKind.FINE).exists()


def supported_codes(session: Session) -> set[str]:
    """The request codes this server answers *and* this kiosk is allowed to use."""
    codes = {"99", "97", "93"}
    for code, operation in OPERATION_FOR.items():
        if operation in session.operations and code in HANDLERS:
            codes.add(code)
    if "37" in codes and not fines_enabled():
        codes.discard("37")
    codes.discard("19")  # Navette keeps no item properties: a 19 is always refused
    return codes


def sc_status(session: Session, request: Request) -> bytes:
    """99 -> 98: what this kiosk may do, and the server's clock."""
    codes = supported_codes(session)
    library = session.library
    return _respond(
        session, request, "98",
        [
            "Y", yn("09" in codes), yn("11" in codes), yn("29" in codes), "N", "N",
            "030", "003", format_date(_now()), "2.00",
        ],
        [
            ("AO", _institution(session, request)),
            ("AM", library.name if library else ""),
            ("BX", codec.supported_messages(codes)),
            ("AN", session.kiosk_login),
        ],
    )  # fmt: skip


# --- patrons -------------------------------------------------------------------------------


@dataclass
class PatronCheck:
    patron: Patron | None
    #: True: PIN verified now or earlier in this session; False: wrong PIN; None: no PIN given
    pin_ok: bool | None
    message: str = ""

    @property
    def authenticated(self) -> bool:
        return self.patron is not None and self.pin_ok is True


#: what kiosk messages say of a library (its address and contact details are read only if
#: ever used)
_LIBRARY_BRIEF = ("network", "code", "name", "commune")
#: a card's patron, with category and home library (read at every kiosk message: SQL built once)
_PATRON_BY_CARD = RowQuery(
    Patron, "t.card_number = %s", related=("category", ("home_library", _LIBRARY_BRIEF))
)
#: a copy, with its title's type and title (not the MARC) and its libraries
_ITEM_BY_BARCODE = RowQuery(
    Item, "t.barcode = %s",
    related=(("record", ("doc_type", "title")), ("owning_library", _LIBRARY_BRIEF),
             ("current_library", _LIBRARY_BRIEF)),
)  # fmt: skip


def find_patron(card: str) -> Patron | None:
    card = "".join(card.split())
    if not card:
        return None
    return _PATRON_BY_CARD.first(card)


def check_patron(session: Session, request: Request) -> PatronCheck:
    """Who the message is about (AA), and whether they proved their PIN (AD) in this session.

    A PIN is checked by ``patron_authenticate`` (the portal's check, same lockout)
    once per session; later messages for the same card may repeat it or leave it out.
    """
    card = "".join(request.get("AA").split())
    pin = request.get("AD")
    if session.patron_card and session.patron_card != card:
        session.forget_patron()
    if pin:
        if session.patron_card == card and hmac.compare_digest(
            session.patron_pin_digest, session.pin_digest(pin)
        ):
            return PatronCheck(find_patron(card), True)
        try:
            patron_authenticate(card_number=card, pin=pin, now=_now(), ip=session.peer_ip)
        except DomainError as exc:
            session.forget_patron()
            return PatronCheck(find_patron(card), False, exc.message)
        session.patron_card = card
        session.patron_pin_digest = session.pin_digest(pin)
        return PatronCheck(find_patron(card), True)
    if session.patron_card and session.patron_card == card:
        return PatronCheck(find_patron(card), True)
    return PatronCheck(find_patron(card), None)


def _not_authenticated_message(check: PatronCheck) -> str:
    if check.patron is None:
        return _("Carte inconnue : adressez-vous à l'accueil.")
    return check.message or _("Identifiez-vous avec votre carte et votre code PIN.")


@dataclass
class Standing:
    flags: str
    valid: bool
    messages: list[str]
    fines_cents: int


def standing(patron: Patron | None) -> Standing:
    """The 14 patron-status flags and messages, from the circulation selector's verdict.

    Flags are a translation of the selector's refusal reason, not a decision: a card
    refused for being blocked or expired may not hold either (circulation refuses
    holds for exactly these two reasons), any refusal denies charging and renewing.
    """
    if patron is None:
        return Standing(patron_status_flags([0, 1, 2, 3]), False, [], 0)
    status = circulation_patron_status(patron, _now())
    denied: list[int] = []
    reason = status.can_borrow.reason
    if not status.can_borrow.allowed:
        denied += [0, 1, 2]
        if reason in (Reason.PATRON_BLOCKED, Reason.CARD_EXPIRED):
            denied.append(3)
        if reason == Reason.FINES_DUE:
            denied.append(10)
    messages = [] if status.can_borrow.allowed else [decision_message(status.can_borrow)]
    return Standing(patron_status_flags(denied), True, messages, status.fines_cents)


def _euros(cents: int) -> str:
    return str(Decimal(cents) / 100)


def _fee_fields(fines_cents: int) -> list[tuple[str, str | None]]:
    if not fines_cents:
        return []
    return [("BH", CURRENCY), ("BV", _euros(fines_cents))]


def patron_status_response(session: Session, request: Request, code: str = "24") -> bytes:
    """23 -> 24 (also the answer to 01 and, as 26, to 25)."""
    check = check_patron(session, request)
    info = standing(check.patron)
    name = check.patron.full_name if check.authenticated and check.patron else ""
    messages = list(info.messages) if check.authenticated else []
    if check.pin_ok is False or (check.patron is None and request.get("AA")):
        messages.insert(0, _not_authenticated_message(check))
    fields: list[tuple[str, str | None]] = [
        ("AO", _institution(session, request)),
        ("AA", request.get("AA")),
        ("AE", name),
        ("BL", yn(info.valid)),
        ("CQ", None if check.pin_ok is None else yn(check.pin_ok)),
    ]
    if code == "24" and check.authenticated:
        fields += _fee_fields(info.fines_cents)
    fields += _screen(messages)
    return _respond(session, request, code, [info.flags, LANGUAGE, format_date(_now())], fields)


def patron_status(session: Session, request: Request) -> bytes:
    return patron_status_response(session, request, "24")


def _range(request: Request) -> tuple[int, int]:
    def number(field_id: str, default: int) -> int:
        text = request.get(field_id)
        return int(text) if text.isdigit() and int(text) > 0 else default

    start = number("BP", 1)
    end = number("BQ", start + DEFAULT_LIST_SIZE - 1)
    return start, max(start, min(end, start + DEFAULT_LIST_SIZE - 1))


def patron_information(session: Session, request: Request) -> bytes:
    """63 -> 64: counts, the list asked for in the summary (BP..BQ), contact details."""
    check = check_patron(session, request)
    info = standing(check.patron)
    now = _now()
    today = clock.today(now)
    counts = ["    "] * 6
    lists: list[tuple[str, str]] = []
    messages: list[str] = []
    fields: list[tuple[str, str | None]] = [
        ("AO", _institution(session, request)),
        ("AA", request.get("AA")),
    ]
    if check.authenticated and check.patron is not None:
        patron = check.patron
        loans = list(patron_loans(patron))
        holds = patron_holds(patron)
        fines = list(
            Fine.objects.filter(patron_id=patron.pk, paid_at__isnull=True)
            .select_related("loan__item__record")
            .order_by("created_at", "pk")
        )
        ready = [h for h in holds if h.hold.status == HoldStatus.READY]
        unavailable = [h for h in holds if h.hold.status != HoldStatus.READY]
        overdue = [loan for loan in loans if loan.due_on < today]
        counts = [
            count4(len(ready)), count4(len(overdue)), count4(len(loans)), count4(len(fines)),
            count4(0), count4(len(unavailable)),
        ]  # fmt: skip
        start, end = _range(request)
        wanted = codec.summary_index(request.fixed.get("summary", ""))

        def hold_label(view) -> str:
            item = view.hold.trapped_item or view.hold.item
            return item.barcode if item is not None else view.hold.record.title

        chosen: list[tuple[str, str]] = []
        if wanted == 0:
            chosen = [("AS", hold_label(h)) for h in ready]
        elif wanted == 1:
            chosen = [("AT", loan.item.barcode) for loan in overdue]
        elif wanted == 2:
            chosen = [("AU", loan.item.barcode) for loan in loans]
        elif wanted == 3:
            chosen = [
                ("AV", f"{_euros(f.due_cents)} {CURRENCY} {f.loan.item.record.title}")
                for f in fines
            ]
        elif wanted == 5:
            chosen = [("CD", hold_label(h)) for h in unavailable]
        lists = chosen[start - 1 : end]
        fields += [("AE", patron.full_name), ("BL", "Y"), ("CQ", "Y")]
        fields += _fee_fields(info.fines_cents)
        fields += lists
        address = " ".join(p for p in (patron.street, patron.postcode, patron.city) if p)
        fields += [
            ("BD", address or None),
            ("BE", patron.email or None),
            ("BF", patron.phone or None),
        ]
        messages = list(info.messages)
    else:
        fields += [
            ("AE", ""),
            ("BL", yn(info.valid)),
            ("CQ", None if check.pin_ok is None else "N"),
        ]
        if request.get("AA"):
            messages = [_not_authenticated_message(check)]
    fields += _screen(messages)
    return _respond(
        session, request, "64", [info.flags, LANGUAGE, format_date(now), *counts], fields
    )


def end_session(session: Session, request: Request) -> bytes:
    """35 -> 36: forget the patron of this session."""
    session.forget_patron()
    return _respond(
        session, request, "36", ["Y", format_date(_now())],
        [("AO", _institution(session, request)), ("AA", request.get("AA"))],
    )  # fmt: skip


def block_patron(session: Session, request: Request) -> bytes:
    """01 -> 24: the kiosk blocks the card (card swallowed, suspected fraud), with its reason (AL)."""
    patron = find_patron(request.get("AA"))
    if patron is not None:
        reason = request.get("AL") or _("carte bloquée par l'automate")
        if request.flag("card_retained"):
            reason = _("%(reason)s (carte retenue par l'automate)") % {"reason": reason}
        patron_block(patron=patron, reason=reason, actor=session.actor, now=_now())
        session.forget_patron()
    check = PatronCheck(find_patron(request.get("AA")), None)
    info = standing(check.patron)
    return _respond(
        session, request, "24", [info.flags, LANGUAGE, format_date(_now())],
        [("AO", _institution(session, request)), ("AA", request.get("AA")), ("AE", ""),
         ("BL", yn(info.valid)), *_screen(info.messages)],
    )  # fmt: skip


def patron_enable(session: Session, request: Request) -> bytes:
    """25 -> 26: the card's standing. Blocks are lifted at the desk, never by a machine."""
    return patron_status_response(session, request, "26")


# --- items ---------------------------------------------------------------------------------


def find_item(barcode: str) -> Item | None:
    barcode = barcode.strip()
    if not barcode:
        return None
    return _ITEM_BY_BARCODE.first(barcode)


def _unknown_item(barcode: str) -> str:
    return reason_message(Reason.ITEM_NOT_FOUND, barcode=barcode)


def _not_permitted() -> str:
    return _("Opération non permise sur cet automate : adressez-vous à l'accueil.")


def _due(day: dt.date) -> str:
    """A due date as a SIP2 date: the end of the due day, local time."""
    return format_date(clock.paris_datetime(day, dt.time(23, 59, 59)))


def _loan_response(
    session: Session, request: Request, code: str, *, ok: bool, renewal: bool,
    item: Item | None, due: dt.date | None, messages: list[str],
) -> bytes:  # fmt: skip
    fields: list[tuple[str, str | None]] = [
        ("AO", _institution(session, request)),
        ("AA", request.get("AA")),
        ("AB", request.get("AB")),
        ("AJ", item.record.title if item is not None else ""),
        ("AH", _due(due) if due is not None else ""),
        ("CK", MEDIA_TYPE.get(item.doc_type, "000") if item is not None else None),  # type: ignore[call-overload]
        *_screen(messages),
    ]
    fixed = [
        "1" if ok else "0", yn(renewal), "N", yn(ok), format_date(_now()),
    ]  # fmt: skip
    if not ok:
        fixed[2] = "U"
    return _respond(session, request, code, fixed, fields)


def checkout(session: Session, request: Request) -> bytes:
    """11 -> 12: lend the copy with ``loan_checkout``; with SC renewal policy Y, a copy
    already lent to this patron is renewed with ``loan_renew`` instead."""
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
    try:
        loan = loan_checkout(
            item=item, patron=check.patron, library=session.library, actor=session.actor, now=now
        )
    except CirculationError as exc:
        if exc.reason == Reason.ITEM_ALREADY_LENT_TO_PATRON and request.flag("sc_renewal_policy"):
            current = Loan.objects.filter(item_id=item.pk, returned_at__isnull=True).first()
            if current is not None:
                try:
                    renewed = loan_renew(
                        loan=current, actor=session.actor, now=now, library=session.library
                    )
                except CirculationError as renew_exc:
                    return _loan_response(session, request, "12", ok=False, renewal=False, item=item,
                                          due=None, messages=[renew_exc.message])  # fmt: skip
                return _loan_response(session, request, "12", ok=True, renewal=True, item=item,
                                      due=renewed.due_on, messages=[_("Prêt prolongé.")])  # fmt: skip
        return _loan_response(session, request, "12", ok=False, renewal=False, item=item, due=None,
                              messages=[exc.message])  # fmt: skip
    except DomainError as exc:
        return _loan_response(session, request, "12", ok=False, renewal=False, item=item, due=None,
                              messages=[exc.message])  # fmt: skip
    return _loan_response(session, request, "12", ok=True, renewal=False, item=item, due=loan.due_on,
                          messages=[_("Prêt enregistré : à rendre le %(day)s.")
                                    % {"day": loan.due_on.strftime("%d/%m/%Y")}])  # fmt: skip


def checkin(session: Session, request: Request) -> bytes:
    """09 -> 10: return the copy with ``loan_checkin``. A copy trapped for a hold or
    bound for another library raises the alert, with the destination in the sort bin (CL)
    and the service's message in AF."""
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
    try:
        result = loan_checkin(item=item, library=session.library, actor=session.actor, now=now)
    except DomainError as exc:
        fields += [
            ("AQ", item.owning_library.code),
            ("AJ", item.record.title),
            *_screen([exc.message]),
        ]
        return _respond(session, request, "10", ["0", "N", "U", "N", format_date(now)], fields)
    alert = result.action != CheckinAction.SHELVE
    destination = result.destination.code if result.destination is not None else None
    messages = [checkin_message(result), penalty_message(result)]
    fields += [
        ("AQ", item.owning_library.code),
        ("AJ", item.record.title),
        ("CL", destination if alert else None),
        ("CK", MEDIA_TYPE.get(item.doc_type, "000")),  # type: ignore[call-overload]
        *_screen(messages),
    ]
    return _respond(session, request, "10", ["1", "Y", "N", yn(alert), format_date(now)], fields)


def renew(session: Session, request: Request) -> bytes:
    """29 -> 30: renew the patron's loan of this copy with ``loan_renew``."""
    check = check_patron(session, request)
    item = find_item(request.get("AB"))
    if not check.authenticated or check.patron is None:
        return _loan_response(session, request, "30", ok=False, renewal=False, item=item, due=None,
                              messages=[_not_authenticated_message(check)])  # fmt: skip
    if item is None:
        return _loan_response(session, request, "30", ok=False, renewal=False, item=None, due=None,
                              messages=[_unknown_item(request.get("AB"))])  # fmt: skip
    loan = Loan.objects.filter(
        item_id=item.pk, patron_id=check.patron.pk, returned_at__isnull=True
    ).first()
    if loan is None:
        return _loan_response(session, request, "30", ok=False, renewal=False, item=item, due=None,
                              messages=[reason_message(Reason.LOAN_CLOSED)])  # fmt: skip
    try:
        renewed = loan_renew(loan=loan, actor=session.actor, now=_now(), library=session.library)
    except DomainError as exc:
        return _loan_response(session, request, "30", ok=False, renewal=False, item=item, due=None,
                              messages=[exc.message])  # fmt: skip
    return _loan_response(session, request, "30", ok=True, renewal=True, item=item, due=renewed.due_on,
                          messages=[renewed_message(renewed.due_on)])  # fmt: skip


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


def item_information(session: Session, request: Request) -> bytes:
    """17 -> 18: status, due date, hold queue, owning and current library."""
    item = find_item(request.get("AB"))
    now = _now()
    if item is None:
        return _respond(session, request, "18", ["01", "00", "01", format_date(now)],
                        [("AB", request.get("AB")), ("AJ", ""),
                         *_screen([_unknown_item(request.get("AB"))])])  # fmt: skip
    loan = Loan.objects.filter(item_id=item.pk, returned_at__isnull=True).only("due_on").first()
    queue = Hold.objects.filter(
        Q(item_id=item.pk) | Q(item__isnull=True, record_id=item.record_id),
        status=HoldStatus.WAITING,
    ).count()
    ready = (
        Hold.objects.filter(trapped_item_id=item.pk, status=HoldStatus.READY)
        .values_list("shelf_expires_on", flat=True)
        .first()
    )
    fields: list[tuple[str, str | None]] = [
        ("CF", str(queue)),
        ("AH", _due(loan.due_on) if loan is not None else None),
        ("CM", _due(ready) if ready else None),
        ("AB", item.barcode),
        ("AJ", item.record.title),
        ("BG", item.owning_library.code),
        ("CK", MEDIA_TYPE.get(item.doc_type, "000")),  # type: ignore[call-overload]
        ("AQ", item.owning_library.code),
        ("AP", item.current_library.code),
        *_screen([item.get_status_display()]),
    ]
    status = CIRCULATION_STATUS.get(item.status, "01")  # type: ignore[call-overload]
    return _respond(session, request, "18", [status, "02", "01", format_date(now)], fields)


def item_status_update(session: Session, request: Request) -> bytes:
    """19 -> 20: refused. Navette keeps no free-form item properties for machines to write."""
    item = find_item(request.get("AB"))
    return _respond(
        session, request, "20", ["0", format_date(_now())],
        [("AB", request.get("AB")), ("AJ", item.record.title if item else None),
         *_screen([_("Mise à jour des exemplaires non prise en charge : adressez-vous à l'accueil.")])],
    )  # fmt: skip


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
            position = _queue_position(held)
            return answer(True, [_("Réservation enregistrée, retrait à %(library)s.")
                                 % {"library": held.pickup_library.short_name}], held, position)  # fmt: skip
        existing = (
            Hold.objects.select_related("pickup_library")
            .filter(patron_id=patron.pk, record_id=record.pk, status__in=ACTIVE_HOLD_STATUSES)
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
                          changed, _queue_position(changed))  # fmt: skip
    except DomainError as exc:
        return answer(False, [exc.message])
    return answer(False, [_("Mode de réservation inconnu : %(mode)s.") % {"mode": mode}])


def _queue_position(held) -> int | None:

    if held.status != HoldStatus.WAITING:
        return None
    return (
        1
        + Hold.objects.filter(record_id=held.record_id, status=HoldStatus.WAITING)
        .filter(Q(placed_at__lt=held.placed_at) | Q(placed_at=held.placed_at, pk__lt=held.pk))
        .count()
    )


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


HANDLERS: dict[str, Callable[[Session, Request], bytes]] = {
    "99": sc_status,
    "23": patron_status,
    "63": patron_information,
    "35": end_session,
    "11": checkout,
    "09": checkin,
    "29": renew,
    "65": renew_all,
    "17": item_information,
    "15": hold,
    "01": block_patron,
    "25": patron_enable,
    "37": fee_paid,
    "19": item_status_update,
}


def dispatch(session: Session, request: Request) -> bytes:
    """Answer one request of a logged-in kiosk."""
    handler = HANDLERS.get(request.code)
    if handler is None:
        return failure(session, request)
    operation = OPERATION_FOR.get(request.code)
    if operation is not None and operation not in session.operations:
        return refused(session, request, _not_permitted())
    return handler(session, request)


def refused(session: Session, request: Request, message: str) -> bytes:
    """The message's own response with ok=0 (or its equivalent) and ``message`` in AF."""
    now = format_date(_now())
    ao = ("AO", _institution(session, request))
    aa = ("AA", request.get("AA"))
    ab = ("AB", request.get("AB"))
    af = ("AF", message)
    blank = patron_status_flags([0, 1, 2, 3])
    layouts: dict[str, tuple[list[str], list]] = {
        "24": ([blank, LANGUAGE, now], [ao, aa, ("AE", ""), af]),
        "64": ([blank, LANGUAGE, now, *(["    "] * 6)], [ao, aa, ("AE", ""), af]),
        "36": (["N", now], [ao, aa, af]),
        "12": (["0", "N", "U", "N", now], [ao, aa, ab, ("AJ", ""), ("AH", ""), af]),
        "30": (["0", "N", "U", "N", now], [ao, aa, ab, ("AJ", ""), ("AH", ""), af]),
        "10": (["0", "N", "U", "N", now], [ao, ab, ("AQ", ""), af]),
        "66": (["0", "0000", "0000", now], [ao, af]),
        "18": (["01", "00", "01", now], [ab, ("AJ", ""), af]),
        "16": (["0", "N", now], [ao, aa, af]),
        "26": ([blank, LANGUAGE, now], [ao, aa, ("AE", ""), af]),
        "38": (["N", now], [ao, aa, af]),
        "20": (["0", now], [ab, af]),
        "98": (["N", "N", "N", "N", "N", "N", "030", "003", now, "2.00"],
               [ao, ("BX", "N" * 16), af]),
    }  # fmt: skip
    code = codec.RESPONSE_TO.get(request.code, "96")
    if code not in layouts:
        return codec.resend_request(checksummed=request.checksummed)
    fixed, fields = layouts[code]
    return _respond(session, request, code, fixed, fields)


def failure(session: Session, request: Request) -> bytes:
    """The answer when a handler failed unexpectedly: a refusal, never a dropped connection."""
    return refused(
        session, request, _("Erreur du serveur : veuillez réessayer ou vous adresser à l'accueil.")
    )
