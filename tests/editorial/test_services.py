"""News, pages, selections and legal pages: who may publish where (checked in the use case
and audited), publication windows and drafts, and what the portal then shows."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.clock import PARIS
from navette.core.models import AuditEvent, Role, User
from navette.editorial import selectors
from navette.editorial.errors import ContentInvalid
from navette.editorial.models import (
    AccessibilityCompliance,
    Article,
    ArticleKind,
    LegalPage,
    LegalPageKey,
    PublicationStatus,
    Selection,
    SelectionEntry,
)
from navette.editorial.services import (
    article_delete,
    article_save,
    legal_page_save,
    selection_delete,
    selection_entry_add,
    selection_entry_remove,
    selection_save,
)
from navette.network.scope import OutOfScope
from tests.catalogue.factories import make_record

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 8, 10, 0, tzinfo=PARIS)
PUBLISHED = PublicationStatus.PUBLISHED


@pytest.fixture
def people(relire):
    admin = User.objects.create_user("admin", password="x", role=Role.NETWORK_ADMIN)
    lens = User.objects.create_user("bib-lens", password="x", role=Role.LIBRARIAN)
    lens.libraries.add(relire["lens"])
    stats = User.objects.create_user("stats", password="x", role=Role.STATISTICIAN)
    return {
        "admin": Actor.staff(admin),
        "lens": Actor.staff(lens),
        "stats": Actor.staff(stats),
    }


def _news(library, actor, **fields):
    values = {"kind": ArticleKind.NEWS, "title": "Fermeture exceptionnelle", "body": "Texte",
              "library": library, "status": PUBLISHED, **fields}  # fmt: skip
    return article_save(article=None, fields=values, actor=actor, now=NOW)


def test_librarian_publishes_for_their_library_with_an_audit_entry(relire, people):
    """A librarian of Lens publishes a news item for Lens: saved, body rendered, audited."""
    article = _news(relire["lens"], people["lens"], body="**Fermé** lundi")
    assert article.body_html == "<p><strong>Fermé</strong> lundi</p>\n"
    event = AuditEvent.objects.get(action=AuditAction.ARTICLE_CREATE)
    assert (event.library_id, event.object_id, event.actor_id) == (
        relire["lens"].pk,
        str(article.pk),
        people["lens"].id,
    )


@pytest.mark.parametrize("where", ["avion-emile-zola", None])
def test_librarian_may_not_publish_elsewhere_nor_for_the_network(relire, people, where):
    """Another library, or the whole network: refused (OutOfScope), audited, nothing saved."""
    library = relire[where] if where else None
    with pytest.raises(OutOfScope):
        _news(library, people["lens"])
    assert not Article.objects.exists()
    refusal = AuditEvent.objects.get(action=AuditAction.SCOPE_REFUSED)
    assert refusal.data["attempted"] == "article.create"


def test_statistician_may_not_publish(relire, people):
    with pytest.raises(OutOfScope):
        _news(relire["lens"], people["stats"])
    assert not Article.objects.exists()


def test_network_administrator_publishes_for_the_network(relire, people):
    article = _news(None, people["admin"])
    assert article.library_id is None
    assert list(selectors.visible_news(now=NOW)) == [article]


def test_librarian_may_not_move_an_item_to_another_library_nor_edit_one_elsewhere(relire, people):
    """Moving Lens's news to Avion, or editing the network's news: refused, unchanged."""
    mine = _news(relire["lens"], people["lens"])
    with pytest.raises(OutOfScope):
        article_save(article=mine, fields={"library": relire["avion-emile-zola"]},
                     actor=people["lens"], now=NOW)  # fmt: skip
    network_news = _news(None, people["admin"], title="Réseau")
    with pytest.raises(OutOfScope):
        article_save(article=network_news, fields={"title": "Piraté"}, actor=people["lens"],
                     now=NOW)  # fmt: skip
    with pytest.raises(OutOfScope):
        article_delete(article=network_news, actor=people["lens"], now=NOW)
    mine.refresh_from_db()
    network_news.refresh_from_db()
    assert (mine.library_id, network_news.title) == (relire["lens"].pk, "Réseau")


def test_drafts_and_items_outside_their_window_are_not_shown(relire, people):
    """Only published items within [publish_from, publish_until) are visible."""
    lens = relire["lens"]
    shown = _news(lens, people["lens"], title="Visible")
    _news(lens, people["lens"], title="Brouillon", status=PublicationStatus.DRAFT)
    later = _news(lens, people["lens"], title="Plus tard", publish_from=NOW + dt.timedelta(days=2))
    ended = _news(lens, people["lens"], title="Fini", publish_from=NOW - dt.timedelta(days=9),
                  publish_until=NOW - dt.timedelta(days=1))  # fmt: skip
    assert [a.title for a in selectors.visible_news(now=NOW)] == ["Visible"]
    assert selectors.visible_article(later.pk, now=NOW) is None
    assert selectors.visible_article(later.pk, now=NOW + dt.timedelta(days=2)) == later
    assert selectors.visible_article(ended.pk, now=NOW - dt.timedelta(days=2)) == ended
    assert selectors.visible_article(shown.pk, now=NOW) == shown


def test_newest_publication_first_and_library_pages_keep_their_own(relire, people):
    old = _news(relire["lens"], people["admin"], title="Ancienne",
                publish_from=NOW - dt.timedelta(days=5))  # fmt: skip
    new = _news(None, people["admin"], title="Récente", publish_from=NOW - dt.timedelta(days=1))
    other = _news(relire["harnes"], people["admin"], title="Harnes")
    assert list(selectors.visible_news(now=NOW))[:2] == [other, new]
    assert list(selectors.visible_news(now=NOW, library=relire["lens"], with_network=False)) == [
        old
    ]
    assert set(selectors.visible_news(now=NOW, library=relire["lens"])) == {old, new}


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"title": "  "}, "content_title_missing"),
        ({"publish_from": NOW, "publish_until": NOW}, "publication_window_reversed"),
        ({"body": "x" * 50_001}, "content_body_too_long"),
    ],
)
def test_bad_input_is_refused_with_its_code_and_nothing_saved(relire, people, fields, code):
    with pytest.raises(ContentInvalid) as refused:
        _news(relire["lens"], people["lens"], **fields)
    assert refused.value.code == code
    assert refused.value.message != code  # worded for the reader
    assert not Article.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.ARTICLE_CREATE).exists()


def test_pages_are_not_news(relire, people):
    page = _news(None, people["admin"], kind=ArticleKind.PAGE, title="S'inscrire")
    assert list(selectors.visible_news(now=NOW)) == []
    assert list(selectors.visible_pages(now=NOW)) == [page]


def test_selection_holds_records_in_order_once_each(relire, people):
    """Records are added at the end with their comment; the same record twice is refused;
    removing one is audited. A selection without records is not shown."""
    actor = people["lens"]
    selection = selection_save(
        selection=None, fields={"title": "Coups de cœur", "library": relire["lens"],
                                "status": PUBLISHED}, actor=actor, now=NOW,
    )  # fmt: skip
    assert selectors.visible_selections(now=NOW) == []
    first, second = make_record(title="Premier"), make_record(title="Second")
    selection_entry_add(selection=selection, record=first, comment="Superbe", actor=actor, now=NOW)
    entry = selection_entry_add(selection=selection, record=second, comment="", actor=actor,
                                now=NOW)  # fmt: skip
    with pytest.raises(ContentInvalid) as twice:
        selection_entry_add(selection=selection, record=first, comment="", actor=actor, now=NOW)
    assert twice.value.code == "selection_record_twice"
    [shown] = selectors.visible_selections(now=NOW)
    assert [(e.record.title, e.comment) for e in shown.entries.all()] == [
        ("Premier", "Superbe"), ("Second", "")
    ]  # fmt: skip
    selection_entry_remove(entry=entry, actor=actor, now=NOW)
    assert list(SelectionEntry.objects.values_list("record__title", flat=True)) == ["Premier"]
    assert AuditEvent.objects.filter(action=AuditAction.SELECTION_UPDATE).count() == 3


def test_selection_scope_and_drafts(relire, people):
    """A librarian cannot add to another library's selection; a draft is not shown."""
    other = selection_save(
        selection=None, fields={"title": "Harnes", "library": relire["harnes"],
                                "status": PublicationStatus.DRAFT},
        actor=people["admin"], now=NOW,
    )  # fmt: skip
    selection_entry_add(selection=other, record=make_record(), comment="", actor=people["admin"],
                        now=NOW)  # fmt: skip
    assert selectors.visible_selections(now=NOW) == []
    with pytest.raises(OutOfScope):
        selection_entry_add(selection=other, record=make_record(), comment="",
                            actor=people["lens"], now=NOW)  # fmt: skip
    with pytest.raises(OutOfScope):
        selection_delete(selection=other, actor=people["lens"], now=NOW)
    assert Selection.objects.filter(pk=other.pk).exists()
    assert other.entries.count() == 1


def test_legal_pages_are_the_network_administrators(relire, people):
    """Only network administrators write legal pages; the accessibility statement needs its
    compliance status, which the footer then shows."""
    with pytest.raises(OutOfScope):
        legal_page_save(key=LegalPageKey.LEGAL_NOTICE, body="x", actor=people["lens"], now=NOW)
    with pytest.raises(ContentInvalid) as missing:
        legal_page_save(key=LegalPageKey.ACCESSIBILITY, body="x", compliance="",
                        actor=people["admin"], now=NOW)  # fmt: skip
    assert missing.value.code == "compliance_missing"
    assert not LegalPage.objects.exists()
    assert selectors.accessibility_compliance() is None
    legal_page_save(key=LegalPageKey.ACCESSIBILITY, body="## Résultats", compliance="partial",
                    actor=people["admin"], now=NOW)  # fmt: skip
    page = LegalPage.objects.get()
    assert page.body_html == "<h2>Résultats</h2>\n"
    assert selectors.accessibility_compliance() == AccessibilityCompliance.PARTIAL
    assert AuditEvent.objects.filter(action=AuditAction.LEGAL_PAGE_UPDATE).count() == 1


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 200)).save(out, "PNG")
    return out.getvalue()


def test_an_image_is_reencoded_and_needs_its_text_alternative(relire, people, media):
    """A PNG is decoded and stored anew under a random name; without a text alternative,
    or when it is not an image (SVG), nothing is saved."""
    upload = SimpleUploadedFile("../../affiche.png", _png(), content_type="image/png")
    with pytest.raises(ContentInvalid) as no_alt:
        _news(relire["lens"], people["lens"], image=upload)
    assert no_alt.value.code == "event_image_alt_missing"
    svg = SimpleUploadedFile("a.png", b'<svg xmlns="http://www.w3.org/2000/svg"/>')
    with pytest.raises(ContentInvalid) as refused:
        _news(relire["lens"], people["lens"], image=svg, image_alt="Affiche")
    assert refused.value.code == "image_refused"
    assert not Article.objects.exists()
    upload.seek(0)
    article = _news(relire["lens"], people["lens"], image=upload, image_alt="L'affiche")
    assert article.image.name.startswith("articles/") and article.image.name.endswith(".png")
    assert "affiche" not in article.image.name
    with Image.open(media / article.image.name) as stored:
        assert stored.format == "PNG" and stored.size == (40, 30)
