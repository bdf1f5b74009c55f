"""Base domain error: a stable code plus a translatable message.

Interfaces map the code once: to an HTTP status, a form error, or a SIP2
``ok=0`` with the message as screen message.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal or failure the user must be told about, with a stable ``code``."""

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None, **context: Any) -> None:
        super().__init__(message)
        self.message = str(message)
        if code is not None:
            self.code = code
        self.context = context

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    code = "not_found"


class ValidationFailed(DomainError):
    code = "invalid"
