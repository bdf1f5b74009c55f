"""Reads for the search pages: result rows with availability read from the database.

The index finds the records; what a result says about copies on the shelf
comes from the database (one query for the whole page), so it is exact even
in the second after a loan, before the index catches up.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from navette.catalogue.models import Item, ItemStatus, Record
from navette.catalogue.selectors import MemberCopy, member_copies
from navette.network.models import Library
from navette.search import engine
from navette.search.index import GONE_STATUSES


@dataclass
class ResultRow:
    record: Record
    available_at: list[Library]
    copies: int
    #: copies held by member libraries (the union catalogue), their state asked live
    member_copies: list[MemberCopy] = field(default_factory=list)

    @property
    def is_available(self) -> bool:
        return bool(self.available_at)


#: What a result row shows of a record (the full MARC is not read for a results page).
RESULT_FIELDS = ("id", "title", "authors", "year", "doc_type")


def result_rows(
    record_ids: list[int], prefer: str = "", libraries: dict[int, Library] | None = None
) -> list[ResultRow]:
    """The records in ``record_ids`` order with a summary of where a copy is on the shelf.

    ``prefer`` (a library code) is named first when it has a copy available.
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
    on_shelf: dict[int, set[int]] = defaultdict(set)
    copies: dict[int, int] = defaultdict(int)
    rows = Item.objects.filter(record_id__in=record_ids).values_list(
        "record_id", "current_library_id", "status"
    )
    for record_id, library_id, status in rows:
        if status in GONE_STATUSES:
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
        out.append(ResultRow(record, libs, copies[rid], members.get(rid, [])))
    return out


def search_page(
    params: engine.SearchParams, libraries: dict[int, Library] | None = None
) -> tuple[engine.SearchResult, list[ResultRow]]:
    """One results page: the engine's answer plus the rows to display."""
    result = engine.search(params)
    return result, result_rows(result.record_ids, prefer=params.available_at, libraries=libraries)


def suggestions(text: str, limit: int = 8) -> list[tuple[str, int]]:
    """Autocomplete: (label, record id) for titles and authors starting with ``text``."""
    ids = engine.suggest(text, limit)
    records = Record.objects.in_bulk(ids)
    return [(records[i].title, i) for i in ids if i in records]
