"""Links to interface pages that domain code may put in what it builds (e-mails, search
results), without knowing the interface's URLs.

An interface registers a builder for each page kind from its ``AppConfig.ready``
(the portal: ``event``, ``registration_cancel``, ``digital_title``); domain code asks
``link_for(kind, *args)`` and gets a path. Domain apps never import an interface.
"""

from __future__ import annotations

from collections.abc import Callable

_builders: dict[str, Callable[..., str]] = {}


class UnknownLink(LookupError):
    """No interface registered a builder for this kind of page."""


def register_link(kind: str, builder: Callable[..., str]) -> None:
    """Make ``link_for(kind, *args)`` return ``builder(*args)``."""
    _builders[kind] = builder


def link_for(kind: str, *args: object) -> str:
    """The path of the page of ``kind`` for ``args`` (for example the event's id)."""
    try:
        builder = _builders[kind]
    except KeyError:
        raise UnknownLink(f"no interface links pages of kind {kind!r}") from None
    return builder(*args)
