"""Alerts for the staff home page, from apps the staff interface does not import.

An app registers a provider from its ``AppConfig.ready`` (SIP2: silent kiosks, a jump in a
kiosk's refusals); the staff home asks ``staff_alerts(libraries, now)`` and shows each
alert's message with its link."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StaffAlert:
    message: str
    link: str


_providers: list[Callable[[Sequence[Any], dt.datetime], list[StaffAlert]]] = []


def register_alerts(provider: Callable[[Sequence[Any], dt.datetime], list[StaffAlert]]) -> None:
    """Add ``provider(libraries, now)`` to what the staff home shows."""
    if provider not in _providers:
        _providers.append(provider)


def staff_alerts(libraries: Sequence[Any], now: dt.datetime) -> list[StaffAlert]:
    """Every registered provider's alerts for ``libraries`` at ``now``."""
    return [alert for provider in _providers for alert in provider(libraries, now)]
