"""The Tantivy index of the catalogue: schema, documents, build and update.

One index per node, in ``settings.NAVETTE_SEARCH_INDEX_DIR``. It is derived
data: ``rebuild_index`` recreates it from the database, and the outbox
processor (``navette.search.updater``) applies changes after each commit.
Availability stored here (libraries with a copy on the shelf) is a snapshot
taken at indexing time, used to find and filter records; it never decides a
loan and record pages read availability from the database.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import orjson
import tantivy
from django.conf import settings
from django.db import connection

from navette.catalogue.heading_index import see_from_forms
from navette.catalogue.models import Item, MemberHolding, Record
from navette.network.models import Library
from navette.search import updater
from navette.search.analysis import (
    ANALYZER_NAME,
    build_analyzer,
    normalise_identifier,
    normalise_isbn,
    sort_key,
)

log = logging.getLogger("navette.search")

#: Bump when the schema or the document builder changes: a mismatching index is rebuilt.
SCHEMA_VERSION = 3

#: Copies in these states are no longer held by a library.
GONE_STATUSES = frozenset({"lost", "withdrawn"})
#: The state given to a member library's copy (``MemberHolding``): held there (the library
#: facet and filter), its availability asked of the member's system when shown, never indexed.
MEMBER_STATUS = "member"

#: Facet counting. Tantivy counts a single-valued fast column several times
#: faster than a multi-valued one (about 3 ns against 20 to 40 ns per matching
#: document), so the facets are counted on columns holding one value per
#: document, kept apart from the (multi-valued) fields that filters query:
#:
#: - libraries holding a copy and libraries with a copy on the shelf: a bit
#:   per library, the mask cut into bytes (``f_lib0``..., ``f_av0``...), each
#:   byte a single-valued column with at most 256 values; the engine adds up
#:   the counts of every byte value per bit. Bit positions are given to
#:   library codes once per index directory (``LibraryBits``); codes beyond
#:   ``LIBRARY_BITS`` go to the multi-valued ``f_lib_more`` / ``f_av_more``.
#: - languages: the record's set of codes as one value (``f_lang``, "eng fre").
#: - audience, decade and "available now": one value on every document, a
#:   placeholder when there is none (``f_aud``, ``f_decade``, ``f_avail``).
LIBRARY_BITS = 64
MASK_BYTES = LIBRARY_BITS // 8
NONE_VALUE = "-"
LANGUAGE_SEPARATOR = "\x1f"
NO_DECADE = -1_000_000
LIBRARY_BITS_FILE = "navette-facet-libraries.json"


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_unsigned_field("id", stored=True, indexed=True, fast=True)
    for name in ("all", "title", "authors", "subjects"):
        sb.add_text_field(name, tokenizer_name=ANALYZER_NAME, index_option="position")
    sb.add_text_field("isbn", tokenizer_name="raw")
    # SRU's issn and identifier indexes: normalised values (see normalise_identifier)
    sb.add_text_field("issn", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("identifier", tokenizer_name="raw", index_option="basic")
    # filters (terms only) and the facets counted on their own field (doc_type, subject)
    for name in ("library", "available_at", "available", "language", "audience"):
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic")
    for name in ("doc_type", "subject"):
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic", fast=True)
    sb.add_integer_field("decade", indexed=True)
    # facet columns (see above)
    for i in range(MASK_BYTES):
        sb.add_unsigned_field(f"f_lib{i}", fast=True)
        sb.add_unsigned_field(f"f_av{i}", fast=True)
    for name in ("f_lib_more", "f_av_more", "f_lang", "f_aud"):
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic", fast=True)
    sb.add_integer_field("f_decade", fast=True)
    sb.add_unsigned_field("f_avail", fast=True)
    sb.add_integer_field("year", indexed=True, fast=True)
    sb.add_text_field("title_sort", tokenizer_name="raw", fast=True)
    sb.add_text_field("author_sort", tokenizer_name="raw", fast=True)
    return sb.build()


SCHEMA = build_schema()


def index_dir() -> Path:
    return Path(settings.NAVETTE_SEARCH_INDEX_DIR)


# --- opening -------------------------------------------------------------------------------

_open_lock = threading.Lock()
_open: dict[str, tantivy.Index] = {}
#: One writer at a time per process; other processes are kept out by Tantivy's lock file.
writer_lock = threading.RLock()


def open_index(path: Path | None = None, *, create: bool = True) -> tantivy.Index | None:
    """The index at ``path`` (default: the configured directory), opened once per process.

    Returns None when there is no index and ``create`` is False.
    """
    path = path or index_dir()
    key = str(path)
    with _open_lock:
        index = _open.get(key)
        if index is not None and (path / "meta.json").exists():
            return index
        if not (path / "meta.json").exists():
            if not create:
                return None
            path.mkdir(parents=True, exist_ok=True)
        index = tantivy.Index(SCHEMA, path=key, reuse=True)
        index.register_tokenizer(ANALYZER_NAME, build_analyzer())
        index.config_reader(reload_policy="OnCommit")
        _open[key] = index
        return index


def forget_index(path: Path | None = None) -> None:
    """Drop the cached handle (after the directory was deleted)."""
    with _open_lock:
        _open.pop(str(path or index_dir()), None)


def index_exists(path: Path | None = None) -> bool:
    return ((path or index_dir()) / "meta.json").exists()


# --- documents -----------------------------------------------------------------------------


class ItemFacts(NamedTuple):
    """What the index needs of a copy (a tuple: a rebuild reads a million of them)."""

    owning: str
    current: str
    status: str
    doc_type_override: str


RECORD_COLUMNS = (
    "id", "title", "subtitle", "responsibility", "authors", "subjects", "publisher", "year",
    "languages", "isbns", "series", "summary", "audience", "doc_type", "issns", "eans",
    "control_number",
)  # fmt: skip


def _names(values: Any, key: str = "name") -> list[str]:
    out = []
    for value in values or []:
        if isinstance(value, dict):
            value = value.get(key) or value.get("title") or ""
        if value:
            out.append(str(value))
    return out


class LibraryBits:
    """Bit positions of library codes in the facet masks of one index directory.

    Append-only: a code keeps its bit for the life of the directory (a rebuild
    after a schema change starts afresh), so documents indexed at different
    times agree. Saved (atomically) before the commit of documents that use a
    new bit, so a searcher that sees those documents finds their codes.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.codes: list[str] = load_library_bits(path)
        self._position = {code: i for i, code in enumerate(self.codes)}
        self._dirty = False
        self._byte_fields: dict[str, list[str]] = {}

    def bit(self, code: str) -> int | None:
        """The bit of ``code``, given now if there is room; None beyond ``LIBRARY_BITS``."""
        position = self._position.get(code)
        if position is None and len(self.codes) < LIBRARY_BITS:
            position = self._position[code] = len(self.codes)
            self.codes.append(code)
            self._dirty = True
        return position

    def byte_fields(self, prefix: str) -> list[str]:
        """The names of the byte columns in use (``prefix0``, ``prefix1``...)."""
        count = (len(self.codes) + 7) // 8
        names = self._byte_fields.get(prefix)
        if names is None or len(names) != count:
            names = self._byte_fields[prefix] = [f"{prefix}{i}" for i in range(count)]
        return names

    def save(self) -> None:
        if self._dirty:
            tmp = self.path / (LIBRARY_BITS_FILE + ".tmp")
            tmp.write_bytes(orjson.dumps(self.codes))
            os.replace(tmp, self.path / LIBRARY_BITS_FILE)
            self._dirty = False


def load_library_bits(path: Path) -> list[str]:
    try:
        return [str(code) for code in orjson.loads((path / LIBRARY_BITS_FILE).read_bytes())]
    except (OSError, ValueError):
        return []


def _masks(
    doc: dict[str, Any], codes: Iterable[str], prefix: str, more: str, bits: LibraryBits
) -> None:
    """Set the byte columns ``prefix0``... (and the overflow field ``more``) for ``codes``."""
    mask = 0
    overflow = []
    for code in codes:
        position = bits.bit(code)
        if position is None:
            overflow.append(code)
        else:
            mask |= 1 << position
    # every document gets every byte in use (0 included): the columns stay single-valued
    # and dense, the cheapest to count
    for i, name in enumerate(bits.byte_fields(prefix)):
        doc[name] = [(mask >> (8 * i)) & 0xFF]
    if overflow:
        doc[more] = overflow


def record_document(
    row: dict[str, Any], items: list[ItemFacts], bits: LibraryBits, see_from: Sequence[str] = ()
) -> dict[str, Any]:
    """The index document (as a dict of field -> list of values) for one record.
    ``see_from``: the rejected forms of its headings' authorities, found as any word."""
    title = " ".join(filter(None, [row["title"], row["subtitle"]]))
    authors = _names(row["authors"])
    subjects = _names(row["subjects"], "label")
    series = _names(row["series"])
    doc: dict[str, Any] = {
        "id": [row["id"]],
        "title": [title],
        "authors": authors,
        "subjects": subjects,
        "all": [
            title,
            row["responsibility"],
            *authors,
            *subjects,
            *series,
            row["publisher"],
            row["summary"],
            *see_from,
        ],
        "title_sort": [sort_key(title)],
        "author_sort": [sort_key(authors[0]) if authors else "~"],
        "year": [row["year"] or 0],
    }
    isbns = {normalise_isbn(v) for v in _names(row["isbns"], "value")}
    isbns.discard(None)
    if isbns:
        doc["isbn"] = sorted(isbns)
    issns = {normalise_identifier(v) for v in _names(row["issns"], "value")} - {""}
    if issns:
        doc["issn"] = sorted(issns)
    identifiers = issns | {normalise_identifier(row["control_number"] or "")}
    identifiers |= {normalise_identifier(v) for v in _names(row["eans"], "value")}
    identifiers |= {i for i in isbns if i}
    identifiers.discard("")
    if identifiers:
        doc["identifier"] = sorted(identifiers)
    doc_types = {row["doc_type"]} | {i.doc_type_override for i in items if i.doc_type_override}
    doc["doc_type"] = sorted(doc_types)
    held = sorted({i.owning for i in items if i.status not in GONE_STATUSES})
    if held:
        doc["library"] = held
    _masks(doc, held, "f_lib", "f_lib_more", bits)
    on_shelf = sorted({i.current for i in items if i.status == "available"})
    if on_shelf:
        doc["available_at"] = on_shelf
        doc["available"] = ["yes"]
    _masks(doc, on_shelf, "f_av", "f_av_more", bits)
    doc["f_avail"] = [1 if on_shelf else 0]
    languages = sorted({str(code) for code in row["languages"] or ()})
    if languages:
        doc["language"] = languages
    doc["f_lang"] = [LANGUAGE_SEPARATOR.join(languages) or NONE_VALUE]
    if row["audience"]:
        doc["audience"] = [row["audience"]]
    doc["f_aud"] = [row["audience"] or NONE_VALUE]
    if row["year"]:
        doc["decade"] = [row["year"] // 10 * 10]
    doc["f_decade"] = [row["year"] // 10 * 10 if row["year"] else NO_DECADE]
    if subjects:
        doc["subject"] = sorted(set(subjects))
    doc["all"] = [v for v in doc["all"] if v]
    return doc


def _library_codes(bits: LibraryBits) -> dict[int, str]:
    """Library id -> code; every library gets its facet bit now, in id order, so the byte
    columns in use are known before the first document (and filled in every document)."""
    codes = dict(Library.objects.order_by("id").values_list("id", "code"))
    for code in codes.values():
        bits.bit(code)
    return codes


def _items_by_record(
    record_filter: dict[str, Any], codes: dict[int, str]
) -> dict[int, list[ItemFacts]]:
    found: dict[int, list[ItemFacts]] = defaultdict(list)
    rows = Item.objects.filter(**record_filter).values_list(
        "record_id", "owning_library_id", "current_library_id", "status", "doc_type_override"
    )
    for record_id, owning, current, status, override in rows.iterator(chunk_size=20_000):
        found[record_id].append(ItemFacts(codes[owning], codes[current], status, override))
    held = MemberHolding.objects.filter(**record_filter).values_list("record_id", "library_id")
    for record_id, library_id in held.distinct():
        code = codes[library_id]
        found[record_id].append(ItemFacts(code, code, MEMBER_STATUS, ""))
    return found


def documents_for(record_ids: Iterable[int], bits: LibraryBits) -> Iterator[dict[str, Any]]:
    """Index documents for the given records that still exist."""
    ids = sorted(set(record_ids))
    codes = _library_codes(bits)
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        items = _items_by_record({"record_id__in": chunk}, codes)
        see_from = see_from_forms(chunk)
        for row in Record.objects.filter(pk__in=chunk).values(*RECORD_COLUMNS):
            yield record_document(row, items.get(row["id"], []), bits, see_from.get(row["id"], []))


def _json_value(value: Any) -> Any:
    """A JSON column read with a raw cursor: text on SQLite, already decoded on PostgreSQL."""
    if isinstance(value, str | bytes):
        return orjson.loads(value)
    return value


_JSON_COLUMNS = frozenset({"authors", "subjects", "languages", "isbns", "series", "issns", "eans"})


def all_documents(bits: LibraryBits, batch: int = 10_000) -> Iterator[dict[str, Any]]:
    """Every record's document, read in primary-key ranges (two plain queries per batch).

    A raw cursor reads only the needed columns: building a full rebuild's
    documents through the ORM cost more than indexing them.
    """
    codes = _library_codes(bits)
    record_table = Record._meta.db_table
    item_table = Item._meta.db_table
    member_table = MemberHolding._meta.db_table
    columns = ", ".join(RECORD_COLUMNS)
    json_at = [i for i, name in enumerate(RECORD_COLUMNS) if name in _JSON_COLUMNS]
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT {columns} FROM {record_table} WHERE id > %s ORDER BY id LIMIT %s",  # noqa: S608
                [last, batch],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            top = rows[-1][0]
            cursor.execute(
                f"SELECT record_id, owning_library_id, current_library_id, status, "  # noqa: S608
                f"doc_type_override FROM {item_table} WHERE record_id > %s AND record_id <= %s",
                [last, top],
            )
            items: dict[int, list[ItemFacts]] = defaultdict(list)
            for record_id, owning, current, status, override in cursor.fetchall():
                items[record_id].append(ItemFacts(codes[owning], codes[current], status, override))
            see_from = see_from_forms([values[0] for values in rows])
            cursor.execute(
                f"SELECT DISTINCT record_id, library_id FROM {member_table} "  # noqa: S608
                "WHERE record_id > %s AND record_id <= %s",
                [last, top],
            )
            for record_id, library_id in cursor.fetchall():
                code = codes[library_id]
                items[record_id].append(ItemFacts(code, code, MEMBER_STATUS, ""))
            for values in rows:
                row = dict(zip(RECORD_COLUMNS, values, strict=True))
                for i in json_at:
                    row[RECORD_COLUMNS[i]] = _json_value(values[i])
                yield record_document(row, items.get(values[0], []), bits,
                                      see_from.get(values[0], []))  # fmt: skip
            last = top


# --- writing -------------------------------------------------------------------------------


def _add(writer: tantivy.IndexWriter, doc: dict[str, Any]) -> None:
    try:
        text = orjson.dumps(doc).decode("utf-8")
    except TypeError:  # what orjson refuses (a lone surrogate) json still writes
        text = json.dumps(doc, ensure_ascii=False)
    writer.add_json(text)


class IndexBusy(ValueError):
    """Another writer (another process: the node's indexer, a rebuild) holds the index."""


def writer_for(
    index: tantivy.Index, *, heap: int = 64_000_000, threads: int = 1
) -> tantivy.IndexWriter:
    """An index writer; retries for up to 2 s while another process holds the lock, then
    raises ``IndexBusy``."""
    deadline = time.monotonic() + 2.0
    while True:
        try:
            return index.writer(heap_size=heap, num_threads=threads)
        except ValueError as exc:
            if time.monotonic() > deadline:
                if "LockBusy" in str(exc):
                    raise IndexBusy(
                        "l'index de recherche est en cours d'écriture par un autre processus"
                    ) from exc
                raise
            time.sleep(0.02)


@dataclass
class BuildReport:
    documents: int
    seconds: float


def rebuild_index(path: Path | None = None, *, threads: int = 0, heap: int = 0) -> BuildReport:
    """Rebuild the whole index from the database, in place.

    Searches keep seeing the previous index until the final commit. The outbox
    position is set to the newest outbox row seen *before* reading the
    database, so changes committed meanwhile are applied again afterwards.
    """
    path = path or index_dir()
    started = time.perf_counter()
    threads = threads or int(settings.NAVETTE_SEARCH_BUILD_THREADS or min(4, os.cpu_count() or 1))
    heap = heap or threads * 200_000_000
    count = 0
    # the whole rebuild under the writer lock: another thread of this process (the
    # background outbox worker) may be rebuilding the same directory, and an index half
    # written by it has no state file yet, which would read as an old schema to delete
    with writer_lock:
        if (path / "meta.json").exists() and (
            updater.read_state(path).get("schema") != SCHEMA_VERSION
        ):
            shutil.rmtree(path)
            forget_index(path)
        index = open_index(path)
        assert index is not None
        position = updater.outbox_high_water()
        writer = writer_for(index, heap=heap, threads=threads)
        writer.delete_all_documents()
        bits = LibraryBits(path)
        for doc in all_documents(bits):
            _add(writer, doc)
            count += 1
        bits.save()
        writer.commit()
        writer.wait_merging_threads()
        updater.write_state(path, updater.state_after_rebuild(position))
        index.reload()
    seconds = time.perf_counter() - started
    log.info("search index rebuilt: %d records in %.1f s", count, seconds)
    return BuildReport(count, seconds)


def apply_records(writer: tantivy.IndexWriter, record_ids: Iterable[int], *, path: Path) -> int:
    """Replace the documents of these records (deleted records just disappear).

    The caller commits; any new library bit is saved before that.
    """
    ids = sorted(set(record_ids))
    for rid in ids:
        writer.delete_documents_by_query(tantivy.Query.term_query(SCHEMA, "id", rid))
    count = 0
    bits = LibraryBits(path)
    for doc in documents_for(ids, bits):
        _add(writer, doc)
        count += 1
    bits.save()
    return count
