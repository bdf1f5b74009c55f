"""Queries against the index: results, facet counts, autocomplete.

Ranking: every clause is required on the catch-all field ``all``; a word
found in the title (x3) or among the authors (x2) adds to the score, so
title and author matches come first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import tantivy

from navette.search import index as search_index
from navette.search.analysis import plural_variants, words
from navette.search.query import Clause, parse

SORTS = ("relevance", "newest", "title", "author")
TITLE_BOOST = 3.0
AUTHOR_BOOST = 2.0

#: Facet field -> how many values to count.
FACET_SIZES = {
    "doc_type": 20,
    "library": 60,
    "available_at": 60,
    "language": 15,
    "audience": 5,
    "decade": 40,
    "subject": 15,
}
#: Facets a patron can filter on (field -> index field).
FILTERABLE = ("doc_type", "library", "language", "audience", "decade", "subject")


@dataclass
class SearchParams:
    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    available: bool = False
    #: with ``available``: on the shelf at this library (code)
    available_at: str = ""
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    facets: bool = True


@dataclass
class SearchResult:
    total: int
    record_ids: list[int]
    #: facet -> [(value, count)], most frequent first (decades by decade)
    facets: dict[str, list[tuple[str, int]]]
    available_count: int
    clauses: list[Clause]


Occur = tantivy.Occur


def _any_of(fieldname: str, terms: tuple[str, ...] | list[str]) -> tantivy.Query:
    queries = [tantivy.Query.term_query(search_index.SCHEMA, fieldname, t) for t in terms]
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(Occur.Should, q) for q in queries])


def clause_queries(clause: Clause) -> tuple[tantivy.Query, list[tantivy.Query]]:
    """The required query of a clause and its optional score boosters."""
    schema = search_index.SCHEMA
    if clause.field == "isbn":
        return tantivy.Query.term_query(schema, "isbn", clause.isbn or ""), []
    target = clause.field or "all"
    if clause.phrase:
        required = tantivy.Query.phrase_query(schema, target, list(clause.terms))
        boosters = []
        if clause.field is None:
            boosters = [
                tantivy.Query.boost_query(
                    tantivy.Query.phrase_query(schema, "title", list(clause.terms)), TITLE_BOOST
                ),
            ]
        return required, boosters
    variants = plural_variants(clause.terms[0])
    required = _any_of(target, variants)
    boosters = []
    if clause.field is None:
        boosters = [
            tantivy.Query.boost_query(_any_of("title", variants), TITLE_BOOST),
            tantivy.Query.boost_query(_any_of("authors", variants), AUTHOR_BOOST),
        ]
    return required, boosters


def _filter_value(fieldname: str, value: str) -> tantivy.Query:
    if fieldname == "decade":
        try:
            number = int(value)
        except ValueError:
            return tantivy.Query.empty_query()
        return tantivy.Query.term_query(search_index.SCHEMA, "decade", number)
    return tantivy.Query.term_query(search_index.SCHEMA, fieldname, value)


def build_query(params: SearchParams) -> tuple[tantivy.Query, list[Clause]]:
    clauses = parse(params.q)
    parts: list[tuple[Any, tantivy.Query]] = []
    for clause in clauses:
        required, boosters = clause_queries(clause)
        parts.append((Occur.Must, required))
        parts.extend((Occur.Should, b) for b in boosters)
    filters: list[tantivy.Query] = []
    for name in FILTERABLE:
        values = [v for v in params.filters.get(name, []) if v]
        if values:
            ors = [_filter_value(name, v) for v in values]
            filters.append(
                ors[0]
                if len(ors) == 1
                else tantivy.Query.boolean_query([(Occur.Should, q) for q in ors])
            )
    if params.available:
        if params.available_at:
            filters.append(_filter_value("available_at", params.available_at))
        else:
            filters.append(_filter_value("available", "yes"))
    for f in filters:
        parts.append((Occur.Must, tantivy.Query.const_score_query(f, 0.0)))
    if not clauses:
        parts.append((Occur.Must, tantivy.Query.all_query()))
    return tantivy.Query.boolean_query(parts), clauses


def _aggregation() -> dict[str, Any]:
    aggs = {name: {"terms": {"field": name, "size": size}} for name, size in FACET_SIZES.items()}
    aggs["available"] = {"terms": {"field": "available", "size": 1}}
    return aggs


_seen_meta: dict[str, int] = {}


def _searcher() -> tantivy.Searcher | None:
    """A searcher on the newest commit: reloads as soon as meta.json changes.

    Tantivy's own on-commit reload polls the file about twice a second; a
    stat() per search (microseconds) makes another process's commit visible
    to the very next search.
    """
    path = search_index.index_dir()
    index = search_index.open_index(path, create=False)
    if index is None:
        return None
    try:
        mtime = (path / "meta.json").stat().st_mtime_ns
    except OSError:
        mtime = 0
    key = str(path)
    if _seen_meta.get(key) != mtime:
        index.reload()
        _seen_meta[key] = mtime
    return index.searcher()


def search(params: SearchParams, searcher: tantivy.Searcher | None = None) -> SearchResult:
    """Run a search: one page of record ids (best first), the total, and facet counts.

    The index must exist (see ``ensure_index``); an absent index gives no results.
    """
    searcher = searcher or _searcher()
    query, clauses = build_query(params)
    if searcher is None:
        return SearchResult(0, [], {}, 0, clauses)
    page = max(1, params.page)
    offset = (page - 1) * params.per_page
    kwargs: dict[str, Any] = {}
    if params.sort == "newest":
        kwargs = {"order_by_field": "year", "order": tantivy.Order.Desc}
    elif params.sort == "title":
        kwargs = {"order_by_field": "title_sort", "order": tantivy.Order.Asc}
    elif params.sort == "author":
        kwargs = {"order_by_field": "author_sort", "order": tantivy.Order.Asc}
    found = searcher.search(query, params.per_page, count=True, offset=offset, **kwargs)
    addresses = [address for _, address in found.hits]
    ids = [int(i) for i in searcher.fast_field_values("id", addresses)] if addresses else []  # type: ignore[arg-type]
    facets: dict[str, list[tuple[str, int]]] = {}
    available_count = 0
    if params.facets and found.count:  # type: ignore[attr-defined]
        raw = searcher.aggregate(query, _aggregation())
        for name in FACET_SIZES:
            buckets = raw.get(name, {}).get("buckets", [])
            facets[name] = [
                (str(b["key"]).removesuffix(".0"), int(b["doc_count"])) for b in buckets
            ]
        facets["decade"].sort(key=lambda kv: kv[0], reverse=True)
        available_count = sum(
            int(b["doc_count"]) for b in raw.get("available", {}).get("buckets", [])
        )
    total = int(found.count or 0)  # type: ignore[attr-defined]
    return SearchResult(total, ids, facets, available_count, clauses)


@dataclass
class Suggestion:
    kind: str  # "title" or "author"
    record_id: int


def suggest(prefix_text: str, limit: int = 8) -> list[int]:
    """Record ids whose title or author starts words with the typed text (3 letters at least).

    The last word is a prefix; earlier words must match exactly, in order.
    """
    terms = words(prefix_text)
    if not terms or sum(len(t) for t in terms) < 3:
        return []
    searcher = _searcher()
    if searcher is None:
        return []
    schema = search_index.SCHEMA
    phrase: list[str | tuple[int, str]] = list(terms)
    queries = [
        tantivy.Query.boost_query(
            tantivy.Query.phrase_prefix_query(schema, "title", phrase),
            TITLE_BOOST,  # type: ignore[arg-type]
        ),
        tantivy.Query.phrase_prefix_query(schema, "authors", phrase),
    ]
    query = tantivy.Query.boolean_query([(Occur.Should, q) for q in queries])
    found = searcher.search(query, limit, count=False)
    addresses = [address for _, address in found.hits]
    return [int(i) for i in searcher.fast_field_values("id", addresses)] if addresses else []  # type: ignore[arg-type]
