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


class MemberCardRefused(DomainError):
    """The member library's system knows the card and refuses it: ``reason`` is
    ``blocked`` or ``expired``; ``library`` the library's name, ``messages`` what its
    system said."""

    code = "member_card_refused"


class MemberSystemUnavailable(DomainError):
    """The member library's system does not answer and Navette cannot vouch for the card:
    a patron never confirmed (``known`` false) or confirmed too long ago (``confirmed_at``)."""

    code = "member_system_unavailable"


class FirstLoginNeeded(DomainError):
    """A card of a member library's deposited file that has no portal password yet."""

    code = "first_login_needed"


class FirstLoginRefused(DomainError):
    """The card and date of birth do not match the deposited file (one answer for both)."""

    code = "first_login_refused"
