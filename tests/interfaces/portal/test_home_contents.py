"""The portal's living home page and the pages staff publish: news (drafts and scheduled
items hidden), new arrivals with their search, selections as carousels, events of the
coming days, the libraries open now and the next openings; legal pages and the footer's
accessibility status."""

from __future__ import annotations

from html import unescape

import pytest

from navette.core.actors import Actor
from navette.editorial.models import LegalPageKey
from navette.editorial.services import (
    legal_page_save,
)
from tests.editorial.factories import NOW, make_home_contents

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("tests")


@pytest.fixture
def portal(relire, clock_at):
    clock_at(NOW)
    return make_home_contents(relire, NOW)


def test_home_shows_news_arrivals_selections_events_and_openings(client, portal):
    """Visible news (not drafts, scheduled or expired ones), the new arrivals and their
    links, the selection with its comment, this week's events, Lens open until 18:00 and
    Harnes opening on Wednesday at 10:00."""
    response = client.get("/")
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert "Nouvelles liseuses" in html and "Dix liseuses à emprunter." in html
    assert "Atelier tablette" in html
    for hidden in ("Brouillon secret", "Pas encore", "Périmée"):
        assert hidden not in html
    assert "Nouveau roman" in html and "Nouveau film" in html and "Vieux livre" not in html
    assert 'href="/nouveautes/?type=video"' in html and "DVD ou Blu-ray</a> (1)" in html
    assert "Coups de cœur" in html and "Bouleversant." in html
    assert 'data-carousel-prev aria-controls="carousel-nouveautes-track"' in html
    assert "Heure du conte" in html and "Club lecture" not in html  # 20 days away
    assert "Médiathèque Robert Cousin" in html.split('id="open-title"')[1]
    openings = html.split('id="next-openings-title"')[1]
    assert "Médiathèque La Source" in openings and "mercredi 9 décembre à 10:00" in openings
    assert "S'inscrire" in html


def test_news_pages_show_only_what_is_published(client, portal):
    """The list and the item pages: a draft or a scheduled item answers 404 until shown."""
    html = unescape(client.get("/actualites/").content.decode())
    assert "Nouvelles liseuses" in html and "Brouillon secret" not in html
    lens = unescape(client.get("/actualites/?bib=lens").content.decode())
    assert "Atelier tablette" in lens and "Nouvelles liseuses" not in lens
    from navette.editorial.models import Article

    draft = Article.objects.get(title="Brouillon secret")
    later = Article.objects.get(title="Pas encore")
    shown = Article.objects.get(title="Nouvelles liseuses")
    assert client.get(f"/actualites/{draft.pk}/").status_code == 404
    assert client.get(f"/actualites/{later.pk}/").status_code == 404
    page = client.get(f"/actualites/{shown.pk}/")
    assert page.status_code == 200
    assert "<p>Texte de « Nouvelles liseuses »</p>" in unescape(page.content.decode())
    # a page is not a news item, and the other way round
    info = Article.objects.get(title="S'inscrire")
    assert client.get(f"/actualites/{info.pk}/").status_code == 404
    assert client.get(f"/pages/{info.pk}/").status_code == 200
    assert client.get(f"/pages/{shown.pk}/").status_code == 404


def test_library_page_shows_its_news_and_links_to_its_new_arrivals(client, portal):
    html = unescape(client.get("/bibliotheques/lens/").content.decode())
    assert "Atelier tablette" in html and "Nouvelles liseuses" not in html
    assert 'href="/nouveautes/?bib=lens"' in html
    assert "Coups de cœur" in html  # the network's selection shows in every library


def test_new_arrivals_page_by_library_and_media(client, portal):
    html = unescape(client.get("/nouveautes/").content.decode())
    assert "Nouveau roman" in html and "Nouveau film" in html and "Vieux livre" not in html
    harnes = unescape(client.get("/nouveautes/?bib=harnes").content.decode())
    assert "Nouveau film" in harnes and "Nouveau roman" not in harnes
    books = unescape(client.get("/nouveautes/?type=book").content.decode())
    assert "Nouveau roman" in books and "Nouveau film" not in books
    # unknown filters are ignored, not an error
    assert client.get("/nouveautes/?type=<x>&bib=nowhere").status_code == 200


def test_legal_pages_and_the_footer_compliance_status(client, portal):
    """Before any statement the footer says 'non conforme' (the legal default); once the
    network states 'partiellement conforme', every page says so."""
    html = unescape(client.get("/").content.decode())
    assert "Accessibilité : non conforme" in html
    assert 'href="/mentions-legales/"' in html and 'href="/donnees-personnelles/"' in html
    assert client.get("/mentions-legales/").status_code == 200
    legal_page_save(key=LegalPageKey.ACCESSIBILITY, body="Audit **en cours**.",
                    compliance="partial", actor=ACTOR, now=NOW)  # fmt: skip
    page = unescape(client.get("/accessibilite/").content.decode())
    assert "Accessibilité : partiellement conforme" in page
    assert "ce site est partiellement conforme" in page
    assert "<strong>en cours</strong>" in page
    assert "Accessibilité : partiellement conforme" in unescape(
        client.get("/agenda/").content.decode()
    )


def test_home_in_english(client, portal):
    client.cookies["django_language"] = "en"
    html = unescape(client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "News" in html and "New arrivals" in html
    assert "Accessibility: non-compliant" in html
