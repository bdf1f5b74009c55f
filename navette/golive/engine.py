"""``navette import-network``: bring a network's patrons, copies' states, loans, holds, fines and
anonymous history in from the systems it leaves.

One pass per file kind, in the order of ``PHASES``. Each pass reads its CSV files, checks every
row (a row refused is reported with its file, line and reason, never half-written), resolves
its references (cards, barcodes, libraries) against the database and the rows of the passes
before, and decides what each row does: create, update, merge, nothing (already brought in),
reject. A dry run stops there and reports. An apply writes the decisions in batches, each
batch one transaction that also records the source keys of its rows (``SourceKey``): run
again, or resumed after the process was killed, the plan finds those rows already in and
finishes with the same rows as an uninterrupted run. History rows have no key: their
batches are recorded by number (``ImportBatch``).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import os
import signal
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import identify_hasher, make_password
from django.db import transaction

from navette.catalogue.models import Item, ItemStatus, Record
from navette.circulation.models import Fine, Hold, HoldStatus, Loan
from navette.core import clock
from navette.core.dblocks import job_lock
from navette.golive.dedup import may_be_same, normal_name, person_key
from navette.golive.mapping import (
    KINDS,
    REQUIRED,
    Mapping,
    parse_bool,
    parse_date,
)
from navette.golive.models import (
    ImportBatch,
    ImportIssue,
    ImportRun,
    IssueKind,
    MergeDecision,
    RunMode,
    RunStatus,
    SourceKey,
)
from navette.golive.store import insert_rows
from navette.network.models import Library, Network
from navette.patrons.models import Patron, PatronCard, PatronCategory
from navette.stats.models import CirculationAction, CirculationFact

#: an anonymous history row has no patron: no commune of residence, no pseudonym (its
#: borrowers cannot be counted as distinct)
FACT_FIELDS = ("day", "action", "library_id", "owning_library_id", "doc_type",
               "patron_category", "age_band", "residence")  # fmt: skip
PHASES = ("libraries", "patrons", "copies", "loans", "holds", "fines", "history")
LOCK_NAME = "golive-import"
#: the copies' states an export may set (on loan and on the hold shelf follow from the loans
#: and holds brought in; in transit is never brought in)
COPY_STATES = (ItemStatus.AVAILABLE, ItemStatus.LOST, ItemStatus.WITHDRAWN, ItemStatus.DAMAGED)
HOLD_STATES = (HoldStatus.WAITING, HoldStatus.READY)
HISTORY_ACTIONS = {
    "checkout": CirculationAction.CHECKOUT,
    "checkin": CirculationAction.CHECKIN,
    "renew": CirculationAction.RENEW,
}
#: the environment variable of the kill tests' hook (read by the test settings only:
#: ``settings.NAVETTE_GOLIVE_KILL_AT``)
KILL_AT_ENV = "NAVETTE_GOLIVE_KILL_AT"


class ExportError(ValueError):
    """A file of the export cannot be read at all (missing column, bad encoding)."""


@dataclass
class Row:
    file: str
    line: int
    source: str
    values: dict[str, str]

    def __getitem__(self, name: str) -> str:
        return self.values[name]

    def digest(self) -> str:
        text = "\x1f".join(f"{k}={v}" for k, v in sorted(self.values.items()))
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


@dataclass
class Issue:
    kind: str
    file: str
    line: int
    code: str
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)


class Rejected(Exception):
    def __init__(self, code: str, detail: str = "", *, conflict: bool = False) -> None:
        super().__init__(code)
        self.code, self.detail, self.conflict = code, detail, conflict


@dataclass
class Report:
    counts: Counter[str] = field(default_factory=Counter)
    issues: list[Issue] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    cpu_seconds: float = 0.0

    def count(self, kind: str, outcome: str, n: int = 1) -> None:
        self.counts[f"{kind}.{outcome}"] += n

    def issue(self, issue: Issue) -> None:
        self.issues.append(issue)

    def rejected(self, kind: str, row: Row, exc: Rejected) -> None:
        self.count(kind, "rejected")
        self.issues.append(
            Issue(IssueKind.CONFLICT if exc.conflict else IssueKind.REJECT, row.file, row.line,
                  exc.code, exc.detail)
        )  # fmt: skip

    def of(self, kind: str) -> dict[str, int]:
        prefix = f"{kind}."
        return {k[len(prefix) :]: v for k, v in self.counts.items() if k.startswith(prefix)}


Progress = Callable[[str, int, int], None]


def read_rows(directory: Path, mapping: Mapping, kind: str) -> Iterator[Row]:
    """Every row of the files of ``kind`` in ``directory`` (``<kind>.csv`` is the source
    "main", ``<kind>.<source>.csv`` the source named in its file name; a ``source`` column
    overrides both), with Navette's column names. Raises ``ExportError`` for a file that
    lacks a required column or is not UTF-8."""
    for path in export_files(directory, mapping, kind):
        stem = mapping.file_stem(kind)
        file_source = path.name[len(stem) + 1 : -len(".csv")] or "main"
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle, delimiter=mapping.delimiter)
                header = set(reader.fieldnames or ())
                for name in REQUIRED[kind]:
                    column = mapping.column(kind, name)
                    if column not in header:
                        raise ExportError(f"{path.name} : colonne {column!r} absente")
                columns = [(n, mapping.column(kind, n)) for n in KINDS[kind]]
                for record in reader:
                    values = {n: (record.get(c) or "").strip() for n, c in columns}
                    source = (record.get("source") or "").strip() or file_source
                    yield Row(path.name, reader.line_num, source, values)
        except UnicodeDecodeError as exc:
            raise ExportError(f"{path.name} : n'est pas en UTF-8 ({exc.reason})") from None
        except csv.Error as exc:
            raise ExportError(f"{path.name} : {exc}") from None


def export_files(directory: Path, mapping: Mapping, kind: str) -> list[Path]:
    stem = mapping.file_stem(kind)
    main = directory / f"{stem}.csv"
    return ([main] if main.exists() else []) + sorted(directory.glob(f"{stem}.*.csv"))


def _fingerprint(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _kill_point() -> tuple[str, int, bool] | None:
    spec = settings.NAVETTE_GOLIVE_KILL_AT
    if not spec:
        return None
    parts = spec.split(":")
    return parts[0], int(parts[1]), len(parts) > 2 and parts[2] == "inside"


PENDING = -1  # a target that the apply creates (in a dry run, never in the database)


class NetworkImport:
    """One run of the import. ``run()`` plans (and with ``apply``, writes) every phase."""

    def __init__(
        self, directory: Path, mapping: Mapping, *, apply: bool, now: dt.datetime,
        batch_size: int = 2000, progress: Progress | None = None, started_by: str = "",
    ) -> None:  # fmt: skip
        self.directory = directory
        self.mapping = mapping
        self.apply = apply
        self.now = now
        self.today = clock.today(now)
        self.batch_size = batch_size
        self.progress = progress or (lambda phase, done, total: None)
        self.report = Report()
        self.run_row: ImportRun | None = None
        self.started_by = started_by
        self.kill_at = _kill_point()
        # resolved references: (source, key) → Navette id, PENDING for a row a dry run
        # would create
        self.libraries: dict[str, int] = {}
        self.patrons: dict[tuple[str, str], int] = {}
        self.copies: dict[tuple[str, str], int] = {}
        #: copies created by this plan (dry run): barcode → library id
        self.new_copy_library: dict[str, int] = {}
        self.card_owner: dict[str, int] = {}
        self.item_by_barcode: dict[str, tuple[int, int, str]] = {}
        self.record_ids: set[int] | None = None
        self.pending_ids: dict[str, int] = {}
        self.categories: dict[str, tuple[int, int]] = {}

    # --- running -------------------------------------------------------------------------

    def run(self) -> Report:
        """Plan every phase, writing each one when applying. Raises ``ExportError``."""
        started, cpu = time.monotonic(), time.process_time()
        self.run_row = ImportRun.objects.create(
            directory=str(self.directory),
            mode=RunMode.APPLY if self.apply else RunMode.DRY_RUN,
            started_at=self.now,
        )
        try:
            if self.apply:
                with job_lock(LOCK_NAME, wait=False):
                    # holding the lock, no other apply runs: one still "running" was killed
                    ImportRun.objects.filter(mode=RunMode.APPLY, status=RunStatus.RUNNING).exclude(
                        pk=self.run_row.pk
                    ).update(status=RunStatus.INTERRUPTED)
                    self._phases()
            else:
                self._phases()
        except BaseException as exc:
            ImportRun.objects.filter(pk=self.run_row.pk).update(
                status=RunStatus.FAILED, error=str(exc)[:2000] or type(exc).__name__,
                finished_at=clock.now(), counts=dict(self.report.counts),
                timings=self.report.timings,
            )  # fmt: skip
            self._save_issues()
            raise
        self.report.timings["total"] = round(time.monotonic() - started, 2)
        self.report.cpu_seconds = round(time.process_time() - cpu, 2)
        self.report.timings["cpu"] = self.report.cpu_seconds
        self._save_issues()
        ImportRun.objects.filter(pk=self.run_row.pk).update(
            status=RunStatus.DONE, finished_at=clock.now(), counts=dict(self.report.counts),
            timings=self.report.timings, phase="", done=0, total=0,
        )  # fmt: skip
        return self.report

    def _phases(self) -> None:
        for phase in PHASES:
            t0 = time.monotonic()
            getattr(self, f"_phase_{phase}")()
            self.report.timings[phase] = round(time.monotonic() - t0, 2)

    def _save_issues(self) -> None:
        assert self.run_row is not None
        ImportIssue.objects.bulk_create(
            (ImportIssue(run=self.run_row, kind=i.kind, file=i.file, line=i.line, code=i.code,
                         detail=i.detail[:500], data=i.data)
             for i in self.report.issues),
            batch_size=2000,
        )  # fmt: skip

    def _batches(self, phase: str, items: list[Any], write: Callable[[list[Any]], None]) -> None:
        """Write ``items`` in batches, each one transaction with the run's progress."""
        assert self.run_row is not None
        total = len(items)
        self.progress(phase, 0, total)
        for number, start in enumerate(range(0, total, self.batch_size), start=1):
            chunk = items[start : start + self.batch_size]
            self._write_batch(phase, number, min(start + len(chunk), total), total,
                              functools.partial(write, chunk))  # fmt: skip

    def _write_batch(
        self, phase: str, number: int, done: int, total: int, write: Callable[[], None]
    ) -> None:
        assert self.run_row is not None
        with transaction.atomic():
            write()
            ImportRun.objects.filter(pk=self.run_row.pk).update(phase=phase, done=done, total=total)
            self._maybe_die(phase, number, inside=True)
        self._maybe_die(phase, number, inside=False)
        self.progress(phase, done, total)

    def _maybe_die(self, phase: str, number: int, *, inside: bool) -> None:
        if self.kill_at and self.kill_at == (phase, number, inside):
            os.kill(os.getpid(), signal.SIGKILL)

    def _keys(self, kind: str) -> dict[tuple[str, str], tuple[int, str]]:
        return {
            (s, k): (t, d)
            for s, k, t, d in SourceKey.objects.filter(kind=kind)
            .values_list("source", "key", "target_id", "digest")
            .iterator(chunk_size=20000)
        }

    def _reject(self, kind: str, row: Row, exc: Rejected) -> None:
        self.report.rejected(kind, row, exc)

    def _date(self, row: Row, name: str, *, required: bool = False) -> dt.date | None:
        value = row[name]
        if not value:
            if required:
                raise Rejected("missing_value", name)
            return None
        try:
            return parse_date(value, self.mapping.date_formats)
        except ValueError:
            raise Rejected("bad_date", f"{name}={value}") from None

    def _library(self, row: Row, name: str, *, required: bool = True) -> int | None:
        value = row[name]
        if not value:
            if required:
                raise Rejected("missing_value", name)
            return None
        code = self.mapping.code("library", value)
        found = self.libraries.get(code) or self.libraries.get(code.lower())
        if found is None:
            raise Rejected("unknown_library", f"{name}={value}")
        return found

    def _required(self, kind: str, row: Row) -> None:
        for name in REQUIRED[kind]:
            if not row[name]:
                raise Rejected("missing_value", name)

    # --- libraries -----------------------------------------------------------------------

    def _phase_libraries(self) -> None:
        self.libraries = {code: pk for code, pk in Library.objects.values_list("code", "pk")}
        for code in list(self.libraries):
            self.libraries.setdefault(code.lower(), self.libraries[code])
        new: list[tuple[Row, str]] = []
        for row in read_rows(self.directory, self.mapping, "libraries"):
            code = self.mapping.code("library", row["code"])
            if code in self.libraries:
                self.report.count("libraries", "unchanged")
                continue
            if not row["name"] or not row["commune"]:
                self._reject("libraries", row, Rejected("missing_value", "name, commune"))
                continue
            # a placeholder of its own per new library, so that a dry run tells them apart
            self.libraries[code] = -2 - len(new)
            new.append((row, code))
            self.report.count("libraries", "created")
        categories = dict(PatronCategory.objects.values_list("code", "pk"))
        missing = [c for c in self.mapping.categories if c not in categories]
        self.report.count("categories", "created", len(missing))
        if self.apply and (new or missing):
            network = Network.current()

            def write(_: list[Any]) -> None:
                Library.objects.bulk_create(
                    [Library(network=network, code=code, name=row["name"],
                             commune=row["commune"]) for row, code in new]
                )  # fmt: skip
                PatronCategory.objects.bulk_create(
                    [PatronCategory(code=c, label=self.mapping.categories[c]) for c in missing]
                )

            self._batches("libraries", [None], write)
            self.libraries.update(Library.objects.values_list("code", "pk"))
        self.categories = {
            code: (pk, months)
            for code, pk, months in PatronCategory.objects.values_list(
                "code", "pk", "membership_months"
            )
        }
        for code in missing:
            self.categories.setdefault(code, (PENDING, 12))

    # --- patrons -------------------------------------------------------------------------

    def _patron_values(self, row: Row) -> dict[str, Any]:
        self._required("patrons", row)
        card = "".join(row["card"].split())
        if len(card) > 32:
            raise Rejected("card_too_long", card)
        category = self.mapping.code("category", row["category"])
        if category not in self.categories:
            raise Rejected("unknown_category", f"category={row['category']}")
        library = self._library(row, "library")
        birth = self._date(row, "birth_date")
        registered = self._date(row, "registered_on") or self.today
        expires = self._date(row, "expires_on")
        if expires is None:
            months = self.categories[category][1]
            expires = registered.replace(year=registered.year + max(months // 12, 1))
        opt_in_raw = row["history_opt_in"]
        if self.mapping.preset == "koha":
            opt_in_raw = self.mapping.code("koha_privacy", opt_in_raw)
        try:
            opt_in = parse_bool(opt_in_raw)
        except ValueError:
            raise Rejected("bad_boolean", f"history_opt_in={row['history_opt_in']}") from None
        email = row["email"]
        if email and ("@" not in email or len(email) > 254):
            raise Rejected("bad_email", email)
        return {
            "card_number": card, "first_name": row["first_name"][:100],
            "last_name": row["last_name"][:100], "birth_date": birth, "email": email,
            "phone": row["phone"][:40], "street": row["street"][:200],
            "postcode": row["postcode"][:10], "city": row["city"][:100],
            "category": category, "home_library_id": library,
            "membership_expires_on": expires, "pin_hash": self._pin(row["pin_hash"]),
            "history_opt_in": opt_in, "registered_on": registered,
        }  # fmt: skip

    def _pin(self, value: str) -> str:
        if not value:
            return ""
        if value.startswith(("$2a$", "$2b$", "$2y$")):  # a bare bcrypt hash (Koha)
            return "bcrypt$" + value
        try:
            identify_hasher(value)
            return value
        except ValueError:
            pass
        return make_password(value) if self.mapping.clear_pins == "hash" else ""

    def _phase_patrons(self) -> None:
        keys = self._keys("patron")
        decisions = {
            (frozenset({(a, ca), (b, cb)})): merge
            for a, ca, b, cb, merge in MergeDecision.objects.values_list(
                "source_a", "card_a", "source_b", "card_b", "merge"
            )
        }
        self.card_owner = dict(Patron.objects.values_list("card_number", "pk"))
        self.card_owner.update(
            PatronCard.objects.filter(replaced_at__isnull=True).values_list("number", "patron_id")
        )
        # who is who among the patrons already in: read only if there are new rows
        by_person: dict[str, int] | None = None
        loose: dict[tuple[str, dt.date], list[tuple[str, int | str, str, str]]] = defaultdict(list)
        #: the plan's new patrons: token → values; tokens are "source\x1fcard"
        creates: dict[str, dict[str, Any]] = {}
        create_order: list[str] = []
        merges: list[tuple[Row, str, int | str]] = []  # (row, card, target id or token)
        updates: list[tuple[Row, int, dict[str, Any]]] = []
        plan_person: dict[str, int | str] = {}
        plan_card: dict[str, tuple[int | str, str | None, str]] = {}

        for row in read_rows(self.directory, self.mapping, "patrons"):
            try:
                values = self._patron_values(row)
            except Rejected as exc:
                self._reject("patrons", row, exc)
                continue
            card = values["card_number"]
            key = (row.source, card)
            if key in self.patrons:
                self._reject("patrons", row, Rejected("duplicate_row", card))
                continue
            known = keys.get(key)
            if known is not None:
                self.patrons[key] = known[0]
                if known[1] == row.digest():
                    self.report.count("patrons", "unchanged")
                else:
                    updates.append((row, known[0], values))
                    self.report.count("patrons", "updated")
                continue
            pkey = person_key(values["first_name"], values["last_name"], values["birth_date"])
            if by_person is None:
                by_person = {}
                for pk, first, last, birth in (
                    Patron.objects.order_by("pk")
                    .values_list("pk", "first_name", "last_name", "birth_date")
                    .iterator(chunk_size=20000)
                ):
                    k = person_key(first, last, birth)
                    if k is not None:
                        by_person.setdefault(k, pk)
            # the same card: in the database already, or in an earlier row of another source
            owner: int | str | None = self.card_owner.get(card)
            owner_person: str | None = None
            if owner is None and card in plan_card:
                owner, owner_person, owner_source = plan_card[card]
            if owner is not None:
                if owner_person is None and isinstance(owner, int):
                    owner_person = self._person_of(owner)
                if pkey is not None and pkey == owner_person:
                    merges.append((row, card, owner))
                    self.patrons[key] = owner if isinstance(owner, int) else self._pending(owner)
                    self.report.count("patrons", "merged")
                    self.report.issue(Issue(IssueKind.CONFLICT, row.file, row.line,
                        "card_in_two_sources", f"{card} ({row.source}) =",
                        {"source": row.source, "card": card}))  # fmt: skip
                else:
                    self._reject("patrons", row, Rejected(
                        "card_in_two_sources", f"{card} ({row.source}) ≠", conflict=True))  # fmt: skip
                continue
            target: int | str | None = None
            if pkey is not None:
                target = plan_person.get(pkey)
                if target is None:
                    target = by_person.get(pkey)
            if target is not None:
                other = self._first_card(target, creates)
                decided = decisions.get(frozenset({key, other}))
                same_source = other[0] == row.source
                code = "patron_two_cards" if same_source else "same_patron_two_sources"
                merge = decided if decided is not None else self.mapping.merge_patrons == "exact"
                data = {"source_a": other[0], "card_a": other[1], "source_b": row.source,
                        "card_b": card, "merged": merge}  # fmt: skip
                self.report.issue(Issue(IssueKind.CANDIDATE, row.file, row.line, code,
                                        f"{other[1]} / {card}", data))  # fmt: skip
                if merge:
                    merges.append((row, card, target))
                    plan_card[card] = (target, pkey, row.source)
                    self.patrons[key] = target if isinstance(target, int) else self._pending(target)
                    self.report.count("patrons", "merged")
                    continue
            else:
                self._loose_candidates(row, values, key, loose, creates)
            token = f"{row.source}\x1f{card}"
            values["_row"] = row
            creates[token] = values
            create_order.append(token)
            plan_card[card] = (token, pkey, row.source)
            if pkey is not None:
                plan_person.setdefault(pkey, token)
            self.patrons[key] = self._pending(token)
            self.report.count("patrons", "created")
        if not self.apply:
            return
        self._write_patrons(creates, create_order, merges, updates)
        self.patrons = {k: t for k, (t, _) in self._keys("patron").items()}

    def _pending(self, token: str) -> int:
        """A placeholder id (negative, its own) for a row a dry run would create, so that the
        checks that compare ids (a copy lent twice, two holds of one patron) tell new rows
        apart as the apply will."""
        return self.pending_ids.setdefault(token, -2 - len(self.pending_ids))

    def _person_of(self, patron_id: int) -> str | None:
        p = (
            Patron.objects.filter(pk=patron_id)
            .values_list("first_name", "last_name", "birth_date")
            .first()
        )
        return person_key(*p) if p else None

    def _first_card(self, target: int | str, creates: dict[str, dict[str, Any]]) -> tuple[str, str]:
        if isinstance(target, str):
            source, card = target.split("\x1f")
            return source, card
        found = SourceKey.objects.filter(kind="patron", target_id=target).order_by("pk").first()
        if found is not None:
            return found.source, found.key
        return "", str(Patron.objects.filter(pk=target).values_list("card_number", flat=True)
                       .first() or "")  # fmt: skip

    def _loose_candidates(
        self, row: Row, values: dict[str, Any], key: tuple[str, str],
        loose: dict[tuple[str, dt.date], list[tuple[str, int | str, str, str]]],
        creates: dict[str, dict[str, Any]],
    ) -> None:  # fmt: skip
        """List (never merge) the patrons of the plan whose surname contains the other's."""
        birth = values["birth_date"]
        if birth is None:
            return
        index = (normal_name(values["first_name"]), birth)
        me = (values["first_name"], values["last_name"], birth)
        for last, _target, source, card in loose[index]:
            if may_be_same(me, (values["first_name"], last, birth)):
                self.report.issue(Issue(IssueKind.CANDIDATE, row.file, row.line,
                    "possible_same_patron", f"{card} / {key[1]}",
                    {"source_a": source, "card_a": card, "source_b": key[0], "card_b": key[1],
                     "merged": False}))  # fmt: skip
        loose[index].append((values["last_name"], f"{key[0]}\x1f{key[1]}", key[0], key[1]))

    def _write_patrons(
        self, creates: dict[str, dict[str, Any]], order: list[str],
        merges: list[tuple[Row, str, int | str]], updates: list[tuple[Row, int, dict[str, Any]]],
    ) -> None:  # fmt: skip
        created: dict[str, int] = {}

        def write_creates(tokens: list[str]) -> None:
            patrons = []
            for token in tokens:
                v = creates[token]
                patrons.append(Patron(
                    card_number=v["card_number"], first_name=v["first_name"],
                    last_name=v["last_name"], birth_date=v["birth_date"], email=v["email"],
                    phone=v["phone"], street=v["street"], postcode=v["postcode"], city=v["city"],
                    category_id=self.categories[v["category"]][0],
                    home_library_id=v["home_library_id"],
                    membership_expires_on=v["membership_expires_on"], pin_hash=v["pin_hash"],
                    history_opt_in=v["history_opt_in"],
                ))  # fmt: skip
            Patron.objects.bulk_create(patrons)
            issued = {t: clock.paris_datetime(creates[t]["registered_on"], dt.time(12))
                      for t in tokens}  # fmt: skip
            PatronCard.objects.bulk_create(
                [PatronCard(patron_id=p.pk, number=p.card_number, issued_at=issued[t])
                 for t, p in zip(tokens, patrons, strict=True)]
            )  # fmt: skip
            _insert_keys(
                [SourceKey(source=creates[t]["_row"].source, kind="patron",
                           key=p.card_number, target_id=p.pk,
                           digest=creates[t]["_row"].digest())
                 for t, p in zip(tokens, patrons, strict=True)]
            )  # fmt: skip
            for t, p in zip(tokens, patrons, strict=True):
                created[t] = p.pk

        self._batches("patrons", order, write_creates)

        def write_merges(chunk: list[tuple[Row, str, int | str]]) -> None:
            cards: list[PatronCard] = []
            keys = []
            taken = set(PatronCard.objects.filter(number__in=[c[1] for c in chunk])
                        .values_list("number", flat=True))  # fmt: skip
            for row, card, target in chunk:
                pk = target if isinstance(target, int) else created[target]
                if card not in taken:
                    taken.add(card)
                    cards.append(PatronCard(patron_id=pk, number=card, issued_at=self.now,
                                            is_alias=True))  # fmt: skip
                keys.append(SourceKey(source=row.source, kind="patron", key=card, target_id=pk,
                                      digest=row.digest()))  # fmt: skip
            PatronCard.objects.bulk_create(cards)
            _insert_keys(keys)

        self._batches("merges", merges, write_merges)

        def write_updates(chunk: list[tuple[Row, int, dict[str, Any]]]) -> None:
            for row, pk, v in chunk:
                # a row merged into another source's patron only records its new content
                Patron.objects.filter(pk=pk, card_number=v["card_number"]).update(
                    first_name=v["first_name"], last_name=v["last_name"],
                    birth_date=v["birth_date"], email=v["email"], phone=v["phone"],
                    street=v["street"], postcode=v["postcode"], city=v["city"],
                    category_id=self.categories[v["category"]][0],
                    home_library_id=v["home_library_id"],
                    membership_expires_on=v["membership_expires_on"],
                    history_opt_in=v["history_opt_in"],
                )  # fmt: skip
                SourceKey.objects.filter(
                    source=row.source, kind="patron", key=v["card_number"]
                ).update(digest=row.digest())

        self._batches("updates", updates, write_updates)

    def _patron(self, row: Row) -> int:
        card = "".join(row["card"].split())
        found = self.patrons.get((row.source, card))
        if found is None:
            found = self.card_owner.get(card)
        if found is None:
            raise Rejected("patron_missing", card, conflict=True)
        return found

    # --- copies --------------------------------------------------------------------------

    def _phase_copies(self) -> None:
        keys = self._keys("copy")
        self.item_by_barcode = {
            b: (pk, lib, st)
            for b, pk, lib, st in Item.objects.values_list(
                "barcode", "pk", "owning_library_id", "status"
            ).iterator(chunk_size=20000)
        }
        #: what a new copy needs, without its row (half a million copies at go-live): source,
        #: barcode in the source, digest, barcode, library, record, state, call number
        creates: list[tuple[str, str, str, str, int, int, str, str]] = []
        matches: list[tuple[Row, int, str | None]] = []  # item, status to set
        library_code = {pk: code for code, pk in self.libraries.items()}
        for row in read_rows(self.directory, self.mapping, "copies"):
            try:
                self._required("copies", row)
                barcode = row["barcode"]
                library = self._library(row, "library")
                assert library is not None
                status = self._copy_status(row)
                key = (row.source, barcode)
                if key in self.copies:
                    raise Rejected("duplicate_row", barcode)
                known = keys.get(key)
                if known is not None:
                    self.copies[key] = known[0]
                    if known[1] == row.digest():
                        self.report.count("copies", "unchanged")
                    else:
                        matches.append((row, known[0], status))
                        self.report.count("copies", "updated")
                    continue
                owner = self.item_by_barcode.get(barcode)
                owner_library = owner[1] if owner else self.new_copy_library.get(barcode)
                if owner_library is not None and owner_library != library:
                    if self.mapping.barcode_collision == "reject":
                        raise Rejected("barcode_in_two_libraries", barcode, conflict=True)
                    prefixed = f"{library_code.get(library, library)}-{barcode}"[:64]
                    self.report.issue(Issue(IssueKind.CONFLICT, row.file, row.line,
                                            "barcode_in_two_libraries", f"{barcode} → {prefixed}"))  # fmt: skip
                    barcode = prefixed
                    owner = self.item_by_barcode.get(barcode)
                    if owner is not None or barcode in self.new_copy_library:
                        raise Rejected("barcode_in_two_libraries", barcode, conflict=True)
                if owner is not None:
                    self.copies[key] = owner[0]
                    matches.append((row, owner[0], status if status != owner[2] else None))
                    self.report.count("copies", "matched")
                    continue
                if not row["record"]:
                    raise Rejected("copy_without_record", barcode)
                try:
                    record = int(row["record"])
                except ValueError:
                    raise Rejected("bad_record", row["record"]) from None
                if record not in self._record_ids():
                    raise Rejected("record_missing", row["record"], conflict=True)
                creates.append((row.source, row["barcode"], row.digest(), barcode, library, record,
                                status or ItemStatus.AVAILABLE, row["call_number"][:100]))  # fmt: skip
                self.new_copy_library[barcode] = library
                self.copies[key] = self._pending(f"copy\x1f{row.source}\x1f{barcode}")
                self.report.count("copies", "created")
            except Rejected as exc:
                self._reject("copies", row, exc)
        if not self.apply:
            return

        def write_creates(chunk: list[tuple[str, str, str, str, int, int, str, str]]) -> None:
            items = [Item(record_id=record, barcode=barcode, owning_library_id=library,
                          current_library_id=library, status=status, call_number=call_number)
                     for _s, _k, _d, barcode, library, record, status, call_number in chunk]  # fmt: skip
            Item.objects.bulk_create(items)
            _insert_keys(
                [SourceKey(source=c[0], kind="copy", key=c[1], target_id=i.pk, digest=c[2])
                 for c, i in zip(chunk, items, strict=True)]
            )  # fmt: skip

        self._batches("copies", creates, write_creates)

        def write_matches(chunk: list[tuple[Row, int, str | None]]) -> None:
            for row, pk, status in chunk:
                if status is not None:
                    Item.objects.filter(pk=pk, status__in=COPY_STATES).update(status=status)
                SourceKey.objects.update_or_create(
                    source=row.source, kind="copy", key=row["barcode"],
                    defaults={"target_id": pk, "digest": row.digest()},
                )  # fmt: skip

        self._batches("copies-matched", matches, write_matches)
        self.copies = {k: t for k, (t, _) in self._keys("copy").items()}
        self.item_by_barcode = {
            b: (pk, lib, st)
            for b, pk, lib, st in Item.objects.values_list(
                "barcode", "pk", "owning_library_id", "status"
            ).iterator(chunk_size=20000)
        }

    def _record_ids(self) -> set[int]:
        if self.record_ids is None:
            self.record_ids = set(
                Record.objects.values_list("pk", flat=True).iterator(chunk_size=50000)
            )
        return self.record_ids

    def _copy_status(self, row: Row) -> str | None:
        if not row["status"]:
            return None
        status = self.mapping.code("copy_status", row["status"])
        if status not in COPY_STATES:
            raise Rejected("unknown_status", f"status={row['status']}")
        return status

    def _copy(self, row: Row, name: str = "barcode") -> int:
        barcode = row[name]
        found = self.copies.get((row.source, barcode))
        if found is None:
            owner = self.item_by_barcode.get(barcode)
            found = owner[0] if owner else None
        if found is None:
            raise Rejected("copy_missing", barcode, conflict=True)
        return found

    # --- loans ---------------------------------------------------------------------------

    def _phase_loans(self) -> None:
        keys = self._keys("loan")
        on_loan = set(Loan.objects.open().values_list("item_id", flat=True))
        creates: list[tuple[Row, int, int, int | None, dt.date, dt.date, int]] = []
        updates: list[tuple[Row, int, dt.date, int]] = []
        seen: set[tuple[str, str]] = set()
        for row in read_rows(self.directory, self.mapping, "loans"):
            try:
                self._required("loans", row)
                key = (row.source, row["barcode"])
                if key in seen:
                    raise Rejected("duplicate_row", row["barcode"])
                seen.add(key)
                loaned = self._date(row, "loaned_on", required=True)
                due = self._date(row, "due_on", required=True)
                assert loaned is not None and due is not None
                if due < loaned:
                    raise Rejected("due_before_loan", f"{due} < {loaned}")
                try:
                    renewals = int(row["renewals"] or 0)
                except ValueError:
                    raise Rejected("bad_number", f"renewals={row['renewals']}") from None
                known = keys.get(key)
                if known is not None:
                    if known[1] == row.digest():
                        self.report.count("loans", "unchanged")
                    else:
                        updates.append((row, known[0], due, renewals))
                        self.report.count("loans", "updated")
                    continue
                patron = self._patron(row)
                item = self._copy(row)
                library = self._library(row, "library", required=False)
                if item in on_loan:
                    raise Rejected("copy_already_on_loan", row["barcode"], conflict=True)
                on_loan.add(item)
                creates.append((row, patron, item, library, loaned, due, renewals))
                self.report.count("loans", "created")
            except Rejected as exc:
                self._reject("loans", row, exc)
        if not self.apply:
            return

        def write(chunk: list[tuple[Row, int, int, int | None, dt.date, dt.date, int]]) -> None:
            info = {pk: (lib, own or rec) for pk, lib, own, rec in Item.objects.filter(
                pk__in=[c[2] for c in chunk]).values_list(
                "pk", "owning_library_id", "doc_type_override", "record__doc_type")}  # fmt: skip
            loans = [Loan(item_id=item, patron_id=patron, library_id=library or info[item][0],
                          doc_type=info[item][1], due_on=due, renewals=renewals,
                          loaned_at=clock.paris_datetime(loaned, dt.time(12)))
                     for row, patron, item, library, loaned, due, renewals in chunk]  # fmt: skip
            Loan.objects.bulk_create(loans)
            Item.objects.filter(pk__in=[c[2] for c in chunk]).update(status=ItemStatus.ON_LOAN)
            _insert_keys(
                [SourceKey(source=c[0].source, kind="loan", key=c[0]["barcode"], target_id=lo.pk,
                           digest=c[0].digest()) for c, lo in zip(chunk, loans, strict=True)]
            )  # fmt: skip

        self._batches("loans", creates, write)

        def write_updates(chunk: list[tuple[Row, int, dt.date, int]]) -> None:
            for row, pk, due, renewals in chunk:
                Loan.objects.open().filter(pk=pk).update(due_on=due, renewals=renewals)
                SourceKey.objects.filter(source=row.source, kind="loan",
                                         key=row["barcode"]).update(digest=row.digest())  # fmt: skip

        self._batches("loans-updated", updates, write_updates)

    # --- holds ---------------------------------------------------------------------------

    def _phase_holds(self) -> None:
        keys = self._keys("hold")
        active = set(Hold.objects.active().values_list("patron_id", "record_id"))
        trapped = set(Hold.objects.filter(status__in=(HoldStatus.READY, HoldStatus.IN_TRANSIT))
                      .values_list("trapped_item_id", flat=True))  # fmt: skip
        on_loan = set(Loan.objects.open().values_list("item_id", flat=True))
        item_record: dict[int, int] = {}
        parsed: list[tuple[Row, str, int, int, int | None, int, dt.datetime, int, str]] = []
        seen: set[tuple[str, str]] = set()
        for row in read_rows(self.directory, self.mapping, "holds"):
            try:
                self._required("holds", row)
                if not row["record"] and not row["barcode"]:
                    raise Rejected("missing_value", "record, barcode")
                placed = self._instant(row, "placed_at")
                key_text = row["hold_id"] or f"{row['card']}|{row['record'] or row['barcode']}"
                key = (row.source, key_text)
                if key in seen:
                    raise Rejected("duplicate_row", key_text)
                seen.add(key)
                status = self.mapping.code("hold_status", row["status"] or HoldStatus.WAITING)
                if status not in HOLD_STATES:
                    raise Rejected("unknown_status", f"status={row['status']}")
                try:
                    queue = int(row["queue"] or 0)
                except ValueError:
                    raise Rejected("bad_number", f"queue={row['queue']}") from None
                if key in keys:
                    self.report.count("holds", "unchanged")
                    continue
                patron = self._patron(row)
                pickup = self._library(row, "pickup_library")
                assert pickup is not None
                item: int | None = None
                if row["barcode"]:
                    item = self._copy(row)
                if row["record"]:
                    try:
                        record = int(row["record"])
                    except ValueError:
                        raise Rejected("bad_record", row["record"]) from None
                    if record not in self._record_ids():
                        raise Rejected("record_missing", row["record"], conflict=True)
                elif item is not None and item > 0:
                    if item not in item_record:
                        item_record[item] = Item.objects.values_list(
                            "record_id", flat=True).get(pk=item)  # fmt: skip
                    record = item_record[item]
                else:
                    record = PENDING
                if status == HoldStatus.READY:
                    if item is None:
                        raise Rejected("ready_hold_without_copy", key_text)
                    if item in on_loan or item in trapped:
                        raise Rejected("ready_hold_copy_taken", row["barcode"], conflict=True)
                    trapped.add(item)
                if record != PENDING:
                    if (patron, record) in active:
                        raise Rejected("hold_duplicate", key_text, conflict=True)
                    active.add((patron, record))
                parsed.append((row, key_text, patron, record, item, pickup, placed, queue, status))
                self.report.count("holds", "created")
            except Rejected as exc:
                self._reject("holds", row, exc)
        if not self.apply:
            return
        # queue order: within a source and a title, by queue position then date; the dates
        # are made strictly increasing in that order, since the queue is served by date
        groups: dict[tuple[str, int], list[int]] = defaultdict(list)
        for i, p in enumerate(parsed):
            groups[(p[0].source, p[3])].append(i)
        placed_at: dict[int, dt.datetime] = {}
        for members in groups.values():
            members.sort(key=lambda i: (parsed[i][7] or 10**9, parsed[i][6], i))
            last: dt.datetime | None = None
            for i in members:
                when = parsed[i][6]
                if last is not None and when <= last:
                    when = last + dt.timedelta(seconds=1)
                placed_at[i] = last = when
        todo = list(range(len(parsed)))

        def write(chunk: list[int]) -> None:
            holds = []
            for i in chunk:
                row, _key, patron, record, item, pickup, _placed, _q, status = parsed[i]
                ready = status == HoldStatus.READY
                holds.append(Hold(
                    patron_id=patron, record_id=record, item_id=None if ready else item,
                    pickup_library_id=pickup, status=status, placed_at=placed_at[i],
                    trapped_item_id=item if ready else None,
                    trapped_at=self.now if ready else None, ready_at=self.now if ready else None,
                    shelf_expires_on=self.today + dt.timedelta(days=10) if ready else None,
                ))  # fmt: skip
            Hold.objects.bulk_create(holds)
            shelf = [parsed[i][4] for i in chunk if parsed[i][8] == HoldStatus.READY]
            if shelf:
                Item.objects.filter(pk__in=shelf).update(status=ItemStatus.ON_HOLD_SHELF)
            _insert_keys(
                [SourceKey(source=parsed[i][0].source, kind="hold", key=parsed[i][1],
                           target_id=h.pk, digest=parsed[i][0].digest())
                 for i, h in zip(chunk, holds, strict=True)]
            )  # fmt: skip

        self._batches("holds", todo, write)

    def _instant(self, row: Row, name: str) -> dt.datetime:
        value = row[name]
        try:
            if len(value) > 10:
                when = dt.datetime.fromisoformat(value)
                return when if when.tzinfo else when.replace(tzinfo=clock.PARIS)
        except ValueError:
            raise Rejected("bad_date", f"{name}={value}") from None
        day = self._date(row, name, required=True)
        assert day is not None
        return clock.paris_datetime(day, dt.time(12))

    # --- fines ---------------------------------------------------------------------------

    def _phase_fines(self) -> None:
        keys = self._keys("fine")
        creates: list[tuple[Row, str, int, int, int, dt.date]] = []
        seen: set[tuple[str, str]] = set()
        for row in read_rows(self.directory, self.mapping, "fines"):
            try:
                self._required("fines", row)
                key_text = row["fine_id"] or f"{row['card']}|{row['barcode']}|{row['created_on']}"
                key = (row.source, key_text)
                if key in seen:
                    raise Rejected("duplicate_row", key_text)
                seen.add(key)
                try:
                    cents = int(Decimal(row["amount"].replace(",", ".")) * 100)
                except InvalidOperation:
                    raise Rejected("bad_amount", row["amount"]) from None
                if cents <= 0:
                    raise Rejected("bad_amount", row["amount"])
                created = self._date(row, "created_on", required=True)
                assert created is not None
                if key in keys:
                    self.report.count("fines", "unchanged")
                    continue
                patron = self._patron(row)
                item = self._copy(row)
                creates.append((row, key_text, patron, item, cents, created))
                self.report.count("fines", "created")
            except Rejected as exc:
                self._reject("fines", row, exc)
        if not self.apply:
            return

        def write(chunk: list[tuple[Row, str, int, int, int, dt.date]]) -> None:
            info = {pk: (lib, own or rec) for pk, lib, own, rec in Item.objects.filter(
                pk__in=[c[3] for c in chunk]).values_list(
                "pk", "owning_library_id", "doc_type_override", "record__doc_type")}  # fmt: skip
            # a fine belongs to a loan: the late loan it was charged for, returned
            loans = []
            for _row, _k, patron, item, _cents, created in chunk:
                at = clock.paris_datetime(created, dt.time(12))
                loans.append(Loan(item_id=item, patron_id=patron, library_id=info[item][0],
                                  doc_type=info[item][1], loaned_at=at, due_on=created,
                                  returned_at=at, return_library_id=info[item][0]))  # fmt: skip
            Loan.objects.bulk_create(loans)
            fines = [Fine(patron_id=c[2], loan_id=lo.pk, amount_cents=c[4],
                          created_at=lo.loaned_at)
                     for c, lo in zip(chunk, loans, strict=True)]  # fmt: skip
            Fine.objects.bulk_create(fines)
            _insert_keys(
                [SourceKey(source=c[0].source, kind="fine", key=c[1], target_id=f.pk,
                           digest=c[0].digest()) for c, f in zip(chunk, fines, strict=True)]
            )  # fmt: skip

        self._batches("fines", creates, write)

    # --- history -------------------------------------------------------------------------

    def _phase_history(self) -> None:
        """Anonymous history, streamed (millions of rows): batches numbered per file."""
        batch_size = self.batch_size * 5  # facts are small rows
        for path in export_files(self.directory, self.mapping, "history"):
            fingerprint = _fingerprint(path)
            done = set(ImportBatch.objects.filter(fingerprint=fingerprint)
                       .values_list("number", flat=True))  # fmt: skip
            rows: list[tuple[Any, ...] | None] = []
            number = 0
            count = 0
            single = self.mapping.files.get("history")
            for row in read_rows(path.parent, _only(self.mapping, path, single), "history"):
                count += 1
                try:
                    rows.append(self._fact(row))
                except Rejected as exc:
                    rows.append(None)  # keeps the batches' numbering stable
                    if number + 1 not in done:
                        self._reject("history", row, exc)
                if len(rows) == batch_size:
                    number += 1
                    self._history_batch(fingerprint, number, rows, done, count)
                    rows = []
            if rows:
                number += 1
                self._history_batch(fingerprint, number, rows, done, count)

    def _history_batch(
        self, fingerprint: str, number: int, rows: list[tuple[Any, ...] | None], done: set[int],
        count: int,
    ) -> None:  # fmt: skip
        facts = [f for f in rows if f is not None]
        if number in done:
            self.report.count("history", "unchanged", len(facts))
            return
        self.report.count("history", "created", len(facts))
        if not self.apply:
            self.progress("history", count, 0)
            return

        def write() -> None:
            insert_rows(CirculationFact, FACT_FIELDS, facts)
            ImportBatch.objects.create(fingerprint=fingerprint, number=number)

        self._write_batch("history", number, count, 0, write)

    def _fact(self, row: Row) -> tuple[Any, ...]:
        """A history row as the values of ``FACT_FIELDS``."""
        self._required("history", row)
        day = self._date(row, "day", required=True)
        assert day is not None
        library = self._library(row, "library")
        action = HISTORY_ACTIONS.get(self.mapping.code("action", row["action"] or "checkout"))
        if action is None:
            raise Rejected("unknown_action", f"action={row['action']}")
        doc_type = self.mapping.code("doc_type", row["doc_type"])[:20]
        category = self.mapping.code("category", row["patron_category"])[:30]
        return (day, action.value, library, library, doc_type, category, row["age_band"][:10], "")


def _insert_keys(keys: list[SourceKey]) -> None:
    insert_rows(SourceKey, ("source", "kind", "key", "target_id", "digest"),
                [(k.source, k.kind, k.key, k.target_id, k.digest) for k in keys])  # fmt: skip


def _only(mapping: Mapping, path: Path, stem: str | None) -> Mapping:
    """A mapping that reads only ``path`` of the history files (batches are per file)."""
    one = Mapping(**{**mapping.__dict__})
    one.files = {**mapping.files, "history": path.name[: -len(".csv")]}
    del stem
    return one
