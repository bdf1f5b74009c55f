"""Yearly borrower pseudonyms: count distinct active borrowers without keeping who they are.

A statistics fact of year Y carries ``HMAC-SHA256(key_Y, patron id)`` cut to 128 bits (as a
UUID). The same patron has the same pseudonym all year (so distinct borrowers can be counted
per library, age band, category, commune), another one the next year (years cannot be
chained), and nobody can recompute a pseudonym without the year's key. The keys live in
``PseudonymKey`` (patrons' tables), never beside the facts; a year's key is destroyed when
that year's report is closed (``pseudonym_key_destroy``), after which the pseudonyms of that
year are plain random-looking numbers, linked to nobody, even by the database's owner.
docs/statistics.md explains it for the data-protection officer.

A key is drawn at the first fact of its year (``secrets``, 256 bits), in the transaction of
that fact; concurrent first facts settle on one key (``ON CONFLICT DO NOTHING`` on the
unique year, then read back). Each process keeps the keys it has read for
``KEY_CACHE_SECONDS`` so that a loan only pays for the HMAC (a few microseconds).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
import uuid

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from navette.core import clock
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_record
from navette.core.errors import DomainError
from navette.patrons.models import PseudonymKey

#: how long a process keeps a year's key after reading it (a destroyed key is gone from
#: every process at most this long after the year is closed)
KEY_CACHE_SECONDS = 300.0
KEY_BYTES = 32

_keys: dict[int, tuple[float, bytes | None]] = {}
_lock = threading.Lock()


class YearNotOver(DomainError):
    """A year's key may be destroyed only once the year is over."""

    code = "year_not_over"

    def __init__(self, year: int) -> None:
        super().__init__(
            _("L'année %(year)d n'est pas terminée : elle ne peut pas encore être close.")
            % {"year": year},
            year=year,
        )


def forget_cached_keys() -> None:
    """Drop the keys this process holds (after a key is destroyed, and in tests)."""
    with _lock:
        _keys.clear()


def _read(year: int) -> tuple[bool, bytes | None]:
    """(whether the year has a row, its key)."""
    row = PseudonymKey.objects.filter(year=year).values_list("key", flat=True)
    found = list(row[:1])
    if not found:
        return False, None
    return True, (bytes(found[0]) if found[0] is not None else None)


def year_key(year: int) -> bytes | None:
    """The key of ``year`` (drawn now if the year has none yet), ``None`` once destroyed."""
    now = time.monotonic()
    hit = _keys.get(year)
    if hit is not None and hit[0] > now:
        return hit[1]
    exists, key = _read(year)
    drawn = False
    if not exists:
        PseudonymKey.objects.bulk_create(
            [PseudonymKey(year=year, key=secrets.token_bytes(KEY_BYTES), created_at=clock.now())],
            ignore_conflicts=True,
        )
        _exists, key = _read(year)
        drawn = True

    def remember() -> None:
        with _lock:
            _keys[year] = (time.monotonic() + KEY_CACHE_SECONDS, key)

    if drawn:
        # a key drawn in a transaction that rolls back was never stored: remember it only
        # once it is committed
        transaction.on_commit(remember)
    else:
        remember()
    return key


def pseudonym_keys_prepare(*, years: list[int], now: dt.datetime) -> int:
    """Draw the keys of ``years`` that have none yet and remember them in this process, so
    that the first loans of a year only read a key (the ``pseudonym-keys`` job draws this
    year's and next year's). Call it outside any transaction: the keys are committed before
    they are remembered. Returns how many keys were drawn."""
    with transaction.atomic():
        missing = set(years) - set(
            PseudonymKey.objects.filter(year__in=years).values_list("year", flat=True)
        )
        PseudonymKey.objects.bulk_create(
            [PseudonymKey(year=y, key=secrets.token_bytes(KEY_BYTES), created_at=now)
             for y in sorted(missing)],
            ignore_conflicts=True,
        )  # fmt: skip
        found = dict(PseudonymKey.objects.filter(year__in=years).values_list("year", "key"))
    with _lock:
        for year, key in found.items():
            _keys[year] = (time.monotonic() + KEY_CACHE_SECONDS, bytes(key) if key else None)
    return len(missing)


def pseudonym_keys_job(now: dt.datetime) -> str:
    """The ``pseudonym-keys`` job: this year's and next year's keys drawn ahead."""
    year = clock.today(now).year
    drawn = pseudonym_keys_prepare(years=[year, year + 1], now=now)
    return ngettext("%(n)d clé de pseudonymes tirée", "%(n)d clés de pseudonymes tirées", drawn) % {
        "n": drawn
    }


def pseudonym(key: bytes, patron_id: int) -> uuid.UUID:
    """The pseudonym of a patron under a year's key."""
    digest = hmac.new(key, str(patron_id).encode("ascii"), hashlib.sha256).digest()
    return uuid.UUID(bytes=digest[:16])


def patron_pseudonym(patron_id: int | None, day: dt.date) -> uuid.UUID | None:
    """The patron's pseudonym for the calendar year of ``day`` (``None``: no patron, or the
    year's key destroyed)."""
    if patron_id is None:
        return None
    key = year_key(day.year)
    return pseudonym(key, patron_id) if key is not None else None


def year_closed(year: int) -> bool:
    """Whether ``year`` is closed (its key destroyed by ``pseudonym_key_destroy``)."""
    return PseudonymKey.objects.filter(year=year, destroyed_at__isnull=False).exists()


def pseudonym_key_destroy(*, year: int, actor: Actor, now: dt.datetime) -> bool:
    """Destroy the key of ``year`` (a year that is over); the pseudonyms already written stay
    countable but can never be recomputed for a patron. Idempotent: returns whether a key was
    destroyed now. Raises ``YearNotOver`` for the current or a future year. The caller checks
    that the actor may close the year (navette.reports)."""
    if year >= clock.today(now).year:
        raise YearNotOver(year)
    with transaction.atomic():
        row, created = PseudonymKey.objects.select_for_update().get_or_create(
            year=year, defaults={"key": None, "created_at": now, "destroyed_at": now}
        )
        destroyed = not created and row.key is not None
        if destroyed:
            row.key = None
            row.destroyed_at = now
            row.save(update_fields=["key", "destroyed_at"])
        audit_record(
            actor=actor, action=AuditAction.STATS_YEAR_CLOSE, now=now,
            object_type="year", object_id=year, data={"key_destroyed": destroyed},
        )  # fmt: skip
        transaction.on_commit(forget_cached_keys)
    forget_cached_keys()
    return destroyed
