"""The patron's portal session: who is logged in on this browser.

Authentication itself (PIN check, lockout) is a service; this module only
remembers the result in the Django session.
"""

from __future__ import annotations

from django.http import HttpRequest

from navette.patrons.models import Patron

SESSION_KEY = "navette_patron_id"


def login_patron(request: HttpRequest, patron: Patron) -> None:
    request.session.cycle_key()  # no session fixation across a login
    request.session[SESSION_KEY] = patron.pk


def logout_patron(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()


def current_patron(request: HttpRequest) -> Patron | None:
    """The logged-in patron, cached on the request, or None."""
    cached = getattr(request, "_navette_patron", False)
    if cached is not False:
        return cached  # type: ignore[return-value]
    patron_id = request.session.get(SESSION_KEY)
    patron = None
    if patron_id is not None:
        patron = (
            Patron.objects.select_related("category", "home_library").filter(pk=patron_id).first()
        )
    request._navette_patron = patron  # type: ignore[attr-defined]
    return patron
