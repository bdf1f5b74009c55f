"""The portal as an OpenID Connect provider: authorization code flow with PKCE.

- Only registered clients; ``redirect_uri`` compared exactly with a registered one.
- PKCE is mandatory, with ``S256`` only.
- Codes live two minutes and are consumed by a conditional UPDATE (single use).
- ID tokens are signed RS256 with a key generated into the data directory on
  first use (``$NAVETTE_HOME/oidc/signing-key.pem``, mode 0600).
- The subject is the per-client opaque id; claims are limited to category,
  home library and age band (scope ``profile``), plus the title the code opens
  (``title``, the vendor's reference, and ``access_until``) when it names one.
- What a code grants and what it costs are decided in
  ``navette.digital.services``; this module holds the protocol only.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db import transaction

from navette.digital.cas import patron_attributes
from navette.digital.models import (
    OidcAccessToken,
    OidcCode,
    Resource,
    ServiceProtocol,
    ServiceRegistration,
    VendorTitle,
)
from navette.digital.selectors import pairwise_id
from navette.patrons.models import Patron

CODE_LIFETIME = dt.timedelta(minutes=2)
TOKEN_LIFETIME = dt.timedelta(minutes=10)
SUPPORTED_SCOPES = ("openid", "profile")

_key_lock = threading.Lock()


class OidcError(Exception):
    """An OAuth 2.0 / OIDC error: ``error`` is the protocol's code."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- signing key ---------------------------------------------------------------------------


def _key_path() -> Path:
    return Path(settings.NAVETTE_HOME) / "oidc" / "signing-key.pem"


def signing_key() -> rsa.RSAPrivateKey:
    """The RS256 private key, generated (2048 bits) into the data directory on first use."""
    path = _key_path()
    with _key_lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process wrote it first: use theirs
            else:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(pem)
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(loaded, rsa.RSAPrivateKey)
    return loaded


def _kid(public: rsa.RSAPublicKey) -> str:
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return _b64(hashlib.sha256(der).digest())[:16]


def jwks() -> dict:
    public = signing_key().public_key()
    numbers = public.public_numbers()

    def as_b64(n: int) -> str:
        return _b64(n.to_bytes((n.bit_length() + 7) // 8, "big"))

    return {
        "keys": [
            {
                "kty": "RSA",
                "use": "sig",
                "alg": "RS256",
                "kid": _kid(public),
                "n": as_b64(numbers.n),
                "e": as_b64(numbers.e),
            }  # fmt: skip
        ]
    }


def sign_jwt(claims: dict) -> str:
    key = signing_key()
    header = {"alg": "RS256", "typ": "JWT", "kid": _kid(key.public_key())}
    signing_input = (
        _b64(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64(json.dumps(claims, separators=(",", ":")).encode())
    )
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + _b64(signature)


# --- discovery -----------------------------------------------------------------------------


def discovery(issuer: str) -> dict:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oidc/authorize",
        "token_endpoint": f"{issuer}/oidc/token",
        "userinfo_endpoint": f"{issuer}/oidc/userinfo",
        "jwks_uri": f"{issuer}/oidc/jwks",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": list(SUPPORTED_SCOPES),
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "nonce",
            "auth_time",
            "category",
            "home_library",
            "age_band",
        ],  # fmt: skip
    }


# --- authorization -------------------------------------------------------------------------


def client_for(client_id: str) -> ServiceRegistration | None:
    if not client_id:
        return None
    return ServiceRegistration.objects.filter(
        protocol=ServiceProtocol.OIDC, client_id=client_id, is_active=True
    ).first()


@dataclass(frozen=True)
class AuthorizeRequest:
    client: ServiceRegistration
    redirect_uri: str
    scope: str
    state: str
    nonce: str
    code_challenge: str


def parse_authorize(params: dict[str, str]) -> AuthorizeRequest:
    """Check an authorization request.

    Raises ``OidcError`` with ``status`` 400 when the client or redirect URI is
    wrong (the error must be shown, never redirected), or ``status`` 302 for
    errors to send back to the (verified) redirect URI.
    """
    client = client_for(params.get("client_id", ""))
    if client is None:
        raise OidcError("invalid_client", "Client inconnu.", 400)
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in client.redirect_uris:
        raise OidcError("invalid_request", "redirect_uri non enregistrée pour ce client.", 400)
    state = params.get("state", "")
    if params.get("response_type") != "code":
        raise OidcError("unsupported_response_type", "Only response_type=code is supported", 302)
    scopes = params.get("scope", "").split()
    if "openid" not in scopes:
        raise OidcError("invalid_scope", "The openid scope is required", 302)
    challenge = params.get("code_challenge", "")
    if params.get("code_challenge_method") != "S256" or not (43 <= len(challenge) <= 128):
        raise OidcError("invalid_request", "PKCE with code_challenge_method=S256 is required", 302)
    granted = " ".join(s for s in scopes if s in SUPPORTED_SCOPES)
    return AuthorizeRequest(
        client, redirect_uri, granted, state, params.get("nonce", ""), challenge
    )


def oidc_code_issue(
    *, request: AuthorizeRequest, patron: Patron, now: dt.datetime, resource: Resource | None,
    title: VendorTitle | None, cost_halves: int,
) -> str:  # fmt: skip
    """Issue an authorization code for the patron, recording what it grants (decided by
    the caller), and return it (stored hashed)."""
    code = secrets.token_urlsafe(32)
    OidcCode.objects.create(
        code_digest=_digest(code), registration=request.client, patron=patron,
        redirect_uri=request.redirect_uri, scope=request.scope, nonce=request.nonce[:300],
        code_challenge=request.code_challenge, created_at=now, expires_at=now + CODE_LIFETIME,
        resource=resource, title=title, cost_halves=cost_halves,
    )  # fmt: skip
    return code


def _authenticate_client(client_id: str, client_secret: str | None) -> ServiceRegistration:
    client = client_for(client_id)
    if client is None:
        raise OidcError("invalid_client", "Unknown client", 401)
    if client.client_secret_hash:
        if not client_secret or not check_password(client_secret, client.client_secret_hash):
            raise OidcError("invalid_client", "Client authentication failed", 401)
    return client


def _pkce_ok(verifier: str, challenge: str) -> bool:
    if not (43 <= len(verifier) <= 128):
        return False
    computed = _b64(hashlib.sha256(verifier.encode("ascii", "replace")).digest())
    return hmac.compare_digest(computed, challenge)


def oidc_code_redeem(
    *, params: dict[str, str], client_id: str, client_secret: str | None, now: dt.datetime
) -> OidcCode:
    """Authenticate the client and consume its authorization code (single use, whatever
    the outcome); return the code's grant.

    Raises ``OidcError`` (invalid_client, invalid_grant, unsupported_grant_type...).
    """
    if params.get("grant_type") != "authorization_code":
        raise OidcError("unsupported_grant_type", "Only authorization_code is supported")
    client = _authenticate_client(client_id, client_secret)
    code = params.get("code", "")
    with transaction.atomic():
        consumed = OidcCode.objects.filter(
            code_digest=_digest(code), registration=client, consumed_at__isnull=True
        ).update(consumed_at=now)
        if not consumed:
            raise OidcError("invalid_grant", "Unknown or already used code")
        grant = OidcCode.objects.select_related(
            "registration", "patron__category", "patron__home_library", "resource",
            "title__resource",
        ).get(code_digest=_digest(code))  # fmt: skip
    if grant.expires_at <= now:
        raise OidcError("invalid_grant", "Expired code")
    if params.get("redirect_uri", "") != grant.redirect_uri:
        raise OidcError("invalid_grant", "redirect_uri does not match the authorization request")
    if not _pkce_ok(params.get("code_verifier", ""), grant.code_challenge):
        raise OidcError("invalid_grant", "PKCE verification failed")
    return grant


def oidc_tokens_issue(
    *, grant: OidcCode, issuer: str, now: dt.datetime, extra_claims: dict[str, str]
) -> dict[str, Any]:
    """The token response for a redeemed code: an access token for /oidc/userinfo and a
    signed ID token (``extra_claims`` added to it)."""
    client, patron = grant.registration, grant.patron
    access = secrets.token_urlsafe(32)
    OidcAccessToken.objects.create(
        token_digest=_digest(access), registration=client, patron=patron, scope=grant.scope,
        expires_at=now + TOKEN_LIFETIME,
    )  # fmt: skip
    iat = int(now.timestamp())
    claims = {
        "iss": issuer, "sub": pairwise_id(patron.pk, client), "aud": client.client_id,
        "iat": iat, "exp": iat + int(TOKEN_LIFETIME.total_seconds()), "auth_time": iat,
    }  # fmt: skip
    if grant.nonce:
        claims["nonce"] = grant.nonce
    claims.update(extra_claims)
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": int(TOKEN_LIFETIME.total_seconds()),
        "scope": grant.scope,
        "id_token": sign_jwt(claims),
    }


def oidc_userinfo(*, bearer: str, now: dt.datetime) -> dict:
    token = (
        OidcAccessToken.objects.select_related(
            "registration", "patron__category", "patron__home_library"
        )
        .filter(token_digest=_digest(bearer), expires_at__gt=now)
        .first()
    )
    if token is None:
        raise OidcError("invalid_token", "Unknown or expired access token", 401)
    info: dict[str, str] = {"sub": pairwise_id(token.patron_id, token.registration)}
    if "profile" in token.scope.split():
        attrs = patron_attributes(token.patron, now)
        info.update(
            category=attrs["category"], home_library=attrs["homeLibrary"], age_band=attrs["ageBand"]
        )
    return info
