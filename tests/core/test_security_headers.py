"""Security headers, HTTPS behind a proxy and sessions (navette/settings/security.py,
navette.core.middleware): CSP on every page, no inline code in templates, HSTS and redirect
in secure mode, https:// links only through a trusted proxy, no-store on staff pages, short
sessions on public computers, and `check --deploy` quiet with the README's settings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client, override_settings

from navette.patrons.session import PUBLIC_SEEN_KEY
from tests.patrons.factories import make_patron

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "navette").glob("*/templates/**/*.html"))


def test_check_deploy_with_the_readme_production_settings_reports_no_issue(tmp_path):
    """The production settings printed in the README pass `check --deploy` with no warning."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- production-settings -->", 1)[1].split("<!-- /production", 1)[0]
    exports = dict(re.findall(r"^export (\w+)=(\S+)$", block, re.MULTILINE))
    assert exports["NAVETTE_SECURE_COOKIES"] == "1"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAVETTE_", "DJANGO_"))}
    env.update(exports, NAVETTE_HOME=str(tmp_path), DJANGO_SETTINGS_MODULE="navette.settings.base")
    result = subprocess.run(
        [sys.executable, "-m", "navette", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_secure_mode_turns_on_hsts_redirect_and_secure_cookies(tmp_path):
    """NAVETTE_SECURE_COOKIES=1 sets HSTS, the redirect to https and secure cookies; the
    proxy header is believed only when trusted proxies are configured."""
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("NAVETTE_", "DJANGO_"))}
    base.update(NAVETTE_HOME=str(tmp_path), DJANGO_SETTINGS_MODULE="navette.settings.base")

    def settings_with(**env: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", "import django; django.setup();" + code],
            env={**base, **env}, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert settings_with() == "False 0 False False None"
    assert settings_with(NAVETTE_SECURE_COOKIES="1") == "True 31536000 True True None"
    assert settings_with(NAVETTE_SECURE_COOKIES="1", NAVETTE_TRUSTED_PROXIES="127.0.0.1") == (
        "True 31536000 True True ('HTTP_X_FORWARDED_PROTO', 'https')"
    )
    lonely = subprocess.run(
        [sys.executable, "-m", "navette", "check"],
        env={**base, "NAVETTE_SECURE_COOKIES": "1"}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "navette.W020" in lonely.stderr + lonely.stdout  # secure mode needs a TLS proxy
    refused = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**base, "NAVETTE_TRUSTED_PROXIES": "le-proxy"}, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "NAVETTE_TRUSTED_PROXIES: 'le-proxy' is not an address" in refused.stderr


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/recherche/", "/compte/connexion/", "/personnel/connexion/", "/admin/login/"]
)
def test_every_page_carries_a_strict_content_security_policy(client, path):
    """No inline script or style is allowed, nor framing, plugins or a foreign <base>."""
    response = client.get(path)
    assert response.status_code == 200
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert "unsafe" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "navette")))
def test_templates_hold_no_inline_script_handler_or_style(template):
    """The CSP forbids them: behaviour lives in static/portal/navette.js, styles in the
    stylesheets. Only JSON-LD data blocks and scripts loaded by src are allowed."""
    text = template.read_text()
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert "src=" in tag or 'type="application/ld+json"' in tag, tag
    assert "<style" not in text
    assert not re.search(r"\sstyle=", text)
    assert not re.search(r"\son[a-z]+=", text)
    assert "javascript:" not in text


@pytest.mark.django_db
def test_staff_pages_are_never_stored_and_portal_pages_may_be(client):
    """Staff and administration pages (patron data) carry Cache-Control: no-store."""
    for path in ("/personnel/connexion/", "/admin/login/"):
        cache_control = client.get(path)["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control
    assert "no-store" not in client.get("/").get("Cache-Control", "")


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31536000)
def test_secure_mode_redirects_to_https_and_sends_hsts():
    """In secure mode http:// is redirected, and https:// answers carry HSTS."""
    client = Client()
    response = client.get("/bibliotheques/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/bibliotheques/"
    response = client.get("/bibliotheques/", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.django_db
@override_settings(
    SECURE_SSL_REDIRECT=True,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    NAVETTE_TRUSTED_PROXIES=["127.0.0.1"],
)
def test_links_are_https_behind_a_trusted_proxy_only(django_capture_on_commit_callbacks):
    """Behind the trusted TLS proxy the PIN-reset link is https://; the same header sent by
    any other client is dropped (the request is redirected to https instead)."""
    patron = make_patron(email="lucie@example.org")
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/compte/code-oublie/",
            {"card_number": patron.card_number, "email": "lucie@example.org"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_HOST="portail.example.org",
            HTTP_X_FORWARDED_PROTO="https",
        )
    assert response.status_code == 302
    assert re.search(
        r"\shttps://portail\.example\.org/compte/code-oublie/\S+/\s", mail.outbox[0].body
    )
    spoofed = Client().get(
        "/compte/connexion/", REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_PROTO="https"
    )
    assert spoofed.status_code == 301


@pytest.mark.django_db
def test_a_public_computer_session_ends_with_the_browser_or_when_idle(client):
    """Ticking "ordinateur public": a cookie without expiry (gone when the browser closes) and
    a logout after 15 idle minutes; otherwise a session of 8 hours."""
    patron = make_patron()
    form = {"card_number": patron.card_number, "pin": "1234", "next": "/compte/"}
    assert client.post("/compte/connexion/", form).status_code == 302
    cookie = client.cookies["sessionid"]
    assert cookie["max-age"] == 8 * 3600

    public = Client()
    response = public.post("/compte/connexion/", {**form, "public_computer": "on"})
    assert response.status_code == 302
    cookie = public.cookies["sessionid"]
    assert cookie["max-age"] == "" and cookie["expires"] == ""
    assert public.get("/compte/").status_code == 200
    session = public.session
    session[PUBLIC_SEEN_KEY] -= 14 * 60
    session.save()
    assert public.get("/compte/").status_code == 200  # 14 minutes idle: still there
    session = public.session
    session[PUBLIC_SEEN_KEY] -= 16 * 60
    session.save()
    response = public.get("/compte/")
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/connexion/")
