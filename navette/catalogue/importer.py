"""MARC import: files in, records and copies stored in batches, rejects reported.

Use :func:`import_marc_files`. Each batch of records is one transaction (the
records, their identifiers, their copies and the search outbox rows), so an
interrupted import leaves whole batches only; running it again matches what
is already there (001+003, then 035, then ISBN) and finishes the job without
duplicates. A record carrying an identifier of a record merged into another
(``MergedIdentifier``) matches the kept record: its copies join it, its description
is left as the cataloguer kept it. Each batch also writes its records' duplicate keys
(``navette.catalogue.duplicates``).
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import gc
import gzip
import hashlib
import io
import json
import multiprocessing
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from navette.catalogue.duplicates import duplicate_keys
from navette.catalogue.heading_index import headings_refresh
from navette.catalogue.marc import MarcError
from navette.catalogue.marc.charset import marc21_decoder, unimarc_decoder
from navette.catalogue.marc.extract import Extracted, extract
from navette.catalogue.marc.holdings import HoldingCopy, copies_from
from navette.catalogue.marc.iso2709 import (
    CompactField,
    parse_structure,
    split_records,
    to_json_and_fields,
)
from navette.catalogue.marc.marcxml import (
    COLLECTION_HEAD,
    COLLECTION_TAIL,
    element_to_json,
    is_xml,
    iter_xml_records,
    raw_xml,
)
from navette.catalogue.models import (
    DuplicateKey,
    Item,
    LibraryCodeMapping,
    MergedIdentifier,
    Record,
    RecordIdentifier,
)
from navette.core.dblocks import JobLockBusy, job_lock
from navette.core.models import RecordChange
from navette.core.outbox import consumers_wake
from navette.network.models import Library

BATCH_SIZE = 2000

#: the job lock every MARC import holds from its first batch to its last
IMPORT_LOCK = "catalogue.marc-import"


class ImportBusy(MarcError):
    """Another MARC import is running against the same database."""


@dataclass
class Reject:
    file: str
    number: int
    offset: int  # byte offset (ISO 2709) or line (MARCXML)
    reason: str
    raw: bytes = b""
    kind: str = "iso2709"

    def position(self) -> str:
        where = f"octet {self.offset}" if self.kind == "iso2709" else f"ligne {self.offset}"
        return f"{self.file}, notice {self.number}, {where}"


@dataclass
class ImportReport:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    #: records recognised as one merged into another: their copies go to the kept record
    merged: int = 0
    items_created: int = 0
    items_updated: int = 0
    copies_without_barcode: int = 0
    rejects: list[Reject] = field(default_factory=list)
    rejects_path: Path | None = None
    interrupted: bool = False
    files: list[str] = field(default_factory=list)
    #: file -> records read in it
    read_by_file: dict[str, int] = field(default_factory=dict)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged

    def summary(self) -> str:
        text = (
            f"{self.read} notices lues : {self.created} créées, {self.updated} mises à jour, "
            f"{self.unchanged} inchangées, {self.rejected} rejetées ; "
            + (f"{self.merged} reconnues comme fusionnées ; " if self.merged else "")
            + f"{self.items_created} exemplaires créés, {self.items_updated} mis à jour"
        )
        if self.copies_without_barcode:
            text += f" ; {self.copies_without_barcode} exemplaires sans code-barres ignorés"
        if self.interrupted:
            text += " — IMPORT INTERROMPU : relancez la même commande pour terminer"
        return text


@dataclass(eq=False)
class Parsed:
    file: str
    number: int
    offset: int
    raw: bytes
    kind: str
    marc: dict[str, Any]
    flavour: str
    x: Extracted
    copies: list[HoldingCopy]
    marc_text: str = ""
    marc_hash: str = ""
    #: record columns up to marc_hash, serialised where the record was parsed
    row: list[Any] = field(default_factory=list)
    keys: list[tuple[str, str]] = field(default_factory=list)
    #: the keys duplicates are found by (``navette.catalogue.duplicates``)
    dup_keys: list[tuple[str, str]] = field(default_factory=list)


class LibraryResolver:
    """Library codes in files -> network library ids (Library.code, mapping table, options)."""

    def __init__(self, default_code: str | None = None, extra: dict[str, str] | None = None):
        by_code = {code.lower(): pk for pk, code in Library.objects.values_list("pk", "code")}
        self.codes: dict[str, int] = dict(by_code)
        for source, lib_id in LibraryCodeMapping.objects.values_list("source_code", "library_id"):
            self.codes[source.lower()] = lib_id
        for source, target in (extra or {}).items():
            if target.lower() not in by_code:
                raise MarcError(f"bibliothèque inconnue dans la correspondance : {target}")
            self.codes[source.lower()] = by_code[target.lower()]
        self.default: int | None = None
        if default_code:
            if default_code.lower() not in by_code:
                raise MarcError(f"bibliothèque inconnue : {default_code}")
            self.default = by_code[default_code.lower()]

    def resolve(self, code: str) -> int | None:
        return self.codes.get(code.strip().lower(), self.default) if code else self.default


def open_input(path: Path) -> IO[bytes]:
    raw = open(path, "rb")  # noqa: SIM115 - closed by the caller through the wrapper
    head = raw.read(2)
    raw.seek(0)
    if head == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw


def _detect_flavour(fields: Iterable[str]) -> str:
    tags = set(fields)
    if "245" in tags:
        return "marc21"
    if "200" in tags:
        return "unimarc"
    return "marc21"


def _title_tag(flavour: str) -> str:
    return "200$a" if flavour == "unimarc" else "245$a"


def _dumps(value: Any) -> str:
    """Compact JSON, non-ASCII kept (orjson; the same text json.dumps gives)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:  # orjson refuses what json accepts (lone surrogates, big integers)
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _finish(
    file: str,
    number: int,
    offset: int,
    raw: bytes,
    kind: str,
    marc: dict[str, Any],
    flavour: str,
    by_tag: dict[str, list[CompactField]] | None = None,
) -> Parsed:
    leader = marc["leader"]
    rtype = leader[6:7]
    if flavour == "marc21" and rtype in ("z", "x", "y", "v", "u", "q"):
        kind_name = "d'autorité" if rtype in "zq" else "de données d'exemplaire (MFHD)"
        raise MarcError(
            f"notice {kind_name}, pas une notice bibliographique (label/06 = {rtype!r})"
        )
    x = extract(marc, flavour, by_tag)
    if not x.title:
        raise MarcError(f"titre absent ({_title_tag(flavour)})")
    copies = copies_from(marc)
    text = _dumps(marc)
    p = Parsed(
        file, number, offset, raw, kind, marc, flavour, x, copies, text,
        hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest(),
    )  # fmt: skip
    p.keys = _keys(p)
    p.dup_keys = duplicate_keys(x)
    p.row = build_row(p)
    return p


def build_row(p: Parsed) -> list[Any]:
    """The record columns (up to marc_hash) for ``p``, JSON already serialised."""
    x, flavour, text = p.x, p.flavour, p.marc_text
    dumps = _dumps
    return [
        flavour, text, x.control_number[:64], x.control_source[:64], x.title,
        x.subtitle, x.responsibility, dumps(x.authors),
        dumps(x.subjects), x.publisher[:255],
        x.year if x.year is not None and -32768 < x.year < 32768 else None,
        dumps(x.languages), dumps(x.isbns), dumps(x.issns), dumps(x.eans),
        dumps(x.series), x.summary, x.audience, x.doc_type, p.marc_hash,
    ]  # fmt: skip


def read_file(path: Path, flavour: str | None, workers: int = 0) -> Iterator[Parsed | Reject]:
    """Parse a file into records or rejects, never raising for bad records."""
    name = str(path)
    with open_input(path) as stream:
        try:
            head = stream.peek(64)[:64] if hasattr(stream, "peek") else b""
        except (OSError, EOFError) as exc:
            yield Reject(name, 1, 0, f"fichier illisible : {exc}")
            return
        if is_xml(head):
            yield from _read_xml(name, stream, flavour)
        else:
            if workers and path.stat().st_size < 4_000_000:
                workers = 0  # not worth starting processes
            yield from _read_iso2709(name, stream, flavour, workers)


def _parse_one(name: str, flavour: str | None, number: int, offset: int, data: bytes,
               terminated: bool) -> Parsed | Reject:  # fmt: skip
    try:
        if not terminated:
            raise MarcError("fin de notice (0x1D) absente : fichier tronqué")
        leader, fields = parse_structure(data)
        fl = flavour or _detect_flavour(t for t, _ in fields)
        if fl == "unimarc":
            decode, _cs = unimarc_decoder(fields)
        else:
            decode, _cs = marc21_decoder(leader, fields)
        marc, by_tag = to_json_and_fields(leader, fields, decode)
        return _finish(name, number, offset, data, "iso2709", marc, fl, by_tag)
    except MarcError as exc:
        return Reject(name, number, offset, str(exc), data)
    except Exception as exc:  # a record must never stop the import
        return Reject(name, number, offset, f"notice illisible ({exc!r})", data)


def parse_chunk(name: str, flavour: str | None,
                chunk: list[tuple[int, int, bytes, bool]]) -> list[Parsed | Reject]:  # fmt: skip
    """Parse raw records (run in a worker process for big files)."""
    out = []
    for number, offset, data, terminated in chunk:
        p = _parse_one(name, flavour, number, offset, data, terminated)
        if isinstance(p, Parsed):
            p.marc = {}  # the stored text is enough from here on; spares pickling
        out.append(p)
    return out


PARSE_CHUNK = 500


def _raw_chunks(stream: IO[bytes]) -> Iterator[list[tuple[int, int, bytes, bool]]]:
    chunk: list[tuple[int, int, bytes, bool]] = []
    for raw in split_records(stream):
        chunk.append((raw.number, raw.offset, raw.data, raw.terminated))
        if len(chunk) >= PARSE_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _read_iso2709(name: str, stream: IO[bytes], flavour: str | None,
                  workers: int = 0) -> Iterator[Parsed | Reject]:  # fmt: skip
    try:
        if workers <= 0:
            for chunk in _raw_chunks(stream):
                yield from parse_chunk(name, flavour, chunk)
            return

        # fork: workers only parse bytes, they never touch the database
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            pending: collections.deque[Any] = collections.deque()
            for chunk in _raw_chunks(stream):
                pending.append(pool.submit(parse_chunk, name, flavour, chunk))
                if len(pending) >= workers * 3:  # bounded: memory stays flat
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        yield Reject(
            name, 0, 0, f"lecture interrompue : fichier compressé tronqué ou illisible ({exc})"
        )


def _read_xml(name: str, stream: IO[bytes], flavour: str | None) -> Iterator[Parsed | Reject]:
    number = 0
    try:
        for number, line, elem in iter_xml_records(stream):
            try:
                marc = element_to_json(elem)
                tags = (next(iter(f)) for f in marc["fields"])
                fl = flavour or _detect_flavour(tags)
                yield _finish(name, number, line, raw_xml(elem), "xml", marc, fl)
            except MarcError as exc:
                yield Reject(name, number, line, str(exc), raw_xml(elem), kind="xml")
            except Exception as exc:  # a record must never stop the import
                yield Reject(
                    name, number, line, f"notice illisible ({exc!r})", raw_xml(elem), kind="xml"
                )
    except MarcError as exc:
        yield Reject(
            name, number + 1, 0, f"{exc} ; les notices suivantes sont illisibles", kind="xml"
        )
    except (OSError, EOFError) as exc:
        yield Reject(name, number + 1, 0, f"lecture interrompue : {exc}", kind="xml")


class RejectWriter:
    """Appends rejected records to <path>.mrc (ISO 2709), <path>.xml and a <path>.tsv report."""

    def __init__(self, path: Path | None):
        self.path = path
        self._mrc: IO[bytes] | None = None
        self._xml: IO[bytes] | None = None
        self._tsv: IO[str] | None = None

    def write(self, reject: Reject) -> None:
        if self.path is None:
            return
        if self._tsv is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._tsv = open(self.path.with_suffix(".tsv"), "w", encoding="utf-8")  # noqa: SIM115
            self._tsv.write("fichier\tnotice\tposition\tmotif\n")
        pos = f"octet {reject.offset}" if reject.kind == "iso2709" else f"ligne {reject.offset}"
        self._tsv.write(f"{reject.file}\t{reject.number}\t{pos}\t{reject.reason}\n")
        if reject.raw and reject.kind == "iso2709":
            if self._mrc is None:
                self._mrc = open(self.path.with_suffix(".mrc"), "wb")  # noqa: SIM115
            data = reject.raw if reject.raw.endswith(b"\x1d") else reject.raw + b"\x1d"
            self._mrc.write(data)
        elif reject.raw:
            if self._xml is None:
                self._xml = open(self.path.with_suffix(".xml"), "wb")  # noqa: SIM115
                self._xml.write(COLLECTION_HEAD.encode())
            self._xml.write(reject.raw + b"\n")

    def close(self) -> None:
        if self._xml is not None:
            self._xml.write(COLLECTION_TAIL.encode())
        for fh in (self._mrc, self._xml, self._tsv):
            if fh is not None:
                fh.close()


def _keys(p: Parsed) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = []
    if p.x.control_number:
        keys.append(("001+003", f"{p.x.control_source}|{p.x.control_number}"[:128]))
    keys.extend(("035", v[:128]) for v in p.x.system_numbers)
    keys.extend(("isbn", v) for v in p.x.isbns)
    return keys


class _Store:
    """Writes batches with few statements: one IN query per identifier kind, executemany inserts."""

    RECORD_COLUMNS = [
        "flavour", "marc", "control_number", "control_source", "title", "subtitle",
        "responsibility", "authors", "subjects", "publisher", "year", "languages", "isbns",
        "issns", "eans", "series", "summary", "audience", "doc_type", "marc_hash",
        "source_file", "is_demo", "updated_at",
    ]  # fmt: skip
    JSON_COLUMNS = {"marc", "authors", "subjects", "languages", "isbns", "issns", "eans", "series"}

    def __init__(self, report: ImportReport, libraries: LibraryResolver, rejects: RejectWriter,
                 *, is_demo: bool, now: dt.datetime):  # fmt: skip
        self.report = report
        self.libraries = libraries
        self.rejects = rejects
        self.is_demo = is_demo
        self.now = now
        self.vendor = connection.vendor
        self.rec_table = Record._meta.db_table
        self.ident_table = RecordIdentifier._meta.db_table
        self.key_table = DuplicateKey._meta.db_table
        self.merged_table = MergedIdentifier._meta.db_table
        self.item_table = Item._meta.db_table
        json_ph = "%s::jsonb" if self.vendor == "postgresql" else "%s"
        self.rec_ph = [json_ph if c in self.JSON_COLUMNS else "%s" for c in self.RECORD_COLUMNS]

    def reject(self, p: Parsed, reason: str) -> None:
        r = Reject(p.file, p.number, p.offset, reason, p.raw, p.kind)
        self.report.rejected += 1
        self.report.rejects.append(r)
        self.rejects.write(r)

    def _row(self, p: Parsed) -> list[Any]:
        return [*p.row, p.file[-255:], self.is_demo, self.ts]

    def _insert(
        self, cursor: Any, table: str, columns: list[str], rows: Sequence[Sequence[Any]],
        placeholders: list[str] | None = None,
    ) -> None:  # fmt: skip
        """Insert ``rows``: COPY on PostgreSQL (one stream, no statement per row), else executemany.

        JSON columns arrive as JSON text, which COPY hands to jsonb's input function.
        """
        if self.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        ph = ", ".join(placeholders or ["%s"] * len(columns))
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({ph})",  # noqa: S608
            rows,
        )

    def _allocate_ids(self, cursor: Any, n: int) -> list[int]:
        if self.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [self.rec_table, n],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {self.rec_table}")  # noqa: S608
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + n))

    def _lookup(self, cursor: Any, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
        found: dict[tuple[str, str], int] = {}
        by_kind: dict[str, list[str]] = {}
        for kind, value in keys:
            by_kind.setdefault(kind, []).append(value)
        for kind, values in by_kind.items():
            for i in range(0, len(values), 5000):
                chunk = values[i : i + 5000]
                ph = ",".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT kind, value, record_id FROM {self.ident_table} "  # noqa: S608
                    f"WHERE kind = %s AND value IN ({ph})",
                    [kind, *chunk],
                )
                for k, v, rid in cursor.fetchall():
                    found.setdefault((k, v), rid)
        return found

    def _lookup_merged(self, cursor: Any, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Keys of records merged into others (``MergedIdentifier``): key -> kept record."""
        found: dict[tuple[str, str], int] = {}
        cursor.execute(f"SELECT 1 FROM {self.merged_table} LIMIT 1")  # noqa: S608
        if cursor.fetchone() is None:
            return found
        by_kind: dict[str, list[str]] = {}
        for kind, value in keys:
            by_kind.setdefault(kind, []).append(value)
        for kind, values in by_kind.items():
            for i in range(0, len(values), 5000):
                chunk = values[i : i + 5000]
                ph = ",".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT kind, value, record_id FROM {self.merged_table} "  # noqa: S608
                    f"WHERE kind = %s AND value IN ({ph}) ORDER BY id DESC",
                    [kind, *chunk],
                )
                for k, v, rid in cursor.fetchall():
                    found.setdefault((k, v), rid)
        return found

    def _enqueue(self, cursor: Any, record_ids: list[int]) -> None:
        """Search outbox rows for these records, in the batch's transaction.

        The same rows ``navette.core.outbox.enqueue_records`` writes, inserted
        with one executemany (its ORM bulk_create cost half the batch's writing).
        """
        created = connection.ops.adapt_datetimefield_value(timezone.now())
        self._insert(
            cursor, RecordChange._meta.db_table, ["record_id", "created_at"],
            [(rid, created) for rid in sorted(set(record_ids))],
        )  # fmt: skip
        transaction.on_commit(consumers_wake)

    def store(self, batch: list[Parsed]) -> None:
        self.ts = connection.ops.adapt_datetimefield_value(self.now)
        with transaction.atomic(), connection.cursor() as cursor:
            all_keys = {k for p in batch for k in p.keys}
            found = self._lookup(cursor, all_keys)
            merged_found = self._lookup_merged(cursor, all_keys - set(found))
            candidates = set(found.values()) | set(merged_found.values())
            existing: dict[int, tuple[str, str, str]] = {}
            ids = list(candidates)
            for i in range(0, len(ids), 5000):
                chunk = ids[i : i + 5000]
                cursor.execute(
                    f"SELECT id, marc_hash, control_number, control_source FROM {self.rec_table} "  # noqa: S608
                    f"WHERE id IN ({','.join(['%s'] * len(chunk))})",
                    chunk,
                )
                for rid, h, cn, cs in cursor.fetchall():
                    existing[rid] = (h, cn, cs)
            # barcodes already in the database
            barcodes = [c.barcode for p in batch for c in p.copies if c.barcode]
            taken: dict[str, tuple[int, int]] = {}
            for i in range(0, len(barcodes), 5000):
                codes = barcodes[i : i + 5000]
                cursor.execute(
                    f"SELECT barcode, record_id, id FROM {self.item_table} "  # noqa: S608
                    f"WHERE barcode IN ({','.join(['%s'] * len(codes))})",
                    codes,
                )
                for bc, rid, iid in cursor.fetchall():
                    taken[bc] = (rid, iid)

            new: list[Parsed] = []
            new_keys: dict[tuple[str, str], int] = {}  # key -> index in new
            updates: list[tuple[int, Parsed]] = []
            copies_only: list[tuple[int, Parsed]] = []
            seen_update: set[int] = set()
            batch_barcodes: dict[str, Parsed] = {}
            for p in batch:
                target = self._match(p, found, existing)
                via_merge = False
                if target is None:
                    target = self._match_merged(p, merged_found, existing)
                    via_merge = target is not None
                pending_idx = None
                if target is None:
                    pending_idx = self._match_pending(p, new, new_keys)
                pending = new[pending_idx] if pending_idx is not None else None
                reason = self._copies_problem(p, target, taken, batch_barcodes, pending)
                if reason:
                    self.reject(p, reason)
                    continue
                for c in p.copies:
                    if c.barcode:
                        batch_barcodes[c.barcode] = p
                if pending is not None and pending_idx is not None:
                    # the same record twice in a batch: the later one wins
                    known = {o.barcode for o in pending.copies}
                    p.copies = pending.copies + [c for c in p.copies if c.barcode not in known]
                    p.keys = list(dict.fromkeys(pending.keys + p.keys))
                    new[pending_idx] = p
                    for k in p.keys:
                        new_keys[k] = pending_idx
                    self.report.updated += 1
                    continue
                if via_merge and target is not None:
                    # a copy of a record merged into ``target``: the kept record's description
                    # stays as the cataloguer chose it; the file's copies join it
                    self.report.merged += 1
                    self.report.unchanged += 1
                    copies_only.append((target, p))
                elif target is None:
                    new.append(p)
                    for k in p.keys:
                        new_keys.setdefault(k, len(new) - 1)
                elif target in seen_update:
                    self.report.updated += 1
                    updates.append((target, p))
                elif existing[target][0] == p.marc_hash:
                    self.report.unchanged += 1
                    seen_update.add(target)
                else:
                    updates.append((target, p))
                    seen_update.add(target)
                    self.report.updated += 1
            changed: list[int] = []
            if new:
                new_ids = self._allocate_ids(cursor, len(new))
                self._insert(
                    cursor, self.rec_table, ["id", *self.RECORD_COLUMNS, "created_at"],
                    [[rid, *self._row(p), self.ts] for rid, p in zip(new_ids, new, strict=True)],
                    ["%s", *self.rec_ph, "%s"],
                )  # fmt: skip
                self.report.created += len(new)
                self._write_identifiers(cursor, list(zip(new_ids, new, strict=True)))
                self._write_duplicate_keys(cursor, list(zip(new_ids, new, strict=True)))
                self._write_items(cursor, list(zip(new_ids, new, strict=True)), taken)
                changed.extend(new_ids)
            if updates:
                # a record matched twice in one batch: the later version wins
                updates = list({rid: (rid, p) for rid, p in updates}.values())
                sets = ",".join(
                    f"{c} = {ph}" for c, ph in zip(self.RECORD_COLUMNS, self.rec_ph, strict=True)
                )
                cursor.executemany(
                    f"UPDATE {self.rec_table} SET {sets} WHERE id = %s",  # noqa: S608
                    [[*self._row(p), rid] for rid, p in updates],
                )
                upd_ids = [rid for rid, _ in updates]
                cursor.execute(
                    f"DELETE FROM {self.ident_table} WHERE record_id IN ({','.join(['%s'] * len(upd_ids))})",  # noqa: S608
                    upd_ids,
                )
                self._write_identifiers(cursor, updates)
                cursor.execute(
                    f"DELETE FROM {self.key_table} WHERE record_id IN ({','.join(['%s'] * len(upd_ids))})",  # noqa: S608
                    upd_ids,
                )
                self._write_duplicate_keys(cursor, updates)
                self._write_items(cursor, updates, taken)
                changed.extend(upd_ids)
            if changed:  # new and updated records: copies change no heading
                headings_refresh(changed)
            if copies_only:
                self._write_items(cursor, copies_only, taken)
                changed.extend(rid for rid, _p in copies_only)
            if changed:
                self._enqueue(cursor, changed)

    def _match(self, p: Parsed, found: dict[tuple[str, str], int],
               existing: dict[int, tuple[str, str, str]]) -> int | None:  # fmt: skip
        for key in p.keys:
            rid = found.get(key)
            if rid is None or rid not in existing:
                continue
            if key[0] != "001+003" and p.x.control_number:
                # a different control number means a different record sharing an ISBN
                _h, cn, cs = existing[rid]
                if cn and (cn, cs) != (p.x.control_number[:64], p.x.control_source[:64]):
                    continue
            return rid
        return None

    @staticmethod
    def _match_merged(p: Parsed, merged_found: dict[tuple[str, str], int],
                      existing: dict[int, tuple[str, str, str]]) -> int | None:  # fmt: skip
        """The kept record when ``p`` carries an identifier of a record merged into it."""
        for key in p.keys:
            rid = merged_found.get(key)
            if rid is not None and rid in existing:
                return rid
        return None

    @staticmethod
    def _match_pending(
        p: Parsed, new: list[Parsed], new_keys: dict[tuple[str, str], int]
    ) -> int | None:
        for key in p.keys:
            idx = new_keys.get(key)
            if idx is None:
                continue
            other = new[idx]
            if (key[0] != "001+003" and p.x.control_number and other.x.control_number
                    and (p.x.control_number, p.x.control_source)
                    != (other.x.control_number, other.x.control_source)):  # fmt: skip
                continue
            return idx
        return None

    def _copies_problem(self, p: Parsed, target: int | None, taken: dict[str, tuple[int, int]],
                        batch_barcodes: dict[str, Parsed], pending: Parsed | None) -> str:  # fmt: skip
        seen: set[str] = set()
        for c in p.copies:
            if not c.barcode:
                continue
            if c.barcode in seen:
                return f"code-barres {c.barcode} présent deux fois dans la notice"
            seen.add(c.barcode)
            if c.barcode in taken and taken[c.barcode][0] != target:
                return f"code-barres {c.barcode} déjà utilisé par la notice {taken[c.barcode][0]}"
            other = batch_barcodes.get(c.barcode)
            if other is not None and other is not pending:
                return f"code-barres {c.barcode} déjà utilisé par la notice {other.number} du fichier {other.file}"
            if self.libraries.resolve(c.owning_code) is None:
                return (
                    f"exemplaire {c.barcode} : bibliothèque {c.owning_code or '(vide)'} inconnue "
                    f"({c.source_tag}) ; donnez --library ou une correspondance de code"
                )
        return ""

    def _write_identifiers(self, cursor: Any, pairs: list[tuple[int, Parsed]]) -> None:
        rows = []
        for rid, p in pairs:
            for kind, value in dict.fromkeys(p.keys):
                rows.append((rid, kind, value))
        if rows:
            self._insert(cursor, self.ident_table, ["record_id", "kind", "value"], rows)

    def _write_duplicate_keys(self, cursor: Any, pairs: list[tuple[int, Parsed]]) -> None:
        rows = [(rid, kind, value) for rid, p in pairs for kind, value in p.dup_keys]
        if rows:
            self._insert(cursor, self.key_table, ["record_id", "kind", "value"], rows)

    def _write_items(self, cursor: Any, pairs: list[tuple[int, Parsed]],
                     taken: dict[str, tuple[int, int]]) -> None:  # fmt: skip
        inserts = []
        updates = []
        for rid, p in pairs:
            for c in p.copies:
                if not c.barcode:
                    self.report.copies_without_barcode += 1
                    continue
                owning = self.libraries.resolve(c.owning_code)
                current = self.libraries.resolve(c.current_code) or owning
                if c.barcode in taken:
                    # circulation owns status and current place; the file owns the description
                    updates.append((owning, c.call_number[:100], c.shelving_location[:100],
                                    c.doc_type, c.notes, self.ts, taken[c.barcode][1]))  # fmt: skip
                else:
                    inserts.append((rid, c.barcode[:64], owning, current, c.call_number[:100],
                                    c.shelving_location[:100], c.doc_type, c.status, True,
                                    c.acquired_on, c.notes, self.is_demo, self.ts, self.ts))  # fmt: skip
        if inserts:
            self._insert(
                cursor, self.item_table,
                ["record_id", "barcode", "owning_library_id", "current_library_id", "call_number",
                 "shelving_location", "doc_type_override", "status", "circulates", "acquired_on",
                 "notes", "is_demo", "created_at", "updated_at"],
                inserts,
            )  # fmt: skip
            self.report.items_created += len(inserts)
        if updates:
            cursor.executemany(
                f"UPDATE {self.item_table} SET owning_library_id = %s, call_number = %s, "  # noqa: S608
                "shelving_location = %s, doc_type_override = %s, notes = %s, updated_at = %s "
                "WHERE id = %s",
                updates,
            )
            self.report.items_updated += len(updates)


Progress = Callable[[ImportReport, str, int, int], None]


def import_marc_files(
    paths: Iterable[str | os.PathLike[str]],
    *,
    now: dt.datetime,
    flavour: str | None = None,
    default_library: str | None = None,
    library_map: dict[str, str] | None = None,
    rejects_path: Path | None = None,
    batch_size: int = BATCH_SIZE,
    is_demo: bool = False,
    progress: Progress | None = None,
    limit: int | None = None,
    workers: int | None = None,
    wait: bool = False,
) -> ImportReport:
    """Import ISO 2709 or MARCXML files (gzip or not) into records and copies.

    Every record read is counted once: created, updated, unchanged or
    rejected (with file, number, position and reason, appended to
    ``rejects_path`` .mrc/.xml/.tsv). Commits once per batch; on
    KeyboardInterrupt the current batch is rolled back and the report says
    ``interrupted``. Raises MarcError for a bad option (unknown library).
    ``limit`` stops after that many records per file (the demo's sample).

    One import at a time per database: two imports matching records against
    each other's uncommitted batches would both create the same records. The
    import holds a job lock (an advisory lock on PostgreSQL, a file lock beside
    an SQLite database) from start to end; while another import holds it, this
    one raises ``ImportBusy`` before reading anything, or with ``wait=True``
    waits for it and then matches what it stored.
    """
    try:
        with job_lock(IMPORT_LOCK, wait=wait):
            return _import_unlocked(paths, now=now, flavour=flavour,
                                    default_library=default_library, library_map=library_map,
                                    rejects_path=rejects_path, batch_size=batch_size,
                                    is_demo=is_demo, progress=progress, limit=limit,
                                    workers=workers)  # fmt: skip
    except JobLockBusy:
        raise ImportBusy(
            "un autre import MARC est en cours sur cette base : rien n'a été importé ; "
            "relancez la commande quand il sera terminé (ou avec --wait pour l'attendre)"
        ) from None


def _import_unlocked(
    paths: Iterable[str | os.PathLike[str]],
    *,
    now: dt.datetime,
    flavour: str | None,
    default_library: str | None,
    library_map: dict[str, str] | None,
    rejects_path: Path | None,
    batch_size: int,
    is_demo: bool,
    progress: Progress | None,
    limit: int | None,
    workers: int | None,
) -> ImportReport:
    with _indexing_deferred(), _gc_relaxed():
        return _import(paths, now=now, flavour=flavour, default_library=default_library,
                       library_map=library_map, rejects_path=rejects_path, batch_size=batch_size,
                       is_demo=is_demo, progress=progress, limit=limit,
                       workers=min(2, os.cpu_count() or 1) if workers is None else workers)  # fmt: skip


@contextlib.contextmanager
def _gc_relaxed() -> Iterator[None]:
    """Fewer garbage collector passes while millions of short-lived objects come and go.

    An import allocates a few dicts and lists per MARC field and frees them a
    batch later; with the default thresholds the collector walks the long-lived
    heap again and again (a third of the parsing time). Objects alive before the
    import are frozen out of the collections, and young collections run less often.
    """
    threshold = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


@contextlib.contextmanager
def _indexing_deferred() -> Iterator[None]:
    """Hold the search updater back during a bulk import, then wake it once.

    Each batch still enqueues its records in its own transaction (so nothing
    is missed if the import stops), but applying the outbox after every batch
    would make the indexer compete with the import for the CPU and the
    database; it is woken once at the end instead.
    """
    mode = settings.NAVETTE_SEARCH_UPDATES
    settings.NAVETTE_SEARCH_UPDATES = "deferred"
    try:
        yield
    finally:
        settings.NAVETTE_SEARCH_UPDATES = mode
    if mode != "deferred":
        consumers_wake()


def _import(
    paths: Iterable[str | os.PathLike[str]],
    *,
    now: dt.datetime,
    flavour: str | None,
    default_library: str | None,
    library_map: dict[str, str] | None,
    rejects_path: Path | None,
    batch_size: int,
    is_demo: bool,
    progress: Progress | None,
    limit: int | None,
    workers: int,
) -> ImportReport:
    report = ImportReport()
    libraries = LibraryResolver(default_library, library_map)
    writer = RejectWriter(rejects_path)
    report.rejects_path = rejects_path
    store = _Store(report, libraries, writer, is_demo=is_demo, now=now)
    batch: list[Parsed] = []
    try:
        for raw_path in paths:
            path = Path(raw_path)
            report.files.append(str(path))
            size = _uncompressed_size(path)
            count = 0
            for item in read_file(path, flavour, workers):
                report.read += 1
                count += 1
                report.read_by_file[str(path)] = count
                if isinstance(item, Reject):
                    report.rejected += 1
                    report.rejects.append(item)
                    writer.write(item)
                else:
                    batch.append(item)
                    if len(batch) >= batch_size:
                        store.store(batch)
                        batch = []
                        if progress:
                            progress(report, str(path), _position(item), size)
                if limit is not None and count >= limit:
                    break
        if batch:
            store.store(batch)
            batch = []
    except KeyboardInterrupt:
        report.interrupted = True
        report.read -= len(batch)
    finally:
        writer.close()
    return report


def _uncompressed_size(path: Path) -> int:
    """File size, or for gzip the size stored in its trailer (ISIZE, modulo 4 GiB)."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        if fh.read(2) == b"\x1f\x8b" and size > 4:
            fh.seek(-4, os.SEEK_END)
            return int.from_bytes(fh.read(4), "little")
    return size


def _position(p: Parsed) -> int:
    return p.offset


def import_marc_bytes(
    data: bytes, *, now: dt.datetime, name: str = "upload.mrc", **kwargs: Any
) -> ImportReport:
    """Import from bytes (tests, uploads): written to a temporary file first."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        return import_marc_files([path], now=now, **kwargs)


__all__ = ["ImportReport", "Reject", "import_marc_bytes", "import_marc_files", "io"]


def parse_marc_json(
    marc: dict[str, Any], flavour: str | None, *, name: str = "", number: int = 1
) -> Parsed:
    """One MARC-in-JSON record read as the import reads it (fields extracted, copies, keys).

    Raises MarcError for what the import rejects (no title, an authority record)."""
    tags = (next(iter(f)) for f in marc["fields"])
    return _finish(name, number, 0, b"", "json", marc, flavour or _detect_flavour(tags))
