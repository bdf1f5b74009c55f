"""The staff catalogue search: barcodes and record numbers at once, words through the index."""

from __future__ import annotations

import shutil
from html import unescape

import pytest

from navette.catalogue.models import Item
from navette.core.models import User
from navette.search.index import forget_index, rebuild_index

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, catalogue):
    user = User.objects.create_user("bib", password="x", role="librarian")
    client.force_login(user)
    return client


def titles(page: str) -> list[str]:
    body = page.split('role="search"')[1].split("</form>", 1)[1]  # the results, after the box
    return [
        part.split("</a>")[0].split(">")[-1]
        for part in body.split("/personnel/catalogue/notices/")[1:]
    ]


def test_words_go_through_the_index_best_first_accents_and_fields(staff, catalogue):
    rebuild_index()
    page = unescape(staff.get("/personnel/catalogue/", {"q": "etoile"}).content.decode())
    found = titles(page)
    assert sorted(found) == ["L'Étoile mystérieuse", "Les étoiles filantes"]
    assert "2 notices trouvées" in page
    by_author = titles(
        unescape(staff.get("/personnel/catalogue/", {"q": "auteur:hugo"}).content.decode())
    )
    assert by_author == ["Les Misérables"]


def test_a_barcode_finds_its_record_first(staff, catalogue):
    rebuild_index()
    barcode = Item.objects.filter(record=catalogue["hugo"]).values_list("barcode", flat=True)[0]
    assert titles(
        unescape(staff.get("/personnel/catalogue/", {"q": barcode}).content.decode())
    ) == ["Les Misérables"]


def test_without_an_index_titles_containing_the_words_are_listed(staff, catalogue, index_dir):
    rebuild_index()
    # with the index, a word of a subject finds its record
    subject = unescape(staff.get("/personnel/catalogue/", {"q": "mondiale"}).content.decode())
    assert titles(subject) == ["Les journaux de guerre"]
    shutil.rmtree(index_dir)
    forget_index()
    page = unescape(staff.get("/personnel/catalogue/", {"q": "guerre"}).content.decode())
    assert sorted(titles(page)) == [
        "Guerre et paix",
        "La paix et la guerre",
        "Les journaux de guerre",
    ]
    # titles only, without the index
    assert (
        titles(unescape(staff.get("/personnel/catalogue/", {"q": "mondiale"}).content.decode()))
        == []
    )
