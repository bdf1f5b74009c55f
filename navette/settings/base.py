"""Settings read from environment variables, with embedded defaults.

The embedded default is a SQLite database (WAL mode) under the data directory
``NAVETTE_HOME`` (``./var`` unless set), so the whole system runs with nothing
to install. ``DATABASE_URL`` selects PostgreSQL for production.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from navette.settings import env
from navette.settings.env import env_bool, env_choice, env_float, env_int, env_list, env_str
from navette.settings.paths import BASE_DIR, NAVETTE_HOME


def _secret_key() -> str:
    """Return the secret key from the environment, or from the data directory.

    On first run a random key is generated into ``$NAVETTE_HOME/secret_key``
    (mode 0600); the repository never holds one.
    """
    from_env = env_str("NAVETTE_SECRET_KEY", "")
    if from_env:
        return from_env
    path = NAVETTE_HOME / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        NAVETTE_HOME.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key + "\n")
        return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("NAVETTE_DEBUG", False)
ALLOWED_HOSTS = env_list("NAVETTE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("NAVETTE_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "navette.core",
    "navette.network",
    "navette.catalogue",
    "navette.patrons",
    "navette.circulation",
    "navette.search",
    "navette.digital",
    "navette.events",
    "navette.editorial",
    "navette.notices",
    "navette.stats",
    "navette.reports",
    "navette.partners",
    "navette.opendata",
    "navette.golive",
    "navette.portal",
    "navette.staff",
    "navette.api",
    "navette.sip2",
    "axes",
]

MIDDLEWARE = [
    "navette.core.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "navette.portal.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "navette.core.middleware.StaffNoStoreMiddleware",
    # last: turns a refused login (too many failures) into the lockout page
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # first: refuses staff and administrator logins while an account or address is locked
    "navette.core.throttle.StaffLoginBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "navette.urls"
WSGI_APPLICATION = "navette.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "navette.portal.context_processors.portal",
            ],
        },
    },
]


#: PostgreSQL: parameters bound by the server and statements prepared once run twice on a
#: connection (psycopg 3), so PostgreSQL skips parsing and planning for the repeated
#: statements of loans and returns (about 40% of its CPU there). Opt-in for the whole
#: application (NAVETTE_DB_PREPARED=1); the SIP2 server turns it on for its own process
#: (NAVETTE_SIP2_PREPARED). Statements are prepared by psycopg itself (its
#: prepare_threshold), named per session: behind a pooler in transaction mode (PgBouncer
#: before 1.21) that does not keep prepared statements, leave it off.
#: Their plans are generic (plan_cache_mode): the statements repeated there find rows by key,
#: where a plan made for each call's values is never better, and PostgreSQL's default
#: ("auto") kept planning some of them anew at each call (about a fifth of the backend's CPU
#: on a loan and its return). Joined to any libpq ``options`` the database URL gives.
NAVETTE_DB_PREPARED_OPTIONS = {
    "server_side_binding": True,
    "prepare_threshold": 2,
    "options": "-c plan_cache_mode=force_generic_plan",
}


def with_prepared_options(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` (a database's OPTIONS) with NAVETTE_DB_PREPARED_OPTIONS, libpq's
    ``options`` joined rather than replaced."""
    merged = {**options, **NAVETTE_DB_PREPARED_OPTIONS}
    given = options.get("options", "")
    if given and NAVETTE_DB_PREPARED_OPTIONS["options"] not in given:
        merged["options"] = f"{given} {NAVETTE_DB_PREPARED_OPTIONS['options']}"
    elif given:
        merged["options"] = given
    return merged


SUPPORTED_DATABASE_SCHEMES = {"postgres", "postgresql", "pgsql", "sqlite"}


def _database() -> dict[str, Any]:
    url = env_str("DATABASE_URL", "")
    if url:
        scheme = url.split(":", 1)[0].lower()
        if scheme not in SUPPORTED_DATABASE_SCHEMES:
            raise ImproperlyConfigured(
                f"DATABASE_URL: unsupported database {scheme!r}; Navette runs on PostgreSQL "
                "(postgres://user@host:port/name) or, with DATABASE_URL unset, on SQLite."
            )
        config = dj_database_url.parse(
            url, conn_max_age=env_int("NAVETTE_DB_CONN_MAX_AGE", 60, minimum=0)
        )
        config["CONN_HEALTH_CHECKS"] = True
        if env_bool("NAVETTE_DB_PREPARED", False):
            config["OPTIONS"] = with_prepared_options(config.get("OPTIONS", {}))
        return dict(config)
    NAVETTE_HOME.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(NAVETTE_HOME / "navette.sqlite3"),
        "OPTIONS": {
            # WAL lets readers run beside one writer; IMMEDIATE takes the write
            # lock when a transaction starts, so two writers queue instead of
            # deadlocking on a lock upgrade.
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=20000;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:home"
LOGOUT_REDIRECT_URL = "portal:home"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
FORMS_URLFIELD_ASSUME_HTTPS = True

STATIC_URL = "/static/"
STATIC_ROOT = NAVETTE_HOME / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = NAVETTE_HOME / "media"

# The web server of `navette serve` (granian): Python threads per worker (they only run
# complete requests), and the time a client has to send a request's headers.
NAVETTE_WEB_THREADS = env_int("NAVETTE_WEB_THREADS", 4)
NAVETTE_WEB_HEADER_TIMEOUT = env_float("NAVETTE_WEB_HEADER_TIMEOUT", 10.0, minimum=0.5)

# HTTPS, proxies, sessions, CSP, login throttling: navette/settings/security.py (below)

#: Seconds the circulation services remember rules, settings and opening hours in each
#: process (0: read them for every operation).
NAVETTE_CIRCULATION_CACHE_SECONDS = env_float("NAVETTE_CIRCULATION_CACHE_SECONDS", 1.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice(
            "NAVETTE_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
        ),
    },
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint (printed slips) logs each step of each PDF at INFO
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Integration settings: one module per integration.
from navette.settings.demo import *  # noqa: E402,F403
from navette.settings.digital import *  # noqa: E402,F403
from navette.settings.email import *  # noqa: E402,F403
from navette.settings.notices import *  # noqa: E402,F403
from navette.settings.opendata import *  # noqa: E402,F403
from navette.settings.privacy import *  # noqa: E402,F403
from navette.settings.search import *  # noqa: E402,F403
from navette.settings.security import *  # noqa: E402,F403
from navette.settings.sip2 import *  # noqa: E402,F403
from navette.settings.web import *  # noqa: E402,F403

#: what could not be read from the environment, reported by the system checks (navette.E010)
NAVETTE_SETTINGS_PROBLEMS = tuple(env.PROBLEMS)

#: A test hook of ``navette import-network --apply`` (never set in production: only the test
#: settings read it from the environment): "phase:N" kills the process once batch N of the
#: phase has committed, "phase:N:inside" before it commits.
NAVETTE_GOLIVE_KILL_AT = ""
