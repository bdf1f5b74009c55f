"""Shelf marks (cotes) given to the demo copies: what a librarian would read on the spine."""

from __future__ import annotations

from navette.catalogue.demo import call_number
from navette.catalogue.models import Record


def record(**kw):  # type: ignore[no-untyped-def]
    fields = {"title": "Sans titre", "doc_type": "book", "audience": "", "authors": [], "marc": {}}
    fields.update(kw)
    return Record(**fields)


def dewey(tag: str, number: str) -> dict:  # type: ignore[type-arg]
    return {
        "fields": [{"001": "x"}, {tag: {"ind1": "0", "ind2": " ", "subfields": [{"a": number}]}}]
    }


def test_fiction_takes_r_and_the_author() -> None:
    assert call_number(record(authors=[{"name": "Guiraud, Jean", "role": "auteur"}])) == "R GUI"


def test_non_fiction_takes_its_dewey_class_marc21_and_unimarc() -> None:
    author = [{"name": "Dubois, Émile", "role": "auteur"}]
    assert call_number(record(authors=author, marc=dewey("082", "944.04"))) == "944 DUB"
    assert call_number(record(authors=author, marc=dewey("676", "530.1"))) == "530 DUB"
    assert call_number(record(authors=author, marc=dewey("082", "B"))) == "R DUB"


def test_document_types_have_their_own_prefix() -> None:
    assert call_number(record(doc_type="video", title="2001 : l'odyssée")) == "DVD ODY"
    assert call_number(record(doc_type="music", authors=[{"name": "Évora, Cesária"}])) == "CD EVO"
    assert call_number(record(doc_type="comic", authors=[{"name": "Goscinny"}])) == "BD GOS"


def test_children_documents_are_shelved_under_j() -> None:
    kid = record(doc_type="comic", audience="children", authors=[{"name": "Hergé"}])
    assert call_number(kid) == "J BD HER"
    assert call_number(record(audience="children", title="Élmer")) == "J R ELM"


def test_a_title_without_letters_gives_its_first_characters() -> None:
    assert call_number(record(title="1984")) == "R 198"
