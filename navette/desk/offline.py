"""Offline transactions at a desk or a kiosk: a file of loans and returns recorded while
the network was down, or a kiosk's replay with the no-block flag."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from navette.circulation.models import OfflineKind, OfflineOutcome
from navette.circulation.services import OfflineEntry, offline_replay
from navette.core import clock
from navette.core.actors import Actor
from navette.desk.identifiers import normal_barcode, normal_card
from navette.desk.outcomes import Code, Outcome, done, refused
from navette.network.models import Library

_KINDS = {"checkout": OfflineKind.CHECKOUT, "pret": OfflineKind.CHECKOUT,
          "prêt": OfflineKind.CHECKOUT, "checkin": OfflineKind.CHECKIN,
          "retour": OfflineKind.CHECKIN}  # fmt: skip


@dataclass(frozen=True)
class LineError:
    """A line of an offline file that could not be read: its number and what is wrong
    (``bad_columns``, ``bad_kind``, ``bad_time``, ``missing_barcode``, ``missing_card``)."""

    line: int
    code: str
    text: str


def parse_offline_file(text: str) -> tuple[list[OfflineEntry], list[LineError]]:
    """Read an offline file: one transaction a line, ``time;checkout;card;barcode`` or
    ``time;checkin;barcode`` (comma, semicolon or tab), the time in ISO 8601 (local time of
    the network when it has no offset). Blank lines and lines starting with ``#`` are
    skipped. Returns the entries and, for every other line, what was wrong with it."""
    entries: list[OfflineEntry] = []
    errors: list[LineError] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        delimiter = next((d for d in (";", "\t") if d in line), ",")
        cells = [c.strip() for c in next(csv.reader(io.StringIO(line), delimiter=delimiter))]
        if len(cells) < 3:
            errors.append(LineError(number, "bad_columns", raw))
            continue
        kind = _KINDS.get(cells[1].lower())
        if kind is None:
            errors.append(LineError(number, "bad_kind", raw))
            continue
        try:
            at = dt.datetime.fromisoformat(cells[0])
        except ValueError:
            errors.append(LineError(number, "bad_time", raw))
            continue
        if at.tzinfo is None:
            at = at.replace(tzinfo=clock.PARIS)
        if kind == OfflineKind.CHECKOUT:
            if len(cells) < 4 or not normal_card(cells[2]):
                errors.append(LineError(number, "missing_card", raw))
                continue
            card, barcode = normal_card(cells[2]), normal_barcode(cells[3])
        else:
            card, barcode = "", normal_barcode(cells[2])
        if not barcode:
            errors.append(LineError(number, "missing_barcode", raw))
            continue
        entries.append(OfflineEntry(kind=kind, barcode=barcode, at=at, card=card))
    return entries, errors


def desk_offline_replay(
    *, entries: list[OfflineEntry], library: Library, actor: Actor, now: dt.datetime,
    source: str,
) -> Outcome:  # fmt: skip
    """Replay offline transactions in time order: ``offline_replayed`` with ``replayed``
    (the logged transactions), ``applied``, ``skipped`` and ``conflicts`` (those staff
    must settle)."""
    done_ = offline_replay(entries=entries, library=library, actor=actor, now=now, source=source)
    conflicts = [t for t in done_ if t.outcome == OfflineOutcome.CONFLICT]
    return done(
        Code.OFFLINE_REPLAYED, replayed=done_, conflicts=conflicts,
        applied=sum(t.outcome == OfflineOutcome.APPLIED for t in done_),
        skipped=sum(t.outcome == OfflineOutcome.SKIPPED for t in done_),
    )  # fmt: skip


def desk_offline_one(
    *, kind: str, barcode: str, card: str = "", at: dt.datetime, library: Library,
    actor: Actor, now: dt.datetime, source: str,
) -> Outcome:  # fmt: skip
    """One offline transaction (a kiosk's no-block message): ``lent`` (with ``loan``,
    ``due_on``) or ``returned`` when applied or already recorded, else the conflict's code."""
    entry = OfflineEntry(kind=kind, barcode=normal_barcode(barcode), card=normal_card(card), at=at)
    (logged,) = offline_replay(entries=[entry], library=library, actor=actor, now=now,
                               source=source)  # fmt: skip
    if logged.outcome == OfflineOutcome.CONFLICT:
        return refused(logged.code, barcode=entry.barcode, offline=logged)
    if kind == OfflineKind.CHECKOUT and logged.loan is not None:
        return done(Code.LENT, barcode=entry.barcode, loan=logged.loan,
                    due_on=logged.loan.due_on, offline=logged)  # fmt: skip
    return done(Code.OFFLINE_RECORDED, barcode=entry.barcode, offline=logged)
