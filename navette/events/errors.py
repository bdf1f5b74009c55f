"""Refusals of the agenda, each with a stable code (worded in ``events.messages``)."""

from __future__ import annotations

from navette.core.errors import DomainError


class EventInvalid(DomainError):
    """An event's data is inconsistent (end before start, seats without capacity...)."""

    code = "event_invalid"


class RegistrationRefused(DomainError):
    """A registration cannot be taken. ``code`` says why:

    ``registration_not_needed``, ``registration_not_open``, ``registration_closed``,
    ``event_cancelled``, ``too_many_seats``, ``identity_missing``, ``already_registered``.
    """

    code = "registration_refused"


class CancellationRefused(DomainError):
    code = "cancellation_refused"


class BadToken(DomainError):
    code = "bad_token"
