"""The patron's query language, parsed into clauses (pure, no I/O).

- words: every word is required (stopwords such as "le", "de", "the" are
  dropped unless the query is made of them only);
- ``"a phrase"`` in quotes: the words in that order;
- fields: ``titre:``, ``auteur:``, ``sujet:``, ``isbn:`` (English aliases
  ``title:``, ``author:``, ``subject:``), followed by a word or a phrase;
- an ISBN typed alone (10 or 13 digits, any hyphenation) searches the ISBN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from navette.search.analysis import STOPWORDS, normalise_isbn, words

FIELD_ALIASES = {
    "titre": "title",
    "title": "title",
    "auteur": "authors",
    "author": "authors",
    "sujet": "subjects",
    "subject": "subjects",
    "isbn": "isbn",
}

_TOKEN = re.compile(
    r'(?:(?P<field>[A-Za-zé]+):)?(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))',
)


@dataclass(frozen=True)
class Clause:
    """One required part of the query.

    ``field`` is None for all text fields; ``terms`` are analysed index terms;
    ``phrase`` requires them adjacent and in order; ``isbn`` holds a
    normalised ISBN-13 for an ISBN clause.
    """

    field: str | None
    terms: tuple[str, ...]
    phrase: bool = False
    isbn: str | None = None


_SPACED_ISBN = re.compile(r"(?<![\w-])(?:isbn\s*:?\s*)?(\d[\d -]{8,20}[\dXx])(?![\w-])", re.I)


def _join_spaced_isbns(q: str) -> str:
    """'978 2 203 00109 1' typed with spaces becomes one ISBN token."""

    def join(match: re.Match[str]) -> str:
        isbn = normalise_isbn(match.group(1))
        return f" isbn:{isbn} " if isbn else match.group(0)

    return _SPACED_ISBN.sub(join, q)


def parse(q: str) -> list[Clause]:
    """Split a query into required clauses. An empty or all-punctuation query gives []."""
    clauses: list[Clause] = []
    dropped: list[Clause] = []
    for match in _TOKEN.finditer(_join_spaced_isbns(q or "")):
        field_name = (match.group("field") or "").lower()
        field = FIELD_ALIASES.get(field_name)
        phrase = match.group("phrase")
        text = phrase if phrase is not None else (match.group("word") or "")
        if field_name and field is None:
            # "Unknown:thing" is ordinary text, colon included (e.g. a title "Star Wars: ...")
            text = f"{match.group('field')} {text}"
        if field == "isbn":
            isbn = normalise_isbn(text)
            clauses.append(Clause("isbn", (), isbn=isbn or re.sub(r"\D", "", text)))
            continue
        if field is None and phrase is None:
            isbn = normalise_isbn(text)
            if isbn:
                clauses.append(Clause("isbn", (), isbn=isbn))
                continue
        terms = tuple(words(text))
        if not terms:
            continue
        if phrase is not None and len(terms) > 1:
            clauses.append(Clause(field, terms, phrase=True))
            continue
        for term in terms:
            clause = Clause(field, (term,))
            (dropped if term in STOPWORDS and field is None else clauses).append(clause)
    return clauses or dropped
