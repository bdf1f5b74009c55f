"""Helping a patron who typed badly or not all: "did you mean" from the index's own words,
the last word read as a beginning, autocomplete from titles, authors and subjects."""

from __future__ import annotations

import pytest

from navette.search import engine, selectors
from navette.search.index import rebuild_index
from tests.catalogue.factories import make_item, make_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def indexed(catalogue):
    rebuild_index()
    return catalogue


def ids(q: str, **kwargs) -> list[int]:
    return engine.search(engine.SearchParams(q=q, facets=False, **kwargs)).record_ids


@pytest.mark.parametrize(
    ("a", "b", "limit", "expected"),
    [
        ("hitory", "history", 2, 1),  # a letter left out
        ("histroy", "history", 2, 1),  # two letters swapped: one edit
        ("miserabels", "miserables", 2, 1),
        ("guere", "guerre", 1, 1),
        ("chat", "chien", 1, 2),  # beyond the limit: limit + 1
        ("a", "abcdef", 2, 3),
        ("paix", "paix", 1, 0),
    ],
)
def test_edit_distance_counts_swaps_as_one_edit(a, b, limit, expected):
    """Damerau-Levenshtein distance, cut short above the limit."""
    assert engine.edit_distance(a, b, limit) == expected


def test_typo_gets_the_index_spelling_which_finds_the_record(indexed):
    """'miserabels hugo' finds nothing; the suggestion 'miserables hugo' finds Les Misérables.
    The other words are kept as typed, field names included."""
    assert ids("miserabels hugo") == []
    assert engine.spelling_suggestion("miserabels hugo") == "miserables hugo"
    assert ids("miserables hugo") == [indexed["hugo"].pk]
    assert engine.spelling_suggestion("titre:journeaux") == "titre:journaux"
    assert engine.spelling_suggestion("Tolstoi guere") == "Tolstoi guerre"


def test_words_spelt_right_get_no_suggestion(indexed):
    """A query whose words are in the index gets none, nor does nonsense with no neighbour."""
    assert engine.spelling_suggestion("guerre et paix") is None
    assert engine.spelling_suggestion("xqzwvk") is None
    assert selectors.did_you_mean(engine.SearchParams(q="guerre"), found=3) is None


def test_rare_spelling_next_to_a_common_word_is_corrected(indexed):
    """A word found in one record (a typo in a record) next to a word found in many: a search
    finding little is offered the common word, with the number of records it finds."""
    typo = make_record(title="Le chevall de bois", year=1990)
    make_item(record=typo, library=indexed["chevaux"].items.first().owning_library)
    for n in range(10):
        make_record(title=f"Le cheval numéro {n}", year=2000 + n)
    rebuild_index()
    found = engine.search(engine.SearchParams(q="chevall")).total
    assert found == 1
    correction = selectors.did_you_mean(engine.SearchParams(q="chevall"), found)
    assert correction is not None and correction.q == "cheval"
    assert correction.total == 11  # the ten and "Le cheval de Troie"


def test_last_word_is_also_a_beginning(indexed):
    """'guerre et pa' finds Guerre et paix, La paix et la guerre and Les journaux de guerre
    (by Paul Dubois); 'rimb' finds Rimbaud; a
    last word that is a word of the index keeps its meaning ('art' does not find 'artistes')."""
    found = set(ids("guerre et pa"))
    assert found == {indexed[k].pk for k in ("guerre_paix", "paix_guerre", "journaux")}
    assert ids("rimb") == [indexed["nocopy"].pk]
    assert ids("auteur:tolst") == [indexed["guerre_paix"].pk]
    assert ids("tolst guerre") == []  # only the last word is a beginning
    art = make_record(title="L'art du portrait", year=2001)
    artists = make_record(title="Les artistes du Nord", year=2002)
    rebuild_index()
    assert ids("art") == [art.pk]
    assert ids("artis") == [artists.pk]


def test_autocomplete_offers_titles_authors_and_subjects(indexed):
    """'hug' offers the title 'Victor Hugo, une vie', the author Victor Hugo and the subject
    'Hugo, Victor', each once; a title carries its record; two letters offer nothing."""
    found = selectors.suggestions("hug")
    kinds = {(s.kind, s.label) for s in found}
    assert (selectors.SuggestionKind.TITLE, "Victor Hugo, une vie") in kinds
    assert (selectors.SuggestionKind.AUTHOR, "Victor Hugo") in kinds
    assert (selectors.SuggestionKind.SUBJECT, "Hugo, Victor") in kinds
    assert len(found) == len(kinds)
    title = next(s for s in found if s.kind == selectors.SuggestionKind.TITLE)
    assert title.record == indexed["hugo_by"].pk
    assert [s.label for s in selectors.suggestions("guerre mon")] == ["Guerre mondiale, 1939-1945"]
    assert selectors.suggestions("hu") == []


def test_result_rows_speak_of_the_filtered_library(indexed, relire):
    """With a library filter, a row's availability is that library's: the film on the shelf
    at Lens and Harnes says only Lens; a copy away from its library is not on its shelf."""
    params = engine.SearchParams(q="seigneur", filters={"library": ["lens"]})
    _result, rows = selectors.search_page(params)
    assert [lib.code for lib in rows[0].available_at] == ["lens"]
    assert rows[0].copies == 1 and [lib.code for lib in rows[0].scope] == ["lens"]
    _result, rows = selectors.search_page(engine.SearchParams(q="seigneur"))
    assert {lib.code for lib in rows[0].available_at} == {"lens", "harnes"} and not rows[0].scope


def test_title_found_in_its_subtitle_is_shown_with_it(indexed):
    """A title suggested for words of its subtitle shows the subtitle, so the patron sees why."""
    from navette.catalogue.models import Record

    record = make_record(title="La jeunesse des romantiques", year=1990)
    Record.objects.filter(pk=record.pk).update(subtitle="Victor Hugo et les siens")
    rebuild_index()
    labels = [s.label for s in selectors.suggestions("et les sien")]
    assert labels == ["La jeunesse des romantiques : Victor Hugo et les siens"]
    assert [s.label for s in selectors.suggestions("jeunesse des rom")] == [
        "La jeunesse des romantiques"
    ]
