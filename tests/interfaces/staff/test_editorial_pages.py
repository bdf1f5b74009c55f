"""Staff pages of the portal's contents: a librarian writes news for their library only
(the library list offers only theirs; a forged post is refused and audited), builds a
selection; network administrators write the legal pages, librarians cannot."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from navette.core.actions import AuditAction
from navette.core.models import AuditEvent, Role, User
from navette.editorial.models import Article, LegalPage, Selection
from tests.catalogue.factories import make_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def lens_librarian(client, relire):
    user = User.objects.create_user("bib-lens", password="x", role=Role.LIBRARIAN)
    user.libraries.add(relire["lens"])
    client.force_login(user)
    return user


@pytest.fixture
def admin(client, relire):
    user = User.objects.create_user("admin", password="x", role=Role.NETWORK_ADMIN)
    client.force_login(user)
    return user


def _article(library, **fields):
    return {"kind": "news", "title": "Fermeture lundi", "summary": "", "body": "**Fermé**",
            "library": str(library.pk) if library else "", "status": "published",
            "publish_from": "", "publish_until": "", **fields}  # fmt: skip


def test_librarian_writes_news_for_their_library(client, relire, lens_librarian):
    """The form offers Lens only (no 'whole network'); the news is saved and audited."""
    form = client.get("/personnel/portail/articles/nouveau/").content.decode()
    assert "Lens — Médiathèque Robert Cousin" in form
    assert "Harnes" not in form and "Tout le réseau" not in form
    response = client.post("/personnel/portail/articles/nouveau/", _article(relire["lens"]))
    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/personnel/portail/articles/{article.pk}/"
    assert article.body_html == "<p><strong>Fermé</strong></p>\n"
    assert AuditEvent.objects.filter(action=AuditAction.ARTICLE_CREATE).count() == 1
    listing = client.get("/personnel/portail/").content.decode()
    assert "Fermeture lundi" in listing


def test_librarian_cannot_publish_elsewhere(client, relire, lens_librarian):
    """Another library or the network: the form refuses the choice; another library's item
    cannot even be opened (403)."""
    refused = client.post("/personnel/portail/articles/nouveau/", _article(relire["harnes"]))
    assert refused.status_code == 200 and not Article.objects.exists()
    network = client.post("/personnel/portail/articles/nouveau/", _article(None))
    assert network.status_code == 200 and not Article.objects.exists()
    other = Article.objects.create(title="Harnes", library=relire["harnes"],
                                   created_at="2026-12-01T10:00Z", updated_at="2026-12-01T10:00Z")  # fmt: skip
    assert client.get(f"/personnel/portail/articles/{other.pk}/").status_code == 403
    assert client.post(f"/personnel/portail/articles/{other.pk}/supprimer/").status_code == 403
    assert Article.objects.filter(pk=other.pk).exists()


def test_invalid_window_is_shown_at_the_form(client, relire, lens_librarian):
    response = client.post(
        "/personnel/portail/articles/nouveau/",
        _article(relire["lens"], publish_from="2026-12-10T10:00", publish_until="2026-12-09T10:00"),
    )
    assert response.status_code == 200
    assert "La fin de la publication doit suivre son début." in response.content.decode()
    assert not Article.objects.exists()


def test_selection_is_built_record_by_record(client, relire, lens_librarian):
    """Create the selection, add a record by its number with a comment, refuse an unknown
    number at its field, remove the record."""
    record = make_record(title="Le Phénix")
    created = client.post("/personnel/portail/selections/nouvelle/", {
        "save": "1", "title": "Coups de cœur", "intro": "", "library": str(relire["lens"].pk),
        "status": "published", "publish_from": "", "publish_until": "",
    })  # fmt: skip
    selection = Selection.objects.get()
    url = f"/personnel/portail/selections/{selection.pk}/"
    assert created["Location"] == url
    added = client.post(url, {"add": "1", "record": str(record.pk), "comment": "Superbe."})
    assert added.status_code == 302
    assert list(selection.entries.values_list("record__title", "comment")) == [
        ("Le Phénix", "Superbe.")
    ]
    unknown = client.post(url, {"add": "1", "record": "999999", "comment": ""})
    assert unknown.status_code == 400
    assert "Aucune notice ne porte ce numéro." in unknown.content.decode()
    entry = selection.entries.get()
    client.post(f"{url}titres/{entry.pk}/retirer/")
    assert not selection.entries.exists()


def test_legal_pages_belong_to_network_administrators(client, relire, lens_librarian):
    assert client.get("/personnel/portail/pages-legales/").status_code == 403
    assert client.post("/personnel/portail/pages-legales/legal_notice/",
                       {"body": "x"}).status_code == 403  # fmt: skip
    assert not LegalPage.objects.exists()


def test_administrator_writes_the_accessibility_statement(client, relire, admin):
    """The statement needs its compliance status; once saved, the footer shows it."""
    url = "/personnel/portail/pages-legales/accessibility/"
    missing = client.post(url, {"body": "Audit prévu.", "compliance": ""})
    assert missing.status_code == 200 and not LegalPage.objects.exists()
    saved = client.post(url, {"body": "Audit prévu.", "compliance": "partial"})
    assert saved.status_code == 302
    assert LegalPage.objects.get().compliance == "partial"
    home = client.get("/").content.decode()
    assert "Accessibilité : partiellement conforme" in home
    assert client.get("/personnel/portail/pages-legales/inconnue/").status_code == 404


def test_news_with_an_image_shows_it_on_the_portal(client, relire, lens_librarian, settings,
                                                   tmp_path):  # fmt: skip
    """An uploaded photo is kept (re-encoded) with its text alternative and shown on the news
    page; without the alternative the form says so."""
    settings.MEDIA_ROOT = tmp_path / "media"
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (250, 200, 0)).save(out, "JPEG")
    photo = SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")
    refused = client.post("/personnel/portail/articles/nouveau/",
                          {**_article(relire["lens"]), "image": photo})  # fmt: skip
    assert "Une image doit avoir un texte alternatif." in refused.content.decode()
    photo.seek(0)
    client.post("/personnel/portail/articles/nouveau/",
                {**_article(relire["lens"]), "image": photo, "image_alt": "La grainothèque"})  # fmt: skip
    article = Article.objects.get()
    page = client.get(f"/actualites/{article.pk}/").content.decode()
    assert f'src="/media/{article.image.name}" alt="La grainothèque"' in page
