"""Staff and administrator login throttling, on django-axes.

An account is locked after ``NAVETTE_STAFF_LOCKOUT_ATTEMPTS`` failed logins, and a client
address after ``NAVETTE_STAFF_MAX_FAILURES_PER_ADDRESS`` failures whatever the accounts
tried, both for ``NAVETTE_STAFF_LOCKOUT_MINUTES``. While locked, the password is not even
checked. Every failure is kept in axes' failure log; the moment an account or an address
becomes locked is written to the audit journal.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.signals import user_locked_out
from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from navette.core import clock
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_record

AUDIT_LOCKOUT = AuditAction.AUTH_STAFF_LOGIN_LOCKED_OUT


class StaffLoginBackend(AxesStandaloneBackend):
    """Axes' guard, for logins that come with a request (every web login form).

    ``authenticate()`` without a request is not a web login (the test client, a shell):
    there is no client to count, so the guard stands aside instead of failing."""

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


class StaffLoginHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per account and a higher one per address.

    Axes compares one failure count with one limit (``AXES_FAILURE_LIMIT``, the per-account
    limit). The failures counted per address are shifted down by the difference between the
    two limits, so that the address reaches the limit only at its own threshold."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        by_account, by_address = (
            attempts.values_list("failures_since_start", flat=True)
            for attempts in self.get_user_attempts(request, credentials)
        )
        shift = settings.NAVETTE_STAFF_MAX_FAILURES_PER_ADDRESS - settings.AXES_FAILURE_LIMIT
        return max(sum(by_account), sum(by_address) - shift)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The page shown instead of a login while locked (429): says for how long, never
    whether the account exists nor which of the account or the address is locked."""
    return render(
        request,
        "staff/locked_out.html",
        {"minutes": settings.NAVETTE_STAFF_LOCKOUT_MINUTES},
        status=429,
    )


@receiver(user_locked_out)
def audit_lockout(
    sender: Any, request: HttpRequest, username: str, ip_address: str, **kwargs: Any
) -> None:
    """Write the moment a login becomes locked to the audit journal (once, not for every
    refused attempt that follows)."""
    if getattr(request, "axes_failures_since_start", None) != settings.AXES_FAILURE_LIMIT:
        return
    with transaction.atomic():
        audit_record(
            actor=Actor.system("login-throttle"),
            action=AUDIT_LOCKOUT,
            now=clock.now(),
            object_type="user",
            object_id=(username or "")[:64],
            data={"username": username or "", "address": ip_address or "", "path": request.path},
        )
