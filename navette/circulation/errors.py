"""Circulation refusals: one stable code per reason, a French message saying what and where.

Interfaces map ``error.code`` once (HTTP status, form error, SIP2 ``ok=0`` with
``error.message`` as screen message), so the desk, the portal and a kiosk
refuse exactly the same things with the same words.
"""

from __future__ import annotations

from typing import Any

from navette.circulation.messages import reason_message
from navette.circulation.reasons import Reason
from navette.core.errors import DomainError


class CirculationError(DomainError):
    """Base of every circulation refusal. ``reason`` is a ``policies.Reason``."""

    code = "circulation"

    def __init__(self, reason: Reason, message: str | None = None, **context: Any) -> None:
        super().__init__(message or reason_message(reason, **context), code=str(reason), **context)
        self.reason = reason


class PatronRefused(CirculationError):
    """The card may not borrow / renew / hold (expired, blocked, suspended, fines)."""


class CheckoutRefused(CirculationError):
    """The copy may not be lent to this patron here (limits, status, held for another)."""


class CheckinRefused(CirculationError):
    """The copy cannot be returned (unknown, not from this network...)."""


class RenewalRefused(CirculationError):
    """The loan may not be renewed (renewals used up, another patron waits...)."""


class HoldRefused(CirculationError):
    """The hold may not be placed or changed."""


class TransitRefused(CirculationError):
    """The copy is not in the navette, or not for this library."""


class PaymentRefused(CirculationError):
    """A fine payment or waiver that cannot be recorded (nothing due, bad amount)."""
