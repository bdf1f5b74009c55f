"""Queries against the index: results, facet counts, autocomplete.

Ranking: every clause is required on the catch-all field ``all``; a word
found in the title (x3) or among the authors (x2) adds to the score, so
title and author matches come first.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tantivy
from django.utils.translation import gettext as _

from navette.core.errors import DomainError
from navette.search import index as search_index
from navette.search.analysis import STOPWORDS, plural_variants, words
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


class InvalidSearch(DomainError):
    """A search parameter that cannot mean anything (a decade that is not a year)."""

    code = "invalid_search"


DECADE_DIGITS = 4


def check_params(params: SearchParams) -> None:
    """Raise ``InvalidSearch`` saying which value is wrong, before the index sees it."""
    for value in params.filters.get("decade", []):
        digits = value.strip().removeprefix("-")
        if not (digits.isascii() and digits.isdigit() and len(digits) <= DECADE_DIGITS):
            raise InvalidSearch(
                _("Décennie invalide : « %(value)s ». Indiquez une année, par exemple 1990.")
                % {"value": value[:20]}
            )


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


#: The last word of a query is also read as the start of a word (see ``prefix_query``)
#: when it has at least this many letters and is not itself a word of the index.
PREFIX_MIN_LENGTH = 2
#: At most this many index words (the most frequent) stand for a typed beginning.
PREFIX_EXPANSIONS = 64


def _prefix_candidate(clauses: list[Clause]) -> Clause | None:
    """The clause of the query's last word, if it may be a word typed in part."""
    if not clauses:
        return None
    last = clauses[-1]
    if last.phrase or last.field == "isbn" or len(last.terms) != 1:
        return None
    term = last.terms[0]
    if len(term) < PREFIX_MIN_LENGTH or term in STOPWORDS:
        return None
    return last


def prefix_query(clause: Clause, searcher: tantivy.Searcher) -> tantivy.Query | None:
    """The index words starting with the clause's word, when the word itself is none of them.

    "harry pot" finds "Harry Potter": a word the index holds ("art") keeps its exact meaning
    and is not widened to "artiste", "article"... Returns None when there is nothing to add.
    """
    target = clause.field or "all"
    term = clause.terms[0]
    if any(searcher.doc_freq(target, form) for form in plural_variants(term)):
        return None
    found = searcher.terms_with_prefix(target, term, limit=PREFIX_EXPANSIONS)
    if not found:
        return None
    return tantivy.Query.term_set_query(search_index.SCHEMA, target, [t for t, _n in found])


def build_query(
    params: SearchParams, searcher: tantivy.Searcher | None = None
) -> tuple[tantivy.Query, list[Clause]]:
    """The index query for ``params``; with a ``searcher``, the last word is also a prefix."""
    clauses = parse(params.q)
    parts: list[tuple[Any, tantivy.Query]] = []
    last = _prefix_candidate(clauses) if searcher is not None else None
    for clause in clauses:
        required, boosters = clause_queries(clause)
        if clause is last and searcher is not None:
            widened = prefix_query(clause, searcher)
            if widened is not None:
                required = tantivy.Query.boolean_query(
                    [(Occur.Should, required), (Occur.Should, widened)]
                )
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


#: Values each index segment reports for a top-N facet. Tantivy keeps, per segment, only
#: that segment's top values before adding segments up: a value outside one segment's top
#: would lose that segment's count. Reporting (up to) every value keeps the counts exact
#: whatever the number of segments (the outbox adds one per commit until merges).
SEGMENT_SIZE = 65_000


def _top_terms(fieldname: str, size: int) -> dict[str, Any]:
    return {"terms": {"field": fieldname, "size": size, "segment_size": SEGMENT_SIZE}}


def _aggregation(mask_bytes: int) -> dict[str, Any]:
    """Every facet counted in one pass: see ``index.LIBRARY_BITS`` for the columns."""
    aggs: dict[str, Any] = {
        "doc_type": _top_terms("doc_type", FACET_SIZES["doc_type"]),
        "subject": _top_terms("subject", FACET_SIZES["subject"]),
        # one bucket per distinct value (set of languages, audience, decade): all of them
        "f_lang": {"terms": {"field": "f_lang", "size": 10_000}},
        "f_aud": {"terms": {"field": "f_aud", "size": 1_000}},
        "f_decade": {"terms": {"field": "f_decade", "size": 10_000}},
        "f_avail": {"terms": {"field": "f_avail", "size": 2}},
        "f_lib_more": _top_terms("f_lib_more", FACET_SIZES["library"]),
        "f_av_more": _top_terms("f_av_more", FACET_SIZES["available_at"]),
    }
    for i in range(mask_bytes):
        aggs[f"f_lib{i}"] = {"terms": {"field": f"f_lib{i}", "size": 256}}
        aggs[f"f_av{i}"] = {"terms": {"field": f"f_av{i}", "size": 256}}
    return aggs


def _buckets(raw: dict[str, Any], name: str) -> list[tuple[Any, int]]:
    return [(b["key"], int(b["doc_count"])) for b in raw.get(name, {}).get("buckets", [])]


def _top(counts: dict[str, int], size: int) -> list[tuple[str, int]]:
    ranked = sorted(((v, n) for v, n in counts.items() if n), key=lambda kv: (-kv[1], kv[0]))
    return ranked[:size]


def _library_counts(
    raw: dict[str, Any], prefix: str, more: str, codes: list[str], size: int
) -> list[tuple[str, int]]:
    """Per library code: the counts of every byte value that has its bit, plus the overflow."""
    counts: dict[str, int] = defaultdict(int)
    for i in range((len(codes) + 7) // 8):
        for key, n in _buckets(raw, f"{prefix}{i}"):
            byte = int(key)
            position = 8 * i
            while byte:
                # a bit with no code cannot happen (the codes are saved before the documents
                # using them are committed, and re-read before counting): skip rather than fail
                if byte & 1 and position < len(codes):
                    counts[codes[position]] += n
                byte >>= 1
                position += 1
    for key, n in _buckets(raw, more):
        counts[str(key)] += n
    return _top(counts, size)


def _facets(raw: dict[str, Any], codes: list[str]) -> tuple[dict[str, list[tuple[str, int]]], int]:
    facets: dict[str, list[tuple[str, int]]] = {}
    facets["doc_type"] = [(str(k), n) for k, n in _buckets(raw, "doc_type")]
    facets["library"] = _library_counts(raw, "f_lib", "f_lib_more", codes, FACET_SIZES["library"])
    facets["available_at"] = _library_counts(
        raw, "f_av", "f_av_more", codes, FACET_SIZES["available_at"]
    )
    languages: dict[str, int] = defaultdict(int)
    for key, n in _buckets(raw, "f_lang"):
        if key != search_index.NONE_VALUE:
            for code in str(key).split(search_index.LANGUAGE_SEPARATOR):
                languages[code] += n
    facets["language"] = _top(languages, FACET_SIZES["language"])
    audiences = {str(k): n for k, n in _buckets(raw, "f_aud") if k != search_index.NONE_VALUE}
    facets["audience"] = _top(audiences, FACET_SIZES["audience"])
    decades = {
        str(int(k)): n for k, n in _buckets(raw, "f_decade") if int(k) != search_index.NO_DECADE
    }
    facets["decade"] = sorted(
        _top(decades, FACET_SIZES["decade"]), key=lambda kv: int(kv[0]), reverse=True
    )
    facets["subject"] = [(str(k), n) for k, n in _buckets(raw, "subject")]
    available = sum(n for k, n in _buckets(raw, "f_avail") if int(k) == 1)
    return facets, available


_bits_seen: dict[str, tuple[int, list[str]]] = {}


def _library_bits(path: Path) -> list[str]:
    """The index's library codes in bit order, re-read when the file changes."""
    try:
        mtime = (path / search_index.LIBRARY_BITS_FILE).stat().st_mtime_ns
    except OSError:
        mtime = 0
    seen = _bits_seen.get(str(path))
    if seen is None or seen[0] != mtime:
        seen = _bits_seen[str(path)] = (mtime, search_index.load_library_bits(path))
    return seen[1]


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
    Raises ``InvalidSearch`` for a filter value that cannot be searched.
    """
    check_params(params)
    searcher = searcher or _searcher()
    query, clauses = build_query(params, searcher)
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
        codes = _library_bits(search_index.index_dir())
        raw = searcher.aggregate(query, _aggregation((len(codes) + 7) // 8))
        facets, available_count = _facets(raw, codes)
    total = int(found.count or 0)  # type: ignore[attr-defined]
    return SearchResult(total, ids, facets, available_count, clauses)


def _phrase_prefix(fieldname: str, terms: list[str]) -> tantivy.Query:
    phrase: list[str | tuple[int, str]] = list(terms)
    return tantivy.Query.phrase_prefix_query(search_index.SCHEMA, fieldname, phrase)


def _ids(searcher: tantivy.Searcher, query: tantivy.Query, limit: int) -> list[int]:
    found = searcher.search(query, limit, count=False)
    addresses = [address for _, address in found.hits]
    return [int(i) for i in searcher.fast_field_values("id", addresses)] if addresses else []  # type: ignore[arg-type]


#: Autocomplete needs this many letters before it suggests anything.
SUGGEST_MIN_LETTERS = 3


def suggest(prefix_text: str, limit: int = 8) -> list[int]:
    """Record ids whose title or author starts words with the typed text (3 letters at least).

    The last word is a prefix; earlier words must match exactly, in order.
    """
    terms = words(prefix_text)
    if not terms or sum(len(t) for t in terms) < SUGGEST_MIN_LETTERS:
        return []
    searcher = _searcher()
    if searcher is None:
        return []
    queries = [
        tantivy.Query.boost_query(_phrase_prefix("title", terms), TITLE_BOOST),
        _phrase_prefix("authors", terms),
    ]
    query = tantivy.Query.boolean_query([(Occur.Should, q) for q in queries])
    return _ids(searcher, query, limit)


def suggest_by_field(prefix_text: str, limit: int = 8) -> dict[str, list[int]]:
    """For autocomplete: per field ("title", "authors", "subjects"), the ids of records (best
    first) in which that field holds the typed words, the last one as a prefix.

    Nothing under ``SUGGEST_MIN_LETTERS`` letters, or without an index.
    """
    terms = words(prefix_text)
    if not terms or sum(len(t) for t in terms) < SUGGEST_MIN_LETTERS:
        return {}
    searcher = _searcher()
    if searcher is None:
        return {}
    return {
        name: _ids(searcher, _phrase_prefix(name, terms), limit)
        for name in ("title", "authors", "subjects")
    }


# --- "did you mean" --------------------------------------------------------------------------

#: A correction is looked for when a search finds fewer records than this.
FEW_RESULTS = 3
#: A word found in this many records or more is taken as spelt right.
COMMON_ENOUGH = 3
#: A correction must be found in this many times more records than the word typed.
MORE_COMMON = 10
#: Words up to this length get corrections at one edit, longer ones at two.
SHORT_WORD = 4
#: Correction candidates read from the term dictionary per word, at most.
CANDIDATES_READ = 50_000


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (adjacent swaps cost one edit) between ``a`` and ``b``,
    or ``limit + 1`` as soon as it is certain to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, before[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[-1]


def _frequency(searcher: tantivy.Searcher, fieldname: str, term: str) -> int:
    return sum(searcher.doc_freq(fieldname, form) for form in plural_variants(term))


def closest_term(searcher: tantivy.Searcher, fieldname: str, term: str) -> str | None:
    """The index word nearest to ``term`` (one edit for short words, two for longer ones)
    that is found in more records, or None when ``term`` is common enough or has no such
    neighbour. Closer words win, then more frequent ones.

    Candidates come from the term dictionary: words sharing the first two letters, then, if
    none is near enough, the first letter.
    """
    own = _frequency(searcher, fieldname, term)
    if own >= COMMON_ENOUGH:
        return None
    limit = 1 if len(term) <= SHORT_WORD else 2
    needed = max(1, own * MORE_COMMON)
    forms = set(plural_variants(term))
    for prefix in dict.fromkeys((term[:2], term[:1])):
        best: tuple[int, int, str] | None = None
        found = searcher.terms_with_prefix(fieldname, prefix, limit=CANDIDATES_READ)
        for candidate, count in found:
            if count < needed or candidate in forms or not candidate.isalpha():
                continue
            distance = edit_distance(term, candidate, limit)
            if distance <= limit and (best is None or (distance, -count) < best[:2]):
                best = (distance, -count, candidate)
        if best is not None:
            return best[2]
    return None


_TYPED_WORD = re.compile(r"\w+")


def spelling_suggestion(q: str, searcher: tantivy.Searcher | None = None) -> str | None:
    """``q`` with its misspelt words replaced by the index's nearest words ("hitory of jazz"
    -> "history of jazz"), or None when no word needs it. Field names, quotes and the other
    words are kept as typed."""
    searcher = searcher or _searcher()
    if searcher is None:
        return None
    fixes: dict[str, str] = {}
    for clause in parse(q):
        if clause.field == "isbn":
            continue
        for term in clause.terms:
            if term in fixes or term in STOPWORDS or len(term) < SUGGEST_MIN_LETTERS:
                continue
            if not term.isalpha():
                continue
            better = closest_term(searcher, clause.field or "all", term)
            if better is not None:
                fixes[term] = better
    if not fixes:
        return None

    def swap(match: re.Match[str]) -> str:
        analysed = words(match.group(0))
        if len(analysed) == 1 and analysed[0] in fixes:
            return fixes[analysed[0]]
        return match.group(0)

    corrected = _TYPED_WORD.sub(swap, q)
    return corrected if corrected != q else None
