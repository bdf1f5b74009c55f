"""What every SIP2 handler shares: the session, the answer's layout, finding the patron
and the copy a message is about, the patron's standing."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from navette.catalogue.models import DocType, Item, ItemStatus
from navette.circulation.messages import (
    decision_message,
    reason_message,
)
from navette.circulation.reasons import Reason
from navette.circulation.selectors import patron_status
from navette.core import clock
from navette.core.actors import Actor
from navette.core.errors import DomainError
from navette.desk.identifiers import kiosk_item_by_barcode, kiosk_patron_by_card, normal_card
from navette.network.models import Library
from navette.patrons.models import Patron
from navette.patrons.services import patron_authenticate
from navette.sip2 import codec
from navette.sip2.codec import Request, format_date, patron_status_flags, yn
from navette.sip2.models import (
    SIP2_LANGUAGES,
    ExtensionField,
    KioskOperation,
    KioskProfile,
    LanguageRule,
    PinRule,
)

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
    ItemStatus.IN_REPAIR: "01",
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
    #: how this make of machine is answered (the defaults until the login reads the kiosk's)
    profile: KioskProfile = field(default_factory=lambda: KioskProfile(name=""))
    #: the SIP2 language the answers are in (asked in 23 or 63, or the profile's fixed one)
    language: str = LANGUAGE
    #: why the current request is refused (an outcome code), for the kiosk monitor
    refusal: str = ""
    peer_ip: str = "127.0.0.1"
    #: the card whose PIN was verified in this session, and a salted digest of that PIN
    patron_card: str = ""
    patron_pin_digest: bytes = b""
    salt: bytes = field(default_factory=lambda: secrets.token_bytes(16))

    @property
    def attempts_key(self) -> str:
        """What failed PINs are counted under besides the card: this kiosk, not the
        address (machines behind one NAT, and the portal, count apart)."""
        return f"sip2:{self.kiosk_id}" if self.kiosk_id is not None else self.peer_ip

    @property
    def actor(self) -> Actor:
        assert self.kiosk_id is not None
        return Actor.kiosk(self.kiosk_id, self.kiosk_login)

    def pin_digest(self, pin: str) -> bytes:
        return hashlib.sha256(self.salt + pin.encode("utf-8")).digest()

    def forget_patron(self) -> None:
        self.patron_card = ""
        self.patron_pin_digest = b""

    def answer_language(self, request: Request) -> str:
        """The SIP2 language of the answer to ``request``, remembered for the next ones:
        the profile's fixed language, or the one the machine asked for when Navette speaks
        it ("000", the network's language, otherwise)."""
        if self.profile.language == LanguageRule.FIXED:
            self.language = self.profile.fixed_language
        elif "language" in request.fixed:
            asked = request.fixed["language"]
            self.language = asked if asked in SIP2_LANGUAGES else LANGUAGE
        return self.language

    @property
    def django_language(self) -> str | None:
        """The Django language of the answers (None: the network's)."""
        return SIP2_LANGUAGES.get(self.language)


def _respond(
    session: Session, request: Request, code: str, fixed: list[str],
    fields: list[tuple[str, str | None]],
) -> bytes:  # fmt: skip
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


# --- patrons -------------------------------------------------------------------------------


@dataclass
class PatronCheck:
    patron: Patron | None
    #: True: PIN verified now or earlier in this session; False: wrong PIN; None: no PIN given
    pin_ok: bool | None
    message: str = ""
    #: no PIN given and the kiosk's profile does not ask for one: the card is enough
    trusted: bool = False

    @property
    def authenticated(self) -> bool:
        return self.patron is not None and (
            self.pin_ok is True or (self.pin_ok is None and self.trusted)
        )


def find_patron(card: str) -> Patron | None:
    """The patron of the card a kiosk sent (AA), as the desk finds it."""
    return kiosk_patron_by_card(card)


def check_patron(session: Session, request: Request, operation: str) -> PatronCheck:
    """Who the message is about (AA), and whether they proved their PIN (AD) in this session.

    A PIN is checked by ``patron_authenticate`` (the portal's check, same lockout per
    card; the failures counted per kiosk rather than per address) once per session; later
    messages for the same card may repeat it or leave it out. The kiosk's profile says,
    for ``operation``, whether a PIN is needed (``always``), checked only when sent
    (``if_sent``) or ignored (``never``).
    """

    rule = session.profile.pin_rule(operation)
    card = normal_card(request.get("AA"))
    pin = request.get("AD") if rule != PinRule.NEVER else ""
    if session.patron_card and session.patron_card != card:
        session.forget_patron()
    if pin:
        if session.patron_card == card and hmac.compare_digest(
            session.patron_pin_digest, session.pin_digest(pin)
        ):
            return PatronCheck(find_patron(card), True)
        try:
            patron_authenticate(card_number=card, pin=pin, now=_now(), ip=session.attempts_key)
        except DomainError as exc:
            session.forget_patron()
            return PatronCheck(find_patron(card), False, exc.message)
        session.patron_card = card
        session.patron_pin_digest = session.pin_digest(pin)
        return PatronCheck(find_patron(card), True)
    if session.patron_card and session.patron_card == card:
        return PatronCheck(find_patron(card), True)
    return PatronCheck(find_patron(card), None, trusted=rule != PinRule.ALWAYS)


def patron_name(session: Session, check: PatronCheck) -> str:
    """The patron's name (AE) when identified, or when the profile gives it without a PIN."""
    if check.patron is None:
        return ""
    if check.authenticated or session.profile.name_without_pin:
        return check.patron.full_name
    return ""


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
    status = patron_status(patron, _now())
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


# --- items ---------------------------------------------------------------------------------


def find_item(barcode: str) -> Item | None:
    """The copy a kiosk scanned (AB), as the desk finds it."""
    return kiosk_item_by_barcode(barcode)


def _unknown_item(barcode: str) -> str:

    return reason_message(Reason.ITEM_NOT_FOUND, barcode=barcode)


def _not_permitted() -> str:
    return _("Opération non permise sur cet automate : adressez-vous à l'accueil.")


def _due(day: dt.date) -> str:
    """A due date as a SIP2 date: the end of the due day, local time."""
    return format_date(clock.paris_datetime(day, dt.time(23, 59, 59)))


def _media_type(session: Session, item: Item | None) -> str | None:
    """CK, when the profile sends it."""
    if item is None or not session.profile.media_type:
        return None
    return str(MEDIA_TYPE.get(item.doc_type, "000"))  # type: ignore[call-overload]


def _ymd(day: dt.date | None) -> str | None:
    return day.strftime("%Y%m%d") if day is not None else None


def patron_extension_fields(session: Session, patron: Patron) -> list[tuple[str, str | None]]:
    """PA, PB, PC for an identified patron, as the profile asks (``ExtensionField``)."""
    sends = session.profile.sends
    return [
        ("PA", _ymd(patron.membership_expires_on) if sends(ExtensionField.PATRON_EXPIRY) else None),
        ("PB", _ymd(patron.birth_date) if sends(ExtensionField.PATRON_BIRTH) else None),
        ("PC", patron.category.code if sends(ExtensionField.PATRON_CATEGORY) else None),
    ]


def shelf_fields(session: Session, item: Item) -> list[tuple[str, str | None]]:
    """CS (call number) and CR (shelving location), for sorters, when the profile asks."""
    if not session.profile.sends(ExtensionField.SORTING):
        return []
    return [("CS", item.call_number or None), ("CR", item.shelving_location or None)]


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
        ("CK", _media_type(session, item)),
        *_screen(messages),
    ]
    # a renewed copy stays in the patron's bag: nothing to desensitize
    fixed = [
        "1" if ok else "0", yn(renewal), "N", yn(ok and code != "30"), format_date(_now()),
    ]  # fmt: skip
    if not ok:
        fixed[2] = "U"
    return _respond(session, request, code, fixed, fields)
