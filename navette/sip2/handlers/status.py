"""SIP2 login (93): which kiosk this connection is."""

from __future__ import annotations

from navette.circulation.models import CirculationSettings, PenaltyKind
from navette.sip2 import codec
from navette.sip2.accounts import (
    is_locked,
    kiosk_for_login,
    kiosk_login_failed,
    kiosk_login_succeeded,
    password_matches,
)
from navette.sip2.codec import Request
from navette.sip2.handlers._common import Session, _now
from navette.sip2.models import Kiosk

# --- login and status ----------------------------------------------------------------------


def login_lookup(request: Request) -> Kiosk | None:
    """93, first step (a database thread): the account named by CN."""
    return kiosk_for_login(request.get("CN"))


def login_check(kiosk: Kiosk | None, request: Request) -> bool:
    """93, second step (a hashing thread, no database): whether CO is the password. A
    locked account is not checked at all."""
    if kiosk is not None and is_locked(kiosk, _now()):
        return False
    return password_matches(kiosk, request.get("CO"))


def login_finish(
    session: Session, request: Request, kiosk: Kiosk | None, ok: bool
) -> tuple[bytes, bool]:
    """93, last step (a database thread): on success the session is the kiosk's; a wrong
    password counts towards the account's lockout."""
    now = _now()
    if kiosk is None or not ok:
        if kiosk is not None and not is_locked(kiosk, now):
            kiosk_login_failed(kiosk=kiosk, peer=session.peer_ip, now=now)
        return login_refused(request), False
    session.kiosk_id = kiosk.pk
    session.kiosk_login = kiosk.login
    session.library = kiosk.library
    session.encoding = kiosk.encoding
    session.operations = frozenset(kiosk.allowed_operations or [])
    session.profile = kiosk.effective_profile()
    session.forget_patron()
    kiosk_login_succeeded(kiosk=kiosk, now=now)
    return codec.format_response(
        "94", ["1"], sequence=request.sequence, checksummed=request.checksummed
    ), True


def login(session: Session, request: Request) -> tuple[bytes, bool]:
    """93: check the kiosk's login (CN) and password (CO); on success the session is its.
    The three steps in one thread (tests); the server runs the hash in its own threads."""
    kiosk = login_lookup(request)
    return login_finish(session, request, kiosk, login_check(kiosk, request))


def login_refused(request: Request) -> bytes:
    """Any message before a successful login: a refused login (94, ok=0)."""
    return codec.format_response(
        "94", ["0"], sequence=request.sequence, checksummed=request.checksummed
    )


def fines_enabled() -> bool:

    return CirculationSettings.objects.filter(penalty=PenaltyKind.FINE).exists()
