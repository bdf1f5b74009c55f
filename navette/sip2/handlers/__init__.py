"""SIP2 requests -> circulation services and selectors -> SIP2 responses.

No rules here: every decision (may this card borrow, may this copy be lent,
renewed, held) is taken by the circulation services, exactly as at the desk;
a refusal becomes ``ok=0`` with the service's French message in AF. What this
module decides is only protocol: which patron a message is about, whether the
patron proved their PIN in this session, and how to lay out the answer.

Every function here runs in a worker thread of the server (database access). One module
per subject: ``status`` (login), ``patron``, ``circulation``, ``items``; what they share is
in ``_common``; this module dispatches a request to its handler.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from navette.sip2 import codec
from navette.sip2.activity import OK, activity_count
from navette.sip2.codec import Request, count4, format_date, patron_status_flags, yn
from navette.sip2.handlers._common import (
    OPERATION_FOR,
    Session,
    _institution,
    _not_permitted,
    _now,
    _respond,
)
from navette.sip2.handlers.circulation import checkin, checkout, fee_paid, hold, renew, renew_all
from navette.sip2.handlers.items import item_information, item_status_update
from navette.sip2.handlers.patron import (
    block_patron,
    end_session,
    patron_enable,
    patron_information,
    patron_status,
)
from navette.sip2.handlers.status import (
    fines_enabled,
    login,
    login_check,
    login_finish,
    login_lookup,
    login_refused,
)


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


__all__ = [
    "HANDLERS", "Session", "dispatch", "failure", "login", "login_check", "login_finish",
    "login_lookup", "login_refused",
]  # fmt: skip

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
    """Answer one request of a logged-in kiosk, in the language it asked for (or its
    profile's)."""
    session.answer_language(request)
    session.refusal = ""
    with translation.override(session.django_language or settings.LANGUAGE_CODE):
        handler = HANDLERS.get(request.code)
        operation = OPERATION_FOR.get(request.code)
        if handler is None:
            response = failure(session, request)
            session.refusal = "unsupported"
        elif operation is not None and operation not in session.operations:
            response = refused(session, request, _not_permitted())
            session.refusal = "not_permitted"
        else:
            response = handler(session, request)
    assert session.kiosk_id is not None
    activity_count(kiosk_id=session.kiosk_id, message=request.code,
                   outcome=_outcome(session, response), now=_now())  # fmt: skip
    return response


#: where a response's ok flag is (the byte after the two-digit code), by response code
_OK_FLAG = {"12", "10", "30", "16", "38", "66", "20"}


def _outcome(session: Session, response: bytes) -> str:
    """``ok``, or why the request was refused (the code a handler noted, else ``refused``)."""
    if response[:2] in (b"96",) or (
        response[:2].decode() in _OK_FLAG and response[2:3] not in (b"1", b"Y")
    ):
        return session.refusal or "refused"
    return OK


def refused(session: Session, request: Request, message: str) -> bytes:
    """The message's own response with ok=0 (or its equivalent) and ``message`` in AF."""
    now = format_date(_now())
    ao = ("AO", _institution(session, request))
    aa = ("AA", request.get("AA"))
    ab = ("AB", request.get("AB"))
    af = ("AF", message)
    blank = patron_status_flags([0, 1, 2, 3])
    language = session.language
    counts = [count4(0 if session.profile.counts_as_zero else None)] * 6
    layouts: dict[str, tuple[list[str], list[tuple[str, str | None]]]] = {
        "24": ([blank, language, now], [ao, aa, ("AE", ""), af]),
        "64": ([blank, language, now, *counts], [ao, aa, ("AE", ""), af]),
        "36": (["N", now], [ao, aa, af]),
        "12": (["0", "N", "U", "N", now], [ao, aa, ab, ("AJ", ""), ("AH", ""), af]),
        "30": (["0", "N", "U", "N", now], [ao, aa, ab, ("AJ", ""), ("AH", ""), af]),
        "10": (["0", "N", "U", "N", now], [ao, ab, ("AQ", ""), af]),
        "66": (["0", "0000", "0000", now], [ao, af]),
        "18": (["01", "00", "01", now], [ab, ("AJ", ""), af]),
        "16": (["0", "N", now], [ao, aa, af]),
        "26": ([blank, language, now], [ao, aa, ("AE", ""), af]),
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
