"""The staff pages of headings (browse with counts in French order, filter by kind and
prefix, paginate; change with its preview; undo) and of a record's cover (upload, bad file)."""

from __future__ import annotations

import html
import re

import pytest

from navette.catalogue.models import Cover, Heading, HeadingChange, Record
from navette.core.models import Role, User
from tests.catalogue.test_covers import png_with_metadata
from tests.catalogue.test_headings import _import, unimarc_book

pytestmark = pytest.mark.django_db
HEADINGS = "/personnel/catalogue/vedettes/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def cataloguer(client):
    user = User.objects.create_user("cat", password="x", role=Role.CATALOGUER)
    client.force_login(user)
    return user


def _labels(page: str) -> list[str]:
    return re.findall(r"<tr><td>([^<]+)</td>", page)


def test_browse_in_french_order_with_counts_filter_and_pages(client, cataloguer):
    """Headings are listed in French order (É with E) with their counts; the kind and the
    prefix (accents ignored) filter them; 50 a page."""
    authors = [("Éluard", "Paul"), ("Eco", "Umberto"), ("Zola", "Émile"), ("Ernaux", "Annie")]
    _import([unimarc_book(n, author=a) for n, a in enumerate(authors)]
            + [unimarc_book(10 + n, author=(f"Auteur{n:02d}", "X")) for n in range(60)])  # fmt: skip
    page = client.get(HEADINGS, {"nature": "author", "debut": "e"}).content.decode()
    assert _labels(page) == ["Eco, Umberto", "Éluard, Paul", "Ernaux, Annie"]
    assert "<td>1</td>" in page and "3 vedettes" in page
    page = client.get(HEADINGS, {"nature": "subject"}).content.decode()
    assert _labels(page) == ["Oiseaux -- Mythologie"] and "<td>64</td>" in page
    first = client.get(HEADINGS, {"nature": "author"}).content.decode()
    second = client.get(HEADINGS, {"nature": "author", "page": "2"}).content.decode()
    assert len(_labels(first)) == 50 and len(_labels(second)) == 14
    assert "Page 2 sur 2" in second and _labels(second)[-1] == "Zola, Émile"


def test_change_preview_apply_and_undo(client, cataloguer):
    """The change page lists the records it reaches; applying changes them all; the undo
    button on the list puts them back."""
    _import([unimarc_book(n) for n in range(3)])
    heading = Heading.objects.get(kind="subject")
    preview = client.get(f"{HEADINGS}{heading.pk}/").content.decode()
    assert preview.count('<li><a href="/personnel/catalogue/notices/') == 3
    assert "Changer la vedette dans 3 notices" in preview
    empty = client.post(f"{HEADINGS}{heading.pk}/", {"forme": " "})
    assert empty.status_code == 400
    assert "Indiquez la nouvelle forme de la vedette." in empty.content.decode()
    done = client.post(f"{HEADINGS}{heading.pk}/", {"forme": "Oiseaux -- Contes"}, follow=True)
    assert "« Oiseaux -- Mythologie » devient « Oiseaux -- Contes » dans 3 notices." in (
        done.content.decode())  # fmt: skip
    assert Record.objects.filter(subjects=["Oiseaux -- Contes"]).count() == 3
    change = HeadingChange.objects.get()
    undone = client.post(f"{HEADINGS}changements/{change.pk}/annuler/", follow=True)
    assert "est rétablie" in undone.content.decode()
    assert Record.objects.filter(subjects=["Oiseaux -- Mythologie"]).count() == 3


def test_librarians_do_not_reach_the_headings(client):
    """Changing headings is for cataloguers and network administrators: 403 to a librarian."""
    client.force_login(User.objects.create_user("bib", password="x", role=Role.LIBRARIAN))
    assert client.get(HEADINGS).status_code == 403


def test_cover_page_upload_and_bad_file(client, cataloguer):
    """A good image is stored and shown; a file that is no image gets a clear error at the
    form (400) and no cover."""
    _import([unimarc_book(1)])
    record = Record.objects.get()
    url = f"/personnel/catalogue/notices/{record.pk}/couverture/"
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("photo.jpg", b"<html>pas une image</html>", "image/jpeg")
    answer = client.post(url, {"image": bad})
    assert answer.status_code == 400
    assert "n'est pas une image lisible" in html.unescape(answer.content.decode())
    assert not Cover.objects.exists()
    good = SimpleUploadedFile("x.png", png_with_metadata(), "image/png")
    page = client.post(url, {"image": good}, follow=True).content.decode()
    assert "Couverture enregistrée." in page
    assert 'alt="Couverture de « Livre 1 »"' in page
    assert Cover.objects.get().record == record
