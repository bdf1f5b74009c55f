"""The patron's portal session: who is logged in on this browser.

Authentication itself (PIN check, lockout) is a service; this module only
remembers the result in the Django session.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.http import HttpRequest

from navette.patrons.models import Patron

SESSION_KEY = "navette_patron_id"
#: set on a session opened on a public computer: the time of its last page (epoch seconds)
PUBLIC_SEEN_KEY = "navette_public_seen"


def login_patron(request: HttpRequest, patron: Patron, *, public_computer: bool = False) -> None:
    """Remember ``patron`` on this browser.

    On a public computer the session ends when the browser closes (a session cookie) or
    after NAVETTE_PUBLIC_COMPUTER_SESSION_MINUTES without a page, whichever comes first;
    otherwise it lasts SESSION_COOKIE_AGE."""
    request.session.cycle_key()  # no session fixation across a login
    request.session[SESSION_KEY] = patron.pk
    if public_computer:
        request.session.set_expiry(0)
        request.session[PUBLIC_SEEN_KEY] = int(time.time())
    else:
        request.session.pop(PUBLIC_SEEN_KEY, None)


def logout_patron(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.pop(PUBLIC_SEEN_KEY, None)
    request.session.cycle_key()


def _public_session_expired(request: HttpRequest) -> bool:
    """A public computer's session left idle too long: log the patron out."""
    seen = request.session.get(PUBLIC_SEEN_KEY)
    if seen is None:
        return False
    now = int(time.time())
    if now - int(seen) > settings.NAVETTE_PUBLIC_COMPUTER_SESSION_MINUTES * 60:
        logout_patron(request)
        return True
    if now - int(seen) >= 30:  # written at most every 30 s, not on every page
        request.session[PUBLIC_SEEN_KEY] = now
    return False


def current_patron(request: HttpRequest) -> Patron | None:
    """The logged-in patron, cached on the request, or None."""
    cached = getattr(request, "_navette_patron", False)
    if cached is not False:
        return cached  # type: ignore[return-value]
    patron_id = request.session.get(SESSION_KEY)
    if patron_id is not None and _public_session_expired(request):
        patron_id = None
    patron = None
    if patron_id is not None:
        patron = (
            Patron.objects.select_related("category", "home_library").filter(pk=patron_id).first()
        )
    request._navette_patron = patron  # type: ignore[attr-defined]
    return patron
