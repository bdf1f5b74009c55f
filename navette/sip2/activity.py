"""The kiosk monitor's counters, and what the monitor reads from them (each machine's last
request, today's transactions by type, refusal rate and reasons, silent machines during
opening hours).

Each SIP2 process counts its requests in memory and writes them in one statement every
``NAVETTE_SIP2_ACTIVITY_FLUSH_SECONDS`` (5 s; 0 writes each request at once): a statement
and a commit per request, on the same few rows for every connection sharing a kiosk login,
made 50 connections offering 500 requests a second queue behind each other's row locks and
WAL flushes. The monitor reads counts at most that late (its alerts wait 30 minutes); a
process killed outright loses its last seconds of counts, never a loan."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Max, Q, Sum

from navette.core import clock
from navette.network.hours import opening_status
from navette.network.models import Library
from navette.network.selectors import schedules_for
from navette.sip2.models import Kiosk, KioskActivity

OK = "ok"
#: a machine silent this long while its library is open (and was open that long) is flagged
SILENT_AFTER = dt.timedelta(minutes=30)
#: a refusal rate this many times the last week's, over at least MIN_REQUESTS today, is flagged
JUMP_FACTOR = 2.0
MIN_REQUESTS = 20

_table = KioskActivity._meta.db_table
# the table's name from the model's metadata, never from input
_UPSERT = (
    f"INSERT INTO {_table} (kiosk_id, day, message, outcome, count, last_at) "  # noqa: S608
    "VALUES (%s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (kiosk_id, day, message, outcome) "
    f"DO UPDATE SET count = {_table}.count + excluded.count, "
    f"last_at = CASE WHEN excluded.last_at > {_table}.last_at "
    f"THEN excluded.last_at ELSE {_table}.last_at END"
)

_Key = tuple[int, dt.date, str, str]
_lock = threading.Lock()
_pending: dict[_Key, list[Any]] = {}  # key -> [count, last_at]
_flushed_at = time.monotonic()


def activity_count(*, kiosk_id: int, message: str, outcome: str, now: dt.datetime) -> None:
    """Count one request of a kiosk; written with the others when the flush is due."""
    global _flushed_at
    key = (kiosk_id, clock.today(now), message, outcome[:60])
    with _lock:
        entry = _pending.get(key)
        if entry is None:
            _pending[key] = [1, now]
        else:
            entry[0] += 1
            entry[1] = max(entry[1], now)
        due = time.monotonic() - _flushed_at >= settings.NAVETTE_SIP2_ACTIVITY_FLUSH_SECONDS
        if due:
            _flushed_at = time.monotonic()
    if due:
        activity_flush()


def activity_flush() -> int:
    """Write the counts gathered so far (one upsert per kiosk, day, message and outcome);
    returns how many rows were written. Called when due, and when the server stops."""
    with _lock:
        rows = [(*key, count, last) for key, (count, last) in _pending.items()]
        _pending.clear()
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(_UPSERT, rows)
    return len(rows)


#: the monitor's columns: messages by type
TYPES = {"11": "checkout", "09": "checkin", "29": "renew", "65": "renew"}


@dataclass
class KioskRow:
    kiosk: Kiosk
    last_seen: dt.datetime | None
    by_type: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    refusals: int = 0
    reasons: list[tuple[str, int]] = field(default_factory=list)
    week_rate: float | None = None
    silent: bool = False

    @property
    def refusal_rate(self) -> float | None:
        return self.refusals / self.requests if self.requests else None

    @property
    def rate_jumped(self) -> bool:
        rate = self.refusal_rate
        if rate is None or self.requests < MIN_REQUESTS or not rate:
            return False
        return self.week_rate is None or rate >= JUMP_FACTOR * max(self.week_rate, 0.05)

    @property
    def alert(self) -> bool:
        return self.silent or self.rate_jumped


def kiosk_monitor(libraries: list[Library], now: dt.datetime) -> list[KioskRow]:
    """One row per active kiosk of ``libraries``, with today's activity and its alerts."""
    today = clock.today(now)
    kiosks = list(
        Kiosk.objects.filter(library__in=libraries, is_active=True)
        .select_related("library")
        .order_by("library__commune", "login")
    )
    rows = {k.pk: KioskRow(k, None) for k in kiosks}
    seen = (
        KioskActivity.objects.filter(kiosk__in=kiosks)
        .values("kiosk_id")
        .annotate(last=Max("last_at"))
    )
    for entry in seen:
        rows[entry["kiosk_id"]].last_seen = entry["last"]
    reasons: dict[int, Counter[str]] = {k.pk: Counter() for k in kiosks}
    for kiosk_id, message, outcome, count in KioskActivity.objects.filter(
        kiosk__in=kiosks, day=today
    ).values_list("kiosk_id", "message", "outcome", "count"):
        row = rows[kiosk_id]
        kind = TYPES.get(message, "other")
        row.by_type[kind] = row.by_type.get(kind, 0) + count
        row.requests += count
        if outcome != OK:
            row.refusals += count
            reasons[kiosk_id][outcome] += count
    week = (
        KioskActivity.objects.filter(
            kiosk__in=kiosks, day__gte=today - dt.timedelta(days=7), day__lt=today
        )
        .values("kiosk_id")
        .annotate(total=Sum("count"), refused=Sum("count", filter=~Q(outcome=OK)))
    )
    for entry in week:
        if entry["total"]:
            rows[entry["kiosk_id"]].week_rate = (entry["refused"] or 0) / entry["total"]
    schedules = schedules_for(list({k.library for k in kiosks}), today, days_after=1)
    for row in rows.values():
        row.reasons = reasons[row.kiosk.pk].most_common(3)
        schedule = schedules[row.kiosk.library_id]
        open_throughout = (
            opening_status(schedule, now).is_open
            and opening_status(schedule, now - SILENT_AFTER).is_open
        )
        row.silent = open_throughout and (
            row.last_seen is None or now - row.last_seen > SILENT_AFTER
        )
    return list(rows.values())
