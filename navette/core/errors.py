"""Base domain error: a stable code plus the data that explains it, never a sentence.

Services, selectors and policies raise errors with a ``code`` and context data (barcodes,
days as ``datetime.date``, amounts in cents); the words are elsewhere. Each app keeps its
wording in ``<app>/messages.py``, a table from codes to functions of the context that
return a sentence in the active language (dates and euros through ``core.formats``), and
registers it in its ``AppConfig.ready``. ``DomainError.message`` words the error when it is
read, in the language active then: the reader's, not the one active where it was raised.
Interfaces map the code once: to an HTTP status, a form error, or a SIP2 ``ok=0`` with the
message as screen message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

#: a code's wording: the context in, a sentence in the active language out
Wording = Callable[[Mapping[str, Any]], str]

_WORDINGS: dict[str, Wording] = {}


def register_wordings(table: Mapping[str, Wording]) -> None:
    """Add an app's wordings (its ``messages.TABLE``); a code is worded by one app only."""
    for code, wording in table.items():
        known = _WORDINGS.get(str(code))
        if known is not None and known is not wording:
            raise ValueError(f"error code {code!r} is worded twice")
        _WORDINGS[str(code)] = wording


def worded(code: str, context: Mapping[str, Any] | None = None) -> str | None:
    """The sentence for ``code`` in the active language, or None when no app words it."""
    wording = _WORDINGS.get(str(code))
    return None if wording is None else wording(context or {})


def wording_codes() -> frozenset[str]:
    """The codes some app words (for the tests that every raised code is worded)."""
    return frozenset(_WORDINGS)


class DomainError(Exception):
    """A refusal or failure the user must be told about, with a stable ``code`` and its
    ``context``. ``message`` (given, or worded from the code) is read by interfaces."""

    code: str = "error"

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 **context: Any) -> None:  # fmt: skip
        if code is not None:
            self.code = str(code)
        self.context = context
        self._message = None if message is None else str(message)
        super().__init__(self.code)

    @property
    def message(self) -> str:
        if self._message is not None:
            return self._message
        return worded(self.code, self.context) or self.code

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    code = "not_found"


class ValidationFailed(DomainError):
    code = "invalid"
