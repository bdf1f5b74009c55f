"""SIP2 login (93): which kiosk this connection is."""

from __future__ import annotations

from navette.circulation.models import CirculationSettings, PenaltyKind
from navette.sip2 import codec
from navette.sip2.codec import Request
from navette.sip2.handlers._common import Session, _now
from navette.sip2.models import Kiosk

# --- login and status ----------------------------------------------------------------------


def login(session: Session, request: Request) -> tuple[bytes, bool]:
    """93: check the kiosk's login (CN) and password (CO); on success the session is its."""
    user, password = request.get("CN"), request.get("CO")
    kiosk = (
        Kiosk.objects.select_related("library", "profile")
        .filter(login=user, is_active=True)
        .first()
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
    session.profile = kiosk.effective_profile()
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
