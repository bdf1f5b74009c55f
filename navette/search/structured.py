"""Structured queries (boolean trees of index clauses) for protocol interfaces such as SRU.

The interface parses its query language (CQL) into ``Match`` and ``Combine``
nodes; this module turns them into one index query. Word clauses go through
the portal's own ``clause_queries`` (plural variants, title and author
boosts), so a structured query ranks records in the portal's relevance order.

Errors are ``QueryNotSupported`` with a stable code (the interface maps each
code to its protocol's diagnostic).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import tantivy

from navette.core.errors import DomainError
from navette.search import engine
from navette.search import index as search_index
from navette.search.analysis import fold, normalise_identifier, normalise_isbn, words
from navette.search.query import Clause

Occur = tantivy.Occur

#: the indexes a structured query can name -> the index field searched
TEXT_FIELDS = {"any": None, "title": "title", "creator": "authors", "subject": "subjects"}
IDENTIFIER_FIELDS = {"isbn", "issn", "identifier", "record_id"}
INDEXES = frozenset({*TEXT_FIELDS, *IDENTIFIER_FIELDS, "date"})
#: word relations; "=" and "adj" are phrases, "==" too (no exact-string index)
WORD_RELATIONS = frozenset({"=", "==", "adj", "all", "any", "exact"})
ORDER_RELATIONS = frozenset({"=", "==", "<", ">", "<=", ">=", "<>", "within"})
#: scan walks the words of these fields
SCAN_FIELDS = {"any": "all", "title": "title", "creator": "authors", "subject": "subjects",
               "isbn": "isbn", "issn": "issn", "identifier": "identifier"}  # fmt: skip
MIN_MASKED_LITERALS = 2


class QueryNotSupported(DomainError):
    """A clause the index cannot answer. ``code`` is one of: unsupported_index,
    unsupported_relation, masking_not_supported, masked_word_too_short, empty_term,
    term_invalid_for_index, unsupported_boolean. ``context["detail"]`` names the part."""

    code = "query_not_supported"


@dataclass(frozen=True)
class Match:
    """One clause: ``index`` (see INDEXES) ``relation`` ``term``. In a term, ``*`` stands
    for any characters and ``?`` for one; a backslash makes them literal."""

    index: str
    relation: str
    term: str


@dataclass(frozen=True)
class Combine:
    """``left`` and/or/not ``right``."""

    op: str
    left: Match | Combine
    right: Match | Combine


Node = Match | Combine


def _refuse(code: str, detail: str, message: str) -> QueryNotSupported:
    return QueryNotSupported(message, code=code, detail=detail)


_MASK_SPLIT = re.compile(r"(\\.|\*|\?)")


def _masked(word: str) -> bool:
    return bool(re.search(r"(?<!\\)[*?]", word))


def _unescape(word: str) -> str:
    return re.sub(r"\\(.)", r"\1", word)


def _word_regex(word: str) -> str:
    """A masked word as a regular expression over folded index terms."""
    out, literals = [], 0
    for part in _MASK_SPLIT.split(word):
        if part == "*":
            out.append(".*")
        elif part == "?":
            out.append(".")
        elif part:
            text = fold(_unescape(part))
            literals += len(re.sub(r"[^0-9a-z]", "", text))
            out.append(re.escape(text))
    if literals < MIN_MASKED_LITERALS:
        raise _refuse(
            "masked_word_too_short", word,
            f"Masked word too short: {word} (at least {MIN_MASKED_LITERALS} letters)",
        )  # fmt: skip
    return "".join(out)


def _text_parts(m: Match) -> list[tuple[Any, tantivy.Query]]:
    field = TEXT_FIELDS[m.index]
    target = field or "all"
    if m.relation not in WORD_RELATIONS:
        raise _refuse("unsupported_relation", m.relation, f"Unsupported relation: {m.relation}")
    raw_words = m.term.split()
    if not any(words(_unescape(w).replace("*", "").replace("?", "")) for w in raw_words):
        raise _refuse("empty_term", m.term, "Empty term")
    schema = search_index.SCHEMA
    masked = any(_masked(w) for w in raw_words)
    if not masked:
        terms = tuple(words(_unescape(m.term)))
        if m.relation in ("any", "all") or len(terms) == 1:
            occur = Occur.Should if m.relation == "any" and len(terms) > 1 else Occur.Must
            parts: list[tuple[Any, tantivy.Query]] = []
            for term in terms:
                required, boosters = engine.clause_queries(Clause(field, (term,)))
                parts.append((occur, required))
                parts.extend((Occur.Should, b) for b in boosters)
            return parts
        required, boosters = engine.clause_queries(Clause(field, terms, phrase=True))
        return [(Occur.Must, required), *((Occur.Should, b) for b in boosters)]
    # masked words: a regular expression per word, literal words exactly
    patterns: list[str | tuple[int, str]] = []
    for w in raw_words:
        if _masked(w):
            patterns.append(_word_regex(w))
        else:
            patterns.extend(re.escape(t) for t in words(_unescape(w)))
    if m.relation in ("any", "all") or len(patterns) == 1:
        occur = Occur.Should if m.relation == "any" and len(patterns) > 1 else Occur.Must
        return [(occur, tantivy.Query.regex_query(schema, target, str(p))) for p in patterns]
    return [(Occur.Must, tantivy.Query.regex_phrase_query(schema, target, patterns))]


def _identifier_query(m: Match) -> tantivy.Query:
    if m.relation not in ("=", "==", "exact", "any"):
        raise _refuse("unsupported_relation", m.relation, f"Unsupported relation: {m.relation}")
    if _masked(m.term):
        raise _refuse("masking_not_supported", m.term, f"Masking not supported on {m.index}")
    values = m.term.split() if m.relation == "any" else [m.term]
    if not any(v.strip() for v in values):
        raise _refuse("empty_term", m.term, "Empty term")
    schema = search_index.SCHEMA
    queries = []
    for value in values:
        value = _unescape(value)
        if m.index == "isbn":
            isbn = normalise_isbn(value)
            queries.append(
                tantivy.Query.term_query(schema, "isbn", isbn)
                if isbn
                else tantivy.Query.empty_query()
            )
        elif m.index == "record_id":
            if not value.isdigit() or len(value) > 18:
                raise _refuse("term_invalid_for_index", value, "A record number is digits")
            queries.append(tantivy.Query.term_query(schema, "id", int(value)))
        else:
            field = "issn" if m.index == "issn" else "identifier"
            isbn = normalise_isbn(value) if m.index == "identifier" else None
            queries.append(
                tantivy.Query.term_query(schema, field, isbn or normalise_identifier(value))
            )
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(Occur.Should, q) for q in queries])


def _year(text: str) -> int:
    if not re.fullmatch(r"-?\d{1,4}", text.strip()):
        raise _refuse("term_invalid_for_index", text, f"A date is a year (YYYY): {text}")
    return int(text)


def _date_query(m: Match) -> tantivy.Query:
    if m.relation not in ORDER_RELATIONS:
        raise _refuse("unsupported_relation", m.relation, f"Unsupported relation: {m.relation}")
    if _masked(m.term):
        raise _refuse("masking_not_supported", m.term, "Masking not supported on dates")
    schema, kind = search_index.SCHEMA, tantivy.FieldType.Integer

    def years(
        low: int | None, high: int | None, inc_low: bool = True, inc_high: bool = True
    ) -> tantivy.Query:
        return tantivy.Query.range_query(schema, "year", kind, low, high, inc_low, inc_high)

    if m.relation == "within":
        bounds = m.term.split()
        if len(bounds) != 2:
            raise _refuse("term_invalid_for_index", m.term, "within takes two years")
        return years(_year(bounds[0]), _year(bounds[1]))
    year = _year(m.term)
    if m.relation in ("=", "=="):
        return tantivy.Query.term_query(schema, "year", year)
    if m.relation == "<>":
        return tantivy.Query.boolean_query(
            [
                (Occur.Must, years(1, None)),
                (Occur.MustNot, tantivy.Query.term_query(schema, "year", year)),
            ]
        )
    if m.relation in ("<", "<="):
        return years(1, year, True, m.relation == "<=")
    return years(year, None, m.relation == ">=", True)


def _parts(node: Node) -> list[tuple[Any, tantivy.Query]]:
    """The node as boolean parts; a chain of "and" is flattened as the portal's query is."""
    if isinstance(node, Match):
        if node.index not in INDEXES:
            raise _refuse("unsupported_index", node.index, f"Unsupported index: {node.index}")
        if node.index in TEXT_FIELDS:
            return _text_parts(node)
        if node.index == "date":
            return [(Occur.Must, _date_query(node))]
        return [(Occur.Must, _identifier_query(node))]
    if node.op == "and":
        return _parts(node.left) + _parts(node.right)
    left = tantivy.Query.boolean_query(_parts(node.left))
    right = tantivy.Query.boolean_query(_parts(node.right))
    if node.op == "or":
        return [
            (Occur.Must, tantivy.Query.boolean_query([(Occur.Should, left), (Occur.Should, right)]))
        ]
    if node.op == "not":
        return [(Occur.Must, left), (Occur.MustNot, right)]
    raise _refuse("unsupported_boolean", node.op, f"Unsupported boolean operator: {node.op}")


def build_query(node: Node) -> tantivy.Query:
    """The index query for ``node``. Raises QueryNotSupported."""
    parts = _parts(node)
    if not any(occur == Occur.Must for occur, _q in parts):
        # only optional parts (an "any" clause): at least one must match
        parts = [(Occur.Must, tantivy.Query.boolean_query(parts))]
    return tantivy.Query.boolean_query(parts)


def search_tree(node: Node, *, offset: int, limit: int) -> tuple[int, list[int]]:
    """(total, record ids best first) for the records matching ``node``, from ``offset``.

    Raises QueryNotSupported. An absent index gives no results.
    """
    query = build_query(node)
    searcher = engine._searcher()
    if searcher is None:
        return 0, []
    found = searcher.search(query, max(limit, 1), count=True, offset=offset)
    addresses = [address for _, address in found.hits][:limit]
    ids = [int(i) for i in searcher.fast_field_values("id", addresses)] if addresses else []  # type: ignore[arg-type]
    return int(found.count or 0), ids  # type: ignore[attr-defined]


def scan_terms(index: str, start: str, *, count: int, position: int = 1) -> list[tuple[str, int]]:
    """Index terms in order around ``start`` with how many records hold each.

    ``position`` is where ``start`` (or the first term after it) falls in the
    list, 1 for first (terms before it then come first when position > 1).
    Raises QueryNotSupported for an index that cannot be scanned.
    """
    field = SCAN_FIELDS.get(index)
    if field is None:
        raise _refuse("unsupported_index", index, f"Index cannot be scanned: {index}")
    if index in TEXT_FIELDS:
        analysed = words(start)
        key = analysed[0] if analysed else ""
    elif index == "isbn":
        key = normalise_isbn(start) or normalise_identifier(start)
    else:
        key = normalise_identifier(start)
    searcher = engine._searcher()
    if searcher is None:
        return []
    # the dictionary is walked by prefix: first the terms sharing the key's first letter
    terms = sorted(searcher.terms_with_prefix(field, key[:1]))
    later = [t for t in terms if t[0] >= key]
    before = [t for t in terms if t[0] < key]
    if len(later) < count or len(before) < position - 1:
        terms = sorted(searcher.terms_with_prefix(field, ""))
        later = [t for t in terms if t[0] >= key]
        before = [t for t in terms if t[0] < key]
    lead = before[len(before) - (position - 1) :] if position > 1 else []
    return (lead + later)[:count]
