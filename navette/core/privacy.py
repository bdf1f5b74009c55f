"""What each app holds about a patron, declared by the app that holds it.

Each Navette app may define a ``privacy`` module with:

- ``PATRON_DATA``: the sections it adds to the patron's "all my data" export
  (``PatronData``: a section name, the models it reads, a function giving the rows);
- ``PATRON_DATA_EXEMPT``: ``{model: reason}`` for tables linked to a patron that the
  export leaves out on purpose (a test fails for a linked table in neither);
- ``PATRON_KEEP``: functions giving, for ``OuterRef("pk")`` of a patron, a condition
  (``Exists``) that keeps the patron from being purged (an open loan, an unpaid fine).

So the patrons app can export and purge everything without importing the apps that
depend on it. This module declares the journal's own section.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import Exists, Model, OuterRef

from navette.core.audit import audit_patron_events
from navette.core.models import AuditEvent

Row = dict[str, Any]


@dataclass(frozen=True)
class PatronData:
    """One section of the patron's export: ``rows(patron)`` reads ``models``."""

    section: str
    models: Sequence[type[Model]]
    rows: Callable[[Any], list[Row]]


def _privacy_modules() -> list[Any]:
    found = []
    for config in apps.get_app_configs():
        if not config.name.startswith("navette."):
            continue
        name = f"{config.name}.privacy"
        if importlib.util.find_spec(name) is not None:
            found.append(importlib.import_module(name))
    return found


def patron_data_sections() -> list[PatronData]:
    """Every app's export sections, in app order."""
    return [s for module in _privacy_modules() for s in getattr(module, "PATRON_DATA", [])]


def patron_data_exempt() -> dict[type[Model], str]:
    """Tables linked to a patron that the export leaves out, with the reason."""
    exempt: dict[type[Model], str] = {}
    for module in _privacy_modules():
        exempt.update(getattr(module, "PATRON_DATA_EXEMPT", {}))
    return exempt


def patron_keep_conditions() -> list[Callable[[OuterRef], Exists]]:
    """Conditions that keep a patron from being purged, from every app."""
    return [c for module in _privacy_modules() for c in getattr(module, "PATRON_KEEP", [])]


# --- the journal's section ---------------------------------------------------------------


def _journal_rows(patron: Any) -> list[Row]:
    return [
        {"le": e.at, "action": e.action, "par": e.actor_label, "objet": e.object_type,
         "details": e.data}
        for e in audit_patron_events(patron.pk)
    ]  # fmt: skip


PATRON_DATA = [PatronData("journal", [AuditEvent], _journal_rows)]
