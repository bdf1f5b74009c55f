"""Typed refusals of the online media library, with stable codes."""

from __future__ import annotations

from navette.core.errors import DomainError


class AccessRefused(DomainError):
    """The card may not open this resource (expired, blocked, category, age)."""

    code = "access_refused"


class InsufficientTokens(DomainError):
    code = "insufficient_tokens"


class NetworkCapReached(DomainError):
    code = "network_cap_reached"


class AlreadyRefunded(DomainError):
    code = "already_refunded"


class NotRefundable(DomainError):
    code = "not_refundable"
