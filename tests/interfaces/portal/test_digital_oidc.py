"""The portal as an OpenID Connect provider, driven by a relying party from PyPI (Authlib)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken

from navette.core.clock import PARIS
from navette.digital.selectors import pairwise_id
from tests.digital import factories as f

REDIRECT = "http://cours.example.test/oidc/callback"
SECRET = "s3cret-client"


@pytest.mark.django_db(transaction=True)
def test_authlib_code_flow_with_pkce_against_live_server(live_server):
    """Discovery, authorization with PKCE S256 for a logged-in patron, code exchange with
    client_secret_basic, an RS256 ID token that verifies with the published JWKS (issuer,
    audience, nonce), and userinfo with the limited claims. The code is single-use."""
    registration = f.oidc_client(REDIRECT, SECRET)
    patron = f.patron()
    config = requests.get(live_server.url + "/.well-known/openid-configuration").json()
    assert config["issuer"] == live_server.url
    assert config["code_challenge_methods_supported"] == ["S256"]

    rp = OAuth2Session(
        "cours-client", SECRET, scope="openid profile", redirect_uri=REDIRECT,
        code_challenge_method="S256", token_endpoint_auth_method="client_secret_basic",
    )  # fmt: skip
    verifier = generate_token(64)
    nonce = generate_token(20)
    uri, state = rp.create_authorization_url(
        config["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    browser = requests.Session()
    browser.cookies.set(*f.session_cookie(patron))
    response = browser.get(uri, allow_redirects=False)
    assert response.status_code == 302
    callback = response.headers["Location"]
    assert callback.startswith(REDIRECT + "?")
    assert parse_qs(urlsplit(callback).query)["state"] == [state]

    token = rp.fetch_token(
        config["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    keys = JsonWebKey.import_key_set(requests.get(config["jwks_uri"]).json())
    claims = jwt.decode(
        token["id_token"], keys, claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": live_server.url}},
        claims_params={"nonce": nonce, "client_id": "cours-client"},
    )  # fmt: skip
    claims.validate()
    assert claims["sub"] == pairwise_id(patron.pk, registration)
    assert claims["aud"] == "cours-client"

    info = rp.get(config["userinfo_endpoint"]).json()
    assert info == {
        "sub": claims["sub"], "category": "adulte", "home_library": "lille", "age_band": "26-39",
    }  # fmt: skip

    code = parse_qs(urlsplit(callback).query)["code"][0]
    replay = requests.post(
        config["token_endpoint"], auth=("cours-client", SECRET),
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
              "code_verifier": verifier},
    )  # fmt: skip
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    browser.close()  # ends keep-alive, so the server thread lets its database connection go
    rp.close()


def _challenge(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def _authorize(client, **overrides):
    params = {
        "response_type": "code", "client_id": "cours-client", "redirect_uri": REDIRECT,
        "scope": "openid", "state": "xyz", "code_challenge": _challenge("v" * 50),
        "code_challenge_method": "S256",
    }  # fmt: skip
    params.update(overrides)
    return client.get("/oidc/authorize", {k: v for k, v in params.items() if v is not None})


@pytest.mark.django_db
def test_unregistered_client_or_redirect_uri_is_never_redirected_to(client):
    f.oidc_client(REDIRECT)
    f.log_in(client, f.patron())
    for overrides in (
        {"client_id": "inconnu"},
        {"redirect_uri": REDIRECT + "/autre"},
        {"redirect_uri": "http://evil.example.test/oidc/callback"},
    ):
        response = _authorize(client, **overrides)
        assert response.status_code == 400
        assert "Location" not in response


@pytest.mark.django_db
def test_pkce_is_mandatory_and_verified(client):
    """Without S256 PKCE the RP gets an error; a wrong verifier cannot redeem the code."""
    f.oidc_client(REDIRECT)
    f.log_in(client, f.patron())
    plain = _authorize(client, code_challenge_method="plain")
    assert plain.status_code == 302
    assert "error=invalid_request" in plain["Location"] and "state=xyz" in plain["Location"]
    assert "error=invalid_request" in _authorize(client, code_challenge=None)["Location"]

    ok = _authorize(client)
    code = parse_qs(urlsplit(ok["Location"]).query)["code"][0]
    wrong = client.post(
        "/oidc/token",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
         "code_verifier": "w" * 50, "client_id": "cours-client", "client_secret": SECRET},
    )  # fmt: skip
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"


@pytest.mark.django_db
def test_wrong_client_secret_is_refused(client):
    f.oidc_client(REDIRECT)
    f.log_in(client, f.patron())
    code = parse_qs(urlsplit(_authorize(client)["Location"]).query)["code"][0]
    response = client.post(
        "/oidc/token",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
         "code_verifier": "v" * 50, "client_id": "cours-client", "client_secret": "faux"},
    )  # fmt: skip
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


@pytest.mark.django_db
def test_blocked_or_expired_card_gets_a_page_not_a_code(client, clock_at):
    clock_at(dt.datetime(2026, 11, 20, 12, 0, tzinfo=PARIS))
    f.oidc_client(REDIRECT)
    f.log_in(client, f.patron(membership_expires_on=dt.date(2026, 1, 1)))
    response = _authorize(client)
    assert response.status_code == 403
    assert "Votre carte a expiré" in response.content.decode()


@pytest.mark.django_db
def test_signing_key_is_generated_once_into_the_data_directory(settings, tmp_path):
    from navette.digital import oidc

    settings.NAVETTE_HOME = tmp_path
    first = oidc.jwks()
    path = tmp_path / "oidc" / "signing-key.pem"
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
    assert oidc.jwks() == first


def test_configured_issuer_is_used_in_discovery(client, settings):
    settings.NAVETTE_OIDC_ISSUER = "https://portail.example.org"
    config = client.get("/.well-known/openid-configuration").json()
    assert config["issuer"] == "https://portail.example.org"
    assert config["token_endpoint"] == "https://portail.example.org/oidc/token"
