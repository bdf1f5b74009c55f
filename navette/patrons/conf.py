"""Privacy and security settings of the patrons app (navette/settings/privacy.py)."""

from __future__ import annotations

from django.conf import settings


def lockout_attempts() -> int:
    """Wrong PINs in a row that lock a card."""
    return int(settings.NAVETTE_LOCKOUT_ATTEMPTS)


def lockout_minutes() -> int:
    return int(settings.NAVETTE_LOCKOUT_MINUTES)


def address_max_failures() -> int:
    """Failed logins allowed from one address per window, whatever the cards tried."""
    return int(settings.NAVETTE_LOGIN_MAX_FAILURES_PER_ADDRESS)


def address_window_minutes() -> int:
    return int(settings.NAVETTE_LOGIN_ADDRESS_WINDOW_MINUTES)


def anonymise_after_months() -> int:
    """Months after return when a loan loses its patron (CNIL: keep as little as possible)."""
    return int(settings.NAVETTE_ANONYMISE_AFTER_MONTHS)


def purge_after_months() -> int:
    """Months after the end of membership when an inactive patron is deleted."""
    return int(settings.NAVETTE_PURGE_AFTER_MONTHS)


def reset_link_minutes() -> int:
    return int(settings.NAVETTE_RESET_LINK_MINUTES)
