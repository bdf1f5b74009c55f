"""Reads for the search pages: result rows with availability read from the database.

The index finds the records; what a result says about copies on the shelf
comes from the database (one query for the whole page), so it is exact even
in the second after a loan, before the index catches up.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from enum import StrEnum

from navette.catalogue.models import Item, ItemStatus, Record
from navette.catalogue.selectors import MemberCopy, member_copies
from navette.network.models import Library
from navette.search import engine
from navette.search.analysis import fold, words
from navette.search.index import GONE_STATUSES


@dataclass
class ResultRow:
    """A result's copies: all of them, or with ``scope`` those of the libraries searched in."""

    record: Record
    available_at: list[Library]
    copies: int
    #: copies held by member libraries (the union catalogue), their state asked live
    member_copies: list[MemberCopy] = field(default_factory=list)
    #: the libraries a library filter limits the row to (empty: the whole network)
    scope: list[Library] = field(default_factory=list)

    @property
    def is_available(self) -> bool:
        return bool(self.available_at)


#: What a result row shows of a record (the full MARC is not read for a results page).
RESULT_FIELDS = ("id", "title", "authors", "year", "doc_type")


def result_rows(
    record_ids: list[int],
    prefer: str = "",
    libraries: dict[int, Library] | None = None,
    within: frozenset[str] = frozenset(),
) -> list[ResultRow]:
    """The records in ``record_ids`` order with a summary of where a copy is on the shelf.

    ``prefer`` (a library code) is named first when it has a copy available. ``within``
    (library codes: the search's library filter) limits each row to the copies those
    libraries own or have on their shelves, so a row never says "available" of a library
    the patron filtered out.
    Three queries: the records (display fields only), their copies, the member libraries'
    copies; a fourth for the libraries unless the caller already has them (id -> library).
    """
    records = (
        Record.objects.select_related("cover")
        .only(*RESULT_FIELDS, "cover__name", "cover__width", "cover__height")
        .in_bulk(record_ids)
    )
    if libraries is None:
        libraries = {lib.pk: lib for lib in Library.objects.all()}
    scope = sorted(
        (lib for lib in libraries.values() if lib.code in within),
        key=lambda lib: (lib.commune, lib.name),
    )
    scope_ids = {lib.pk for lib in scope}
    on_shelf: dict[int, set[int]] = defaultdict(set)
    copies: dict[int, int] = defaultdict(int)
    rows = Item.objects.filter(record_id__in=record_ids).values_list(
        "record_id", "current_library_id", "owning_library_id", "status"
    )
    for record_id, library_id, owner_id, status in rows:
        if status in GONE_STATUSES:
            continue
        if scope_ids and library_id not in scope_ids and owner_id not in scope_ids:
            continue
        if scope_ids and library_id not in scope_ids:
            # owned here but away (in the navette, at another library): not on this shelf
            copies[record_id] += 1
            continue
        copies[record_id] += 1
        if status == ItemStatus.AVAILABLE:
            on_shelf[record_id].add(library_id)
    members = member_copies(record_ids)
    out = []
    for rid in record_ids:
        record = records.get(rid)
        if record is None:  # deleted since indexing
            continue
        libs = sorted(
            (libraries[i] for i in on_shelf[rid]),
            key=lambda lib: (lib.code != prefer, lib.commune, lib.name),
        )
        out.append(ResultRow(record, libs, copies[rid], members.get(rid, []), scope))
    return out


def search_page(
    params: engine.SearchParams, libraries: dict[int, Library] | None = None
) -> tuple[engine.SearchResult, list[ResultRow]]:
    """One results page: the engine's answer plus the rows to display."""
    result = engine.search(params)
    within = set(params.filters.get("library", []))
    rows = result_rows(
        result.record_ids, prefer=params.available_at, libraries=libraries,
        within=frozenset(within),
    )  # fmt: skip
    return result, rows


@dataclass
class Correction:
    """A query spelt as the index spells it, and how many records it finds."""

    q: str
    total: int


def did_you_mean(params: engine.SearchParams, found: int) -> Correction | None:
    """When a search found fewer than ``engine.FEW_RESULTS`` records, the query with its
    misspelt words corrected from the index's own words, if that finds more (with the same
    filters)."""
    if found >= engine.FEW_RESULTS or not params.q:
        return None
    corrected = engine.spelling_suggestion(params.q)
    if corrected is None:
        return None
    again = replace(params, q=corrected, page=1, per_page=1, facets=False)
    total = engine.search(again).total
    return Correction(corrected, total) if total > found else None


class SuggestionKind(StrEnum):
    TITLE = "title"
    AUTHOR = "author"
    SUBJECT = "subject"


@dataclass
class Suggestion:
    """An autocomplete line: a title (``record`` to open), an author or a subject (to search)."""

    kind: SuggestionKind
    label: str
    record: int | None = None


def _starts_with(label: str, terms: list[str]) -> bool:
    """Whether the words of ``label`` contain ``terms`` in a row, the last as a prefix."""
    found = words(label)
    n = len(terms)
    for i in range(len(found) - n + 1):
        if found[i : i + n - 1] == terms[:-1] and found[i + n - 1].startswith(terms[-1]):
            return True
    return False


def suggestions(text: str, limit: int = 8) -> list[Suggestion]:
    """Autocomplete: titles, then authors, then subjects holding the typed words (the last
    one begun), read from the index and labelled from the database; no label twice."""
    by_field = engine.suggest_by_field(text, limit)
    if not by_field:
        return []
    terms = words(text)
    ids = {i for found in by_field.values() for i in found}
    records = Record.objects.only("id", "title", "subtitle", "authors", "subjects").in_bulk(ids)
    out: list[Suggestion] = []
    seen: set[tuple[str, str]] = set()

    def add(kind: SuggestionKind, label: str, record: int | None = None) -> None:
        key = (kind, fold(label))
        if label and key not in seen:
            seen.add(key)
            out.append(Suggestion(kind, label, record))

    for rid in by_field.get("title", [])[: max(1, limit // 2)]:
        if rid in records:
            record = records[rid]
            label = record.title
            if record.subtitle and not _starts_with(label, terms):  # found in the subtitle
                label = f"{label} : {record.subtitle}"
            add(SuggestionKind.TITLE, label, rid)
    for name, kind, key in (("authors", SuggestionKind.AUTHOR, "name"),
                            ("subjects", SuggestionKind.SUBJECT, "label")):  # fmt: skip
        for rid in by_field.get(name, []):
            values = getattr(records.get(rid), name, None) or []
            for value in values:
                label = str(
                    (value.get(key) or value.get("title") or "")
                    if isinstance(value, dict)
                    else value
                )
                if _starts_with(label, terms):
                    add(kind, label)
    return out[:limit]
