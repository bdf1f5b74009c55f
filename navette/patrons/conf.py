"""Privacy and security settings of the patrons app, read from the environment.

Each has a safe default; they may also be set in Django settings under the
same name.
"""

from __future__ import annotations

from django.conf import settings

from navette.settings.env import env_int


def _setting(name: str, default: int) -> int:
    value = getattr(settings, name, None)
    if value is not None:
        return int(value)
    return env_int(name, default)


def lockout_attempts() -> int:
    """Wrong PINs in a row that lock a card."""
    return _setting("NAVETTE_LOCKOUT_ATTEMPTS", 5)


def lockout_minutes() -> int:
    return _setting("NAVETTE_LOCKOUT_MINUTES", 15)


def address_max_failures() -> int:
    """Failed logins allowed from one address per window, whatever the cards tried."""
    return _setting("NAVETTE_LOGIN_MAX_FAILURES_PER_ADDRESS", 20)


def address_window_minutes() -> int:
    return _setting("NAVETTE_LOGIN_ADDRESS_WINDOW_MINUTES", 15)


def anonymise_after_months() -> int:
    """Months after return when a loan loses its patron (CNIL: keep as little as possible)."""
    return _setting("NAVETTE_ANONYMISE_AFTER_MONTHS", 4)


def purge_after_months() -> int:
    """Months after the end of membership when an inactive patron is deleted."""
    return _setting("NAVETTE_PURGE_AFTER_MONTHS", 12)


def reset_link_minutes() -> int:
    return _setting("NAVETTE_RESET_LINK_MINUTES", 60)
