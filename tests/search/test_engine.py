"""Search engine: accents, plurals, phrases, fields, ISBN, ranking, sorting, autocomplete."""

from __future__ import annotations

import pytest

from navette.search import engine
from navette.search.index import rebuild_index

pytestmark = pytest.mark.django_db


@pytest.fixture
def indexed(catalogue):
    rebuild_index()
    return catalogue


def ids(q: str, **kwargs) -> list[int]:
    return engine.search(engine.SearchParams(q=q, facets=False, **kwargs)).record_ids


@pytest.mark.parametrize("q", ["etoile mysterieuse", "ÉTOILE", "Etoile", "l'étoile", "mystérieuse"])
def test_accents_and_case_are_ignored(indexed, q):
    """'etoile' finds 'L'Étoile mystérieuse', whatever the case and accents typed."""
    assert indexed["etoile"].pk in ids(q)


def test_ligatures_are_folded(indexed):
    """'oeuvres' finds 'Œuvres complètes'."""
    assert ids("oeuvres completes") == [indexed["nocopy"].pk]


@pytest.mark.parametrize(
    ("q", "key"),
    [
        ("étoiles mystérieuses", "etoile"),  # French -s
        ("etoile filante", "etoiles"),  # singular finds plural
        ("chevaux", "chevaux"),  # -aux finds -al ("cheval")
        ("journal guerre", "journaux"),  # -al finds -aux
        ("stories", "stories"),  # English -ies finds -y ("story")
        ("box church", "music"),  # English -es
    ],
)
def test_french_and_english_plurals_match(indexed, q, key):
    """Singular and plural forms find each other, in French and in English."""
    assert indexed[key].pk in ids(q)


def test_every_word_is_required(indexed):
    """All words must match: 'guerre paix' finds the two records having both, not 'journaux de guerre'."""
    found = set(ids("guerre paix"))
    assert found == {indexed["guerre_paix"].pk, indexed["paix_guerre"].pk}
    assert ids("etoile zzzzz") == []


def test_stopwords_are_not_required(indexed):
    """'le cheval de troie' finds the record although 'le' and 'de' are dropped from the query."""
    assert ids("le cheval de troie") == [indexed["chevaux"].pk]


def test_phrase_requires_words_in_order(indexed):
    """'"guerre et paix"' finds Tolstoï only, not 'La paix et la guerre'."""
    assert ids('"guerre et paix"') == [indexed["guerre_paix"].pk]
    assert ids('"paix et la guerre"') == [indexed["paix_guerre"].pk]


def test_title_matches_rank_before_other_fields(indexed):
    """'hugo' ranks titles/authors with Hugo before a record where Hugo is only a subject."""
    found = ids("hugo")
    assert set(found) == {indexed["hugo"].pk, indexed["hugo_by"].pk}
    assert "Hugo" not in indexed["hugo_by"].authors[0]["name"]


def test_author_field(indexed):
    """'auteur:hugo' finds Victor Hugo's book, not the biography whose title names him."""
    assert ids("auteur:hugo") == [indexed["hugo"].pk]
    assert ids('auteur:"victor hugo"') == [indexed["hugo"].pk]


def test_title_and_subject_fields(indexed):
    """'titre:' searches titles only; 'sujet:' subjects only."""
    assert ids("titre:hugo") == [indexed["hugo_by"].pk]
    assert set(ids("sujet:histoire")) == {indexed["guerre_paix"].pk, indexed["journaux"].pk}
    assert ids("sujet:etoile") == []


@pytest.mark.parametrize(
    "q",
    [
        "isbn:2-203-00109-7",
        "isbn:2203001097",
        "isbn:978-2-203-00109-1",
        "9782203001091",
        "2 203 00109 7",
        "ISBN 978 2 203 00109 1",
    ],
)
def test_isbn_in_any_form(indexed, q):
    """An ISBN-10 or ISBN-13, hyphenated or not, with or without 'isbn:', finds the record."""
    assert ids(q) == [indexed["etoile"].pk]


def test_isbn13_given_in_the_record_is_found_by_its_isbn10(indexed):
    """A record catalogued with an ISBN-13 is found by the equivalent ISBN-10."""
    assert ids("isbn:2-07-040850-7") == [indexed["hugo"].pk]


def test_sorts(indexed):
    """Sorted by newest, by title (articles ignored) and by author."""
    everything = ids("", per_page=50, sort="newest")
    assert everything[0] == indexed["game"].pk
    by_title = ids("", per_page=50, sort="title")
    assert by_title.index(indexed["chevaux"].pk) < by_title.index(
        indexed["etoile"].pk
    )  # "cheval" < "etoile"
    by_author = ids("", per_page=50, sort="author")
    assert by_author[0] == indexed["hugo_by"].pk  # Alain Decaux


def test_pagination(indexed):
    """Pages do not overlap and together hold every match."""
    first = ids("", per_page=5, page=1, sort="title")
    second = ids("", per_page=5, page=2, sort="title")
    assert len(first) == 5 and not set(first) & set(second)
    assert engine.search(engine.SearchParams(per_page=5)).total == len(indexed)


def test_autocomplete_from_three_letters(indexed):
    """'mys' suggests 'L'Étoile mystérieuse'; 'tolst' suggests Tolstoï's book; two letters suggest nothing."""
    assert indexed["etoile"].pk in engine.suggest("mys")
    assert engine.suggest("tolst") == [indexed["guerre_paix"].pk]
    assert engine.suggest("l'etoile myst") == [indexed["etoile"].pk]
    assert engine.suggest("my") == []
