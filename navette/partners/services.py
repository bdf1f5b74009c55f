"""API keys: created by network administrators, checked and counted on every call."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F

from navette.core.actions import AuditAction
from navette.core.actors import Actor, ActorKind
from navette.core.audit import audit_record
from navette.core.errors import DomainError, ValidationFailed
from navette.network.models import Library
from navette.network.scope import OutOfScope, scope_check
from navette.partners.models import ApiKey, ApiKeyWindow, Scope


class ApiKeyRefused(DomainError):
    """No key, an unknown or revoked key (code ``invalid_key``), or a key without the scope
    the endpoint needs (``scope_missing``)."""

    code = "invalid_key"


class RateLimited(DomainError):
    """Over the key's calls per minute; ``context["retry_after"]`` is in seconds."""

    code = "rate_limited"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(
    *, name: str, scopes: list[str], rate_per_minute: int, actor: Actor, user_id: int | None,
    is_network_admin: bool, now: dt.datetime, library_id: int | None = None,
) -> tuple[ApiKey, str]:  # fmt: skip
    """Create a key; return it and the token to hand over (shown once, never stored).

    Only a network administrator may (ValidationFailed code ``not_allowed``);
    unknown scopes and a rate under 1 are refused (``bad_scope``, ``bad_rate``); the
    circulation scope needs the library the partner lends at (``library_needed``).
    """
    if actor.kind != ActorKind.STAFF or not is_network_admin:
        raise ValidationFailed(code="not_allowed")
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown or not scopes:
        raise ValidationFailed(code="bad_scope", scopes=unknown)
    if rate_per_minute < 1:
        raise ValidationFailed(code="bad_rate")
    if Scope.CIRCULATION in scopes and library_id is None:
        raise ValidationFailed(code="library_needed")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        key = ApiKey.objects.create(
            name=name, prefix=prefix, secret_hash=_hash(secret), scopes=sorted(set(scopes)),
            rate_per_minute=rate_per_minute, created_by_id=user_id, created_at=now,
            library_id=library_id,
        )  # fmt: skip
        audit_record(actor=actor, action=AuditAction.API_KEY_CREATE, now=now, obj=key,
                     library_id=library_id,
                     data={"name": name, "scopes": key.scopes})  # fmt: skip
    return key, f"{prefix}.{secret}"


@dataclass(frozen=True)
class Caller:
    key_id: int
    name: str
    #: the library a circulation partner acts at (None for other keys)
    library_id: int | None = None

    @property
    def actor(self) -> Actor:
        return Actor(ActorKind.SYSTEM, self.key_id, f"api_key:{self.key_id}")


def api_call_admit(*, token: str, scope: str, method: str, path: str, now: dt.datetime) -> Caller:
    """Check a token for ``scope``, count the call in its minute, audit it; return the caller.

    Raises ApiKeyRefused (unknown, revoked, wrong secret, scope missing) or
    RateLimited (over the key's calls per minute). Every call with a known key
    is audited, refused ones too.
    """
    prefix, _dot, secret = token.partition(".")
    key = ApiKey.objects.filter(prefix=prefix, is_active=True).first() if secret else None
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(secret)):
        raise ApiKeyRefused()
    caller = Caller(key.pk, key.name, key.library_id)
    data = {"method": method, "path": path[:300], "scope": scope}
    if scope not in key.scopes:
        audit_record(actor=caller.actor, action=AuditAction.API_KEY_CALL, now=now, obj=key,
                     data={**data, "outcome": "scope_missing"})  # fmt: skip
        raise ApiKeyRefused(code="scope_missing", scope=scope)
    minute = now.replace(second=0, microsecond=0)
    with transaction.atomic():
        under_rate = ApiKeyWindow.objects.filter(
            key=key, minute=minute, calls__lt=key.rate_per_minute
        )
        counted = under_rate.update(calls=F("calls") + 1)
        if not counted:
            try:
                with transaction.atomic():
                    ApiKeyWindow.objects.create(key=key, minute=minute, calls=1)
                counted = 1
            except IntegrityError:  # the minute's row exists (maybe just made by another call)
                counted = under_rate.update(calls=F("calls") + 1)
        outcome = "ok" if counted else "rate_limited"
        audit_record(actor=caller.actor, action=AuditAction.API_KEY_CALL, now=now, obj=key,
                     data={**data, "outcome": outcome})  # fmt: skip
    if not counted:
        retry_after = 60 - now.second
        raise RateLimited(retry_after=retry_after)
    return caller


def partner_library(*, caller: Caller, asked: str, action: str, now: dt.datetime) -> Library:
    """The library a circulation partner acts at: its key's. ``asked`` (a library code, ""
    for none) is the partner's own idea of it and must be the same.

    Raises ApiKeyRefused ``no_library`` for a key attached to no library or
    ``forbidden_library`` (audited) for another library, ValidationFailed
    ``library_not_found`` for an unknown code.
    """
    library = (
        Library.objects.select_related("network").filter(pk=caller.library_id).first()
        if caller.library_id
        else None
    )
    if library is None:
        raise ApiKeyRefused(code="no_library")
    if asked and asked != library.code:
        other = Library.objects.filter(code=asked).first()
        if other is None:
            raise ValidationFailed(code="library_not_found", library_code=asked)
        audit_record(actor=caller.actor, action=AuditAction.SCOPE_REFUSED, now=now,
                     library_id=other.pk, data={"attempted": action, "libraries": [other.pk]})  # fmt: skip
        raise ApiKeyRefused(
            code=OutOfScope.code, libraries=[other.commune], key_library=library.commune
        )
    # the one library policy (it restricts staff actors only; kept for the day keys are staff)
    scope_check(actor=caller.actor, library_ids=[library.pk], action=action, now=now)
    return library


def api_windows_purge(*, now: dt.datetime) -> int:
    """Forget the call counts of minutes older than an hour; return how many rows went."""
    deleted, _details = ApiKeyWindow.objects.filter(minute__lt=now - dt.timedelta(hours=1)).delete()
    return deleted
