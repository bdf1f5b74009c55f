"""Kiosk logins: who the account is, its password checked apart from the database work,
and the lockout of an account after repeated wrong passwords (audited)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import F, Q

from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_record
from navette.sip2.models import Kiosk

#: a hash of a random password, checked against when the login is unknown: the same time
#: spent as for a real account, so that timing does not tell which logins exist
_DUMMY_HASH: list[str] = []


def kiosk_for_login(login: str) -> Kiosk | None:
    """The active kiosk account with this login (library and profile joined), or None."""
    if not login:
        return None
    return (
        Kiosk.objects.select_related("library", "profile")
        .filter(login=login, is_active=True, library__is_active=True)
        .first()
    )


def password_matches(kiosk: Kiosk | None, password: str) -> bool:
    """Whether ``password`` is the kiosk's. No database access: it runs in the server's
    hashing threads, never in a database thread (a hash takes tens of milliseconds)."""
    if kiosk is None or not kiosk.password_hash:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(make_password(None))
        check_password(password, _DUMMY_HASH[0])
        return False
    return check_password(password, kiosk.password_hash, setter=None)


def is_locked(kiosk: Kiosk, now: dt.datetime) -> bool:
    return kiosk.locked_until is not None and kiosk.locked_until > now


def _unlocked(now: dt.datetime) -> Q:
    return Q(locked_until__isnull=True) | Q(locked_until__lte=now)


def kiosk_login_failed(*, kiosk: Kiosk, peer: str, now: dt.datetime) -> dt.datetime | None:
    """Count one wrong password for ``kiosk``; after ``NAVETTE_SIP2_LOCKOUT_ATTEMPTS`` in a
    row the account is locked for ``NAVETTE_SIP2_LOCKOUT_MINUTES`` (even the right password
    is then refused), once, with an audit event naming the address. Returns the end of the
    lock when this failure locked it. Conditional updates: simultaneous failures all count
    and lock once."""
    with transaction.atomic():
        counted = (
            Kiosk.objects.filter(pk=kiosk.pk)
            .filter(_unlocked(now))
            .update(failed_logins=F("failed_logins") + 1)
        )
        if not counted:
            return None
        until = now + dt.timedelta(minutes=settings.NAVETTE_SIP2_LOCKOUT_MINUTES)
        locked = Kiosk.objects.filter(
            pk=kiosk.pk, failed_logins__gte=settings.NAVETTE_SIP2_LOCKOUT_ATTEMPTS
        ).update(failed_logins=0, locked_until=until)
        if not locked:
            return None
        audit_record(
            actor=Actor.kiosk(kiosk.pk, kiosk.login), action=AuditAction.KIOSK_LOGIN_LOCKED,
            now=now, library_id=kiosk.library_id, obj=kiosk,
            data={"address": peer, "until": until.isoformat()},
        )  # fmt: skip
    return until


def kiosk_login_succeeded(*, kiosk: Kiosk, now: dt.datetime) -> None:
    """Note the login and start the count of wrong passwords again (one statement)."""
    Kiosk.objects.filter(pk=kiosk.pk).update(last_login_at=now, failed_logins=0)
