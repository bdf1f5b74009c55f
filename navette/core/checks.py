"""System checks that catch misconfiguration at start-up.

``navette check`` runs them, and ``navette serve`` refuses to start on an error. Settings
come from the environment through the settings modules (navette/settings/*.py); what
those could not read is reported here under the variable's name (navette.E010), with
the checks on values that parse but make no sense.
"""

from __future__ import annotations

import os
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

SEARCH_UPDATE_MODES = ("background", "deferred", "inline")

SUPPORTED_ENGINES = {"django.db.backends.sqlite3", "django.db.backends.postgresql"}


@register(Tags.compatibility)
def check_navette_configuration(app_configs: Any = None, **kwargs: Any) -> list:
    problems: list = []
    home = settings.NAVETTE_HOME
    if not home.is_dir() or not os.access(home, os.W_OK):
        problems.append(
            Error(
                f"The data directory {home} does not exist or is not writable.",
                hint="Set NAVETTE_HOME to a writable directory.",
                id="navette.E001",
            )
        )
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine not in SUPPORTED_ENGINES:
        problems.append(
            Error(
                f"Unsupported database engine {engine!r} (from DATABASE_URL).",
                hint="Use postgres://user@host:port/name, or unset DATABASE_URL for SQLite.",
                id="navette.E002",
            )
        )
    if settings.TIME_ZONE != "Europe/Paris":
        problems.append(
            Warning(
                f"TIME_ZONE is {settings.TIME_ZONE!r}; due dates and opening hours are "
                "computed in the network's time zone, Europe/Paris.",
                id="navette.W001",
            )
        )
    if len(settings.SECRET_KEY) < 32:
        problems.append(
            Error(
                "NAVETTE_SECRET_KEY is too short (under 32 characters).",
                hint="Unset it to use the key generated in the data directory.",
                id="navette.E003",
            )
        )
    tls = (settings.NAVETTE_SIP2_TLS_CERT, settings.NAVETTE_SIP2_TLS_KEY)
    if any(tls) and not all(tls):
        problems.append(
            Error(
                "SIP2 TLS needs both NAVETTE_SIP2_TLS_CERT and NAVETTE_SIP2_TLS_KEY.",
                id="navette.E004",
            )
        )
    for path in tls:
        if path and not os.path.isfile(path):
            problems.append(Error(f"SIP2 TLS file {path} not found.", id="navette.E005"))
    return problems


@register(Tags.security, deploy=False)
def check_secure_mode_has_a_proxy(app_configs: Any = None, **kwargs: Any) -> list:
    """`navette serve` speaks plain HTTP: secure mode (redirect to https) only works behind a
    TLS proxy whose X-Forwarded-Proto is believed; without one every page redirects to itself."""
    if settings.SECURE_SSL_REDIRECT and not settings.NAVETTE_TRUSTED_PROXIES:
        return [
            Warning(
                "NAVETTE_SECURE_COOKIES is on but NAVETTE_TRUSTED_PROXIES is empty: every "
                "request would be redirected to https:// again and again.",
                hint="Serve Navette behind a TLS proxy and list its address in "
                "NAVETTE_TRUSTED_PROXIES (e.g. 127.0.0.1).",
                id="navette.W020",
            )
        ]
    return []


@register(Tags.compatibility)
def check_environment(app_configs: Any = None, **kwargs: Any) -> list:
    """Every variable the settings modules could not read, and values that make no sense."""
    problems: list = [
        Error(
            f"Environment: {problem}.",
            hint="Fix or unset the variable (its default applies when unset).",
            id="navette.E010",
        )
        for problem in settings.NAVETTE_SETTINGS_PROBLEMS
    ]
    url = urlsplit(settings.NAVETTE_PUBLIC_URL)
    if url.scheme not in ("http", "https") or not url.netloc:
        problems.append(
            Error(
                f"NAVETTE_PUBLIC_URL={settings.NAVETTE_PUBLIC_URL!r} is not an absolute web "
                "address: links in e-mails would not open.",
                hint="Set it to the portal's public address, e.g. https://portail.example.org",
                id="navette.E011",
            )
        )
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    try:
        validate_email(address)
    except ValidationError:
        problems.append(
            Error(
                f"NAVETTE_MAIL_FROM={settings.DEFAULT_FROM_EMAIL!r} holds no valid e-mail "
                "address: mail servers would refuse the notices.",
                hint="For example: Réseau Relire <no-reply@relire.example.org>",
                id="navette.E012",
            )
        )
    if settings.NAVETTE_SEARCH_UPDATES not in SEARCH_UPDATE_MODES:
        problems.append(
            Error(
                f"NAVETTE_SEARCH_UPDATES={settings.NAVETTE_SEARCH_UPDATES!r}: expected "
                "background, deferred or inline.",
                id="navette.E013",
            )
        )
    return problems
