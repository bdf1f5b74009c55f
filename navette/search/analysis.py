"""Text analysis shared by indexing and querying (pure functions, no I/O).

The index stores words lowercased and accent-folded, *not* stemmed: French
and English plurals are matched at query time by expanding each word into its
plausible singular and plural forms (``plural_variants``). That keeps the index
exact (no over-stemming such as "mystérieuse" -> "mysteri"), keeps autocomplete
on real words, and costs a handful of extra terms per query word.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import tantivy

ANALYZER_NAME = "navette_fold"
MAX_TOKEN_LENGTH = 40


def build_analyzer() -> tantivy.TextAnalyzer:
    """The index analyzer: split on non-alphanumerics, lowercase, fold accents (É->e, œ->oe)."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(MAX_TOKEN_LENGTH))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


_ANALYZER = build_analyzer()


def words(text: str) -> list[str]:
    """The index terms of ``text``, exactly as the index analyzer produces them."""
    return list(_ANALYZER.analyze(text))


_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})


class _CombiningMarks(dict[int, int | None]):
    """A ``str.translate`` table dropping combining characters, filled as characters are met."""

    def __missing__(self, codepoint: int) -> int | None:
        kept = None if unicodedata.combining(chr(codepoint)) else codepoint
        self[codepoint] = kept
        return kept


_NO_MARKS = _CombiningMarks()


def fold(text: str) -> str:
    """Lowercase, accent-free form of ``text`` (for sort keys and comparisons)."""
    if text.isascii():  # nothing to fold: the same result, without the per-character pass
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return decomposed.translate(_NO_MARKS).lower()


def sort_key(text: str) -> str:
    """Sort key for titles and names: folded, leading punctuation and articles dropped."""
    key = _NOT_KEY.sub(" ", fold(text)).strip()
    key = _ARTICLE.sub("", key)
    return _SPACES.sub(" ", key)[:80]


_NOT_KEY = re.compile(r"[^0-9a-z ]+")
_ARTICLE = re.compile(r"^(l |le |la |les |un |une |des |the |a |an )")
_SPACES = re.compile(r"\s+")


#: Words that are dropped from free-text queries (every other word is required).
#: They stay in the index, so phrases in quotes still match them.
STOPWORDS = frozenset(
    """a au aux avec ce ces d dans de des du elle en et il je l la le les leur lui ma
    mais me meme mes moi mon n ne nos notre nous on ou par pas pour qu que qui s sa se
    ses son sur t ta te tes toi ton tu un une vos votre vous y
    an and are as at be by for from in is it of on or the this to with""".split()
)

_INVARIABLE_FR = frozenset(
    "bus corps fois pays prix temps vers voix cas bras dos choix croix".split()
)


@lru_cache(maxsize=50_000)
def plural_variants(word: str) -> tuple[str, ...]:
    """Singular and plural forms of a folded word, French and English.

    The word itself comes first. Rules: -s, -x (bijoux, jeux), -aux/-al
    (chevaux, journaux), -eaux/-eau, -ies/-y (stories), -es (boxes, churches).
    Words of one or two letters and numbers are left alone.
    """
    if len(word) < 3 or not word.isalpha():
        return (word,)
    forms: list[str] = [word]

    def add(form: str) -> None:
        if len(form) >= 2 and form not in forms:
            forms.append(form)

    if word in _INVARIABLE_FR:
        return (word,)
    if word.endswith("aux"):
        add(word[:-3] + "al")  # chevaux -> cheval
        add(word[:-3] + "ail")  # travaux -> travail
        add(word[:-1])  # tuyaux -> tuyau
    elif word.endswith(("eux", "oux", "aux")):
        add(word[:-1])  # jeux -> jeu, bijoux -> bijou
    elif word.endswith("ies"):
        add(word[:-3] + "y")  # stories -> story
        add(word[:-1])
    elif (
        word.endswith("ses")
        or word.endswith("xes")
        or word.endswith("ches")
        or word.endswith("shes")
    ):
        add(word[:-2])  # boxes -> box, churches -> church
        add(word[:-1])
    elif word.endswith("s") and not word.endswith("ss"):
        add(word[:-1])  # etoiles -> etoile, books -> book
    else:
        # a singular: offer its plurals
        if word.endswith("al"):
            add(word[:-2] + "aux")
        if word.endswith(("au", "eu", "ou")):
            add(word + "x")
        if word.endswith("y") and word[-2] not in "aeiou":
            add(word[:-1] + "ies")
        if word.endswith(("s", "x", "z", "ch", "sh")):
            add(word + "es")
        if not word.endswith(("s", "x", "z")):
            add(word + "s")
    return tuple(forms)


# --- ISBN ------------------------------------------------------------------------------------

_ISBN_CHARS = re.compile(r"[\s\-‐‑–.]")


_IDENTIFIER_NOISE = re.compile(r"[\s\-.]+")


def normalise_identifier(value: str) -> str:
    """An identifier as indexed and searched: upper case, without spaces, hyphens or dots
    (ISSN "0395-2649" and "03952649" are one)."""
    return _IDENTIFIER_NOISE.sub("", value).upper()[:128]


def normalise_isbn(value: str) -> str | None:
    """The ISBN-13 for an ISBN-10 or ISBN-13 in any hyphenation, or None if invalid.

    ISBN-10s get the 978 prefix and a recomputed check digit; the check digit
    of the input is verified in both cases.
    """
    raw = _ISBN_CHARS.sub("", value).upper()
    if raw.startswith("ISBN"):
        raw = raw[4:].lstrip(":")
    if len(raw) == 10 and raw[:9].isdigit() and (raw[9].isdigit() or raw[9] == "X"):
        total = sum((10 - i) * int(c) for i, c in enumerate(raw[:9]))
        total += 10 if raw[9] == "X" else int(raw[9])
        if total % 11:
            return None
        body = "978" + raw[:9]
        return body + _isbn13_check(body)
    if len(raw) == 13 and raw.isdigit():
        if _isbn13_check(raw[:12]) != raw[12]:
            return None
        return raw
    return None


def _isbn13_check(body12: str) -> str:
    digits = [int(c) for c in body12]
    total = sum(digits[0::2]) + 3 * sum(digits[1::2])
    return str((10 - total % 10) % 10)


def looks_like_isbn(token: str) -> bool:
    return normalise_isbn(token) is not None
