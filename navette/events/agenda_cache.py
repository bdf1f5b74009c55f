"""Cache keys for the public agenda.

The agenda is the portal's busiest page and changes rarely compared with how
often it is read, so its costly parts (the list of events, the filter options)
are rendered once and cached under a key made of:

- the version token of ``AgendaVersion``, replaced in the same transaction as
  any change to what the agenda shows (events, seats, registrations, themes,
  programmes, libraries): a reader sees the new token exactly when it sees the
  new data (signals below; services bump it after their UPDATE statements,
  which send no signal);
- the end of the next event to finish: once it is over it leaves the agenda,
  so the key changes by itself at that instant, with no writer involved.

Both come from one indexed query per request (``agenda_version``). The cache
is Django's default cache (per process); stale entries are never read again
and age out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.db import connection
from django.db.models.signals import m2m_changed, post_delete, post_save

from navette.events.models import (
    AgendaVersion,
    Event,
    EventSeries,
    Programme,
    Registration,
    Theme,
)
from navette.network.models import Library

TIMEOUT = 600  # seconds; the key changes on every write anyway


def bump() -> None:
    """Give the agenda a new version token (call inside the writing transaction)."""
    token = secrets.token_hex(8)
    if not AgendaVersion.objects.filter(pk=1).update(token=token):
        AgendaVersion.objects.update_or_create(pk=1, defaults={"token": token})


def agenda_version(now: dt.datetime) -> str | None:
    """The current version of the agenda at ``now``; None (do not cache) if unknown.

    Plain SQL: this runs on every agenda request, and building the same query
    through the ORM cost more than running it (both use the ends_at index).
    """
    event, version = Event._meta.db_table, AgendaVersion._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT token, (SELECT ends_at FROM {event} WHERE ends_at >= %s"  # noqa: S608
            f" ORDER BY ends_at LIMIT 1) FROM {version} WHERE id = 1",
            [connection.ops.adapt_datetimefield_value(now)],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return f"{row[0]}.{row[1]}"


def key(kind: str, version: str, *parts: Any) -> str:
    """A cache key for ``parts`` (anything with a stable repr) at ``version``."""
    digest = hashlib.sha1(repr((version, parts)).encode(), usedforsecurity=False).hexdigest()
    return f"navette:agenda:{kind}:{digest}"


def _changed(**_kwargs: Any) -> None:
    bump()


def connect() -> None:
    """Connect the model signals that replace the token (from EventsConfig.ready)."""
    for model in (Event, EventSeries, Programme, Registration, Theme, Library):
        post_save.connect(_changed, sender=model, dispatch_uid=f"agenda-{model.__name__}-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"agenda-{model.__name__}-del")
    m2m_changed.connect(
        _changed, sender=Event.other_libraries.through, dispatch_uid="agenda-other-libraries"
    )
