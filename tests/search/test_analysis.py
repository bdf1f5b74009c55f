"""Text analysis helpers (pure functions): accent folding, sort keys, ISBN check digits."""

from __future__ import annotations

import unicodedata

import pytest

from navette.search.analysis import fold, normalise_isbn, sort_key


def reference_fold(text: str) -> str:
    """Folding by definition: ligatures spelt out, NFKD, combining marks dropped, lowercase."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    text = text.replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@pytest.mark.parametrize(
    "text",
    ["L'Étoile mystérieuse", "Œuvres complètes", "Ἀριστοτέλης", "Łódź ﬁnance ①", "naïve café",
     "Москва́", "Straße", "plain ascii", "ÇA Ñ Ü", "a\u0301\u0327b"],
)  # fmt: skip
def test_fold_drops_accents_and_lowercases_like_the_definition(text):
    assert fold(text) == reference_fold(text)
    assert fold(text) == reference_fold(text)  # second call: from the filled table


def test_sort_key_drops_articles_and_punctuation():
    assert sort_key("L'Étoile mystérieuse") == "etoile mysterieuse"
    assert sort_key("« Les Misérables »") == "miserables"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2-203-00109-7", "9782203001091"), ("978-2-07-040850-4", "9782070408504"),
     ("9782070612758", "9782070612758"), ("2-203-00109-8", None), ("9782070612759", None),
     ("0-8044-2957-X", "9780804429573")],
)  # fmt: skip
def test_isbn_check_digits(value, expected):
    assert normalise_isbn(value) == expected
