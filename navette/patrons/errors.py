"""Patron errors, each with a stable code (worded in ``patrons.messages``)."""

from __future__ import annotations

from navette.core.errors import DomainError


class LoginRefused(DomainError):
    """Unknown card or wrong PIN: one message for both, so cards cannot be probed."""

    code = "login_refused"


class CardLocked(DomainError):
    code = "card_locked"


class TooManyAttempts(DomainError):
    code = "too_many_attempts"


class CardNumberTaken(DomainError):
    code = "card_number_taken"


class InvalidSecret(DomainError):
    code = "invalid_secret"


class InvalidResetLink(DomainError):
    code = "invalid_reset_link"


class PatronInvalid(DomainError):
    code = "patron_invalid"
