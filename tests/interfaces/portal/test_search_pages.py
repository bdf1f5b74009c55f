"""Portal search pages and API: results, facets, record page with copies, JSON-LD, autocomplete."""

from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape

import pytest
from django.core.cache import cache

from navette.catalogue.models import ItemStatus
from navette.search.index import rebuild_index

pytestmark = pytest.mark.django_db


@pytest.fixture
def indexed(catalogue):
    rebuild_index()
    return catalogue


def text(response) -> str:
    return re.sub(r"\s+", " ", unescape(response.content.decode()))


def test_results_page_shows_count_type_authors_year_and_availability(client, indexed):
    """A search lists type, title, authors, year and where a copy is on the shelf; the count is a live region."""
    response = client.get("/recherche/", {"q": "seigneur anneaux"})
    assert response.status_code == 200
    page = text(response)
    assert 'role="status"' in page and "1 résultat" in page
    assert "DVD ou Blu-ray · 2001" in page
    assert "Le Seigneur des anneaux" in page and "Peter Jackson" in page
    assert "Disponible à Harnes et dans 1 autre bibliothèque" in page


def test_availability_summary_prefers_the_chosen_library(client, indexed):
    """With 'available at Lens' chosen, the summary names Lens first."""
    page = text(client.get("/recherche/", {"q": "seigneur", "dispo": "1", "dispo_bib": "lens"}))
    assert "Disponible à Lens et dans 1 autre bibliothèque" in page


def test_facets_are_checkboxes_with_counts_and_filters_combine(client, indexed):
    """Facets are labelled checkboxes with counts; two checked facets narrow the results."""
    page = text(client.get("/recherche/", {"q": "guerre"}))
    assert re.search(r'<input type="checkbox" id="f-bib-\d+" name="bib" value="lens"', page)
    assert 'années 1860 <span class="facet-count">(1)</span>' in page
    narrowed = text(client.get("/recherche/", {"q": "guerre", "bib": "lens", "decennie": "2000"}))
    assert "1 résultat" in narrowed and "Les journaux de guerre" in narrowed


def test_sort_and_pagination_links_keep_the_filters(client, indexed):
    """The next-page link keeps the query, filters and sort."""
    page = text(client.get("/recherche/", {"type": "book", "tri": "title"}))
    assert "page 1 sur" not in page  # fewer than 20 books: one page
    response = client.get("/recherche/", {"q": "", "tri": "newest", "page": "1"})
    assert response.status_code == 200


def test_record_page_lists_copies_by_library_with_status_and_due_date(client, indexed):
    """Copies are grouped by library with call number and status; a loan shows its due date; holds are counted."""
    from navette.circulation.models import Hold, Loan

    record = indexed["etoile"]
    item = record.items.get(status=ItemStatus.ON_LOAN)
    now = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    Loan.objects.create(item=item, library=item.owning_library, doc_type="comic", loaned_at=now,
                        due_on=dt.date(2026, 12, 12))  # fmt: skip
    Hold.objects.create(record=record, pickup_library=item.owning_library, placed_at=now)
    page = text(client.get(f"/notice/{record.pk}/"))
    lens = page.index("Lens — Médiathèque Robert Cousin")
    harnes = page.index("Harnes — Médiathèque La Source")
    assert lens < harnes  # libraries with a copy on the shelf first
    assert "BD HER" in page
    assert "Disponible" in page[lens:harnes]
    assert "En prêt jusqu'au 12/12/2026" in page[harnes:]
    assert "1 réservation en cours" in page
    assert f'<link rel="canonical" href="http://testserver/notice/{record.pk}/">' in page
    assert f'href="/compte/reserver/{record.pk}/"' in page  # the reserve button


def test_record_page_shows_transit_and_hold_shelf_statuses(client, indexed):
    """'En transit' and 'Réservé' are shown for copies in those states; lost copies are not listed."""
    assert "En transit" in text(client.get(f"/notice/{indexed['journaux'].pk}/"))
    assert "Réservé" in text(client.get(f"/notice/{indexed['paix_guerre'].pk}/"))
    film = text(client.get(f"/notice/{indexed['film'].pk}/"))
    assert "Vimy" not in film.split("Exemplaires", 1)[1]


def test_record_page_json_ld(client, indexed):
    """The record page embeds schema.org JSON-LD of the right type (Book, Movie, MusicAlbum, VideoGame)."""
    for key, kind in [
        ("etoile", "Book"),
        ("film", "Movie"),
        ("music", "MusicAlbum"),
        ("game", "VideoGame"),
    ]:
        html = client.get(f"/notice/{indexed[key].pk}/").content.decode()
        data = json.loads(
            re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
        )
        assert data["@type"] == kind
        assert data["name"] == indexed[key].title
    etoile = json.loads(
        re.search(
            r'ld\+json">(.*?)</script>',
            client.get(f"/notice/{indexed['etoile'].pk}/").content.decode(),
            re.S,
        ).group(1)
    )
    assert etoile["author"] == [{"@type": "Person", "name": "Hergé"}]
    assert etoile["datePublished"] == "1942"


def test_record_page_404(client, indexed):
    assert client.get("/notice/999999/").status_code == 404


def test_autocomplete_json(client, indexed):
    """Three letters give suggestions as JSON: a title with its record page, an author and a
    subject with the query that searches them; two letters give none."""
    cache.clear()
    data = client.get("/recherche/suggestions/", {"q": "mys"}).json()
    first = data["suggestions"][0]
    assert first["label"] == "L'Étoile mystérieuse" and first["kind_label"] == "Titre"
    assert first["url"] == f"/notice/{indexed['etoile'].pk}/"
    found = client.get("/recherche/suggestions/", {"q": "tolst"}).json()["suggestions"]
    author = next(s for s in found if s["kind"] == "author")
    assert author["label"] == "Léon Tolstoï" and author["query"] == 'auteur:"Léon Tolstoï"'
    assert client.get("/recherche/suggestions/", {"q": "my"}).json() == {"suggestions": []}


def test_autocomplete_is_throttled_per_client(client, indexed):
    """Beyond 40 requests in 10 seconds a client gets 429 with Retry-After; another address
    is still served."""
    cache.clear()
    for _ in range(40):
        assert client.get("/recherche/suggestions/", {"q": "mys"}).status_code == 200
    refused = client.get("/recherche/suggestions/", {"q": "mys"})
    assert refused.status_code == 429 and refused["Retry-After"] == "10"
    other = client.get("/recherche/suggestions/", {"q": "mys"}, REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 200


def test_typo_page_offers_a_correction_that_finds_the_record(client, indexed):
    """'miserabels' finds nothing and offers 'miserables' as a link keeping the filters; the
    link finds Les Misérables."""
    page = text(client.get("/recherche/", {"q": "miserabels", "bib": "lens"}))
    assert "0 résultat" in page
    match = re.search(
        r'Vouliez-vous dire : <a href="([^"]+)">miserables</a> <span[^>]*>\(1 résultat\)', page
    )
    assert match, page[page.find("<main") :][:2000]
    followed = text(client.get(match.group(1)))
    assert "1 résultat" in followed and "Les Misérables" in followed
    assert 'name="bib" value="lens" checked' in followed
    assert "Vouliez-vous dire" not in text(client.get("/recherche/", {"q": "guerre"}))


def test_result_lines_honour_the_library_filter(client, indexed):
    """With the Lens filter on, the film on the shelf at Lens and Harnes says Lens only, and
    a book on loan at Lens says so of Lens."""
    page = text(client.get("/recherche/", {"q": "seigneur", "bib": "lens"}))
    results = page.split('class="results"')[1].split("</ol>")[0]
    assert "Disponible à Lens<" in results and "Harnes" not in results
    page = text(client.get("/recherche/", {"q": "decaux", "bib": "lens"}))
    assert "Aucun exemplaire disponible à Lens pour le moment (1 exemplaire)" in page


def test_api_search(client, indexed):
    """GET /api/catalogue/search returns results with availability and facets."""
    data = client.get("/api/catalogue/search", {"q": "etoile", "library": "lens"}).json()
    assert data["total"] == 1
    assert data["results"][0]["title"] == "L'Étoile mystérieuse"
    assert data["results"][0]["available_at"] == ["lens"]
    assert {"value": "comic", "count": 1} in data["facets"]["doc_type"]


def test_search_page_query_count_is_constant(client, indexed, django_assert_max_num_queries):
    """The results page runs a fixed small number of queries, whatever the number of results."""
    with django_assert_max_num_queries(8):
        client.get("/recherche/", {"q": ""})


def test_missing_index_is_rebuilt_by_the_page(client, catalogue):
    """Without an index, the results page rebuilds it (inline in tests) and answers."""
    page = text(client.get("/recherche/", {"q": "etoile"}))
    assert "2 résultats" in page


def test_titles_and_facet_values_are_escaped(client, indexed):
    """Markup in a title, an author or a subject is shown as text, in results and facets."""
    from tests.catalogue.factories import make_item, make_record

    record = make_record(
        title='Balises <b>"grasses"</b>', authors=["<i>Ana</i> & Bo"], subjects=['<x> "y"']
    )
    make_item(record=record, library=indexed["etoile"].items.first().owning_library)
    rebuild_index()
    html = client.get("/recherche/", {"q": "balises"}).content.decode()
    assert "<b>" not in html and "<i>" not in html and "<x>" not in html
    assert "Balises &lt;b&gt;&quot;grasses&quot;&lt;/b&gt;" in html
    assert "&lt;i&gt;Ana&lt;/i&gt; &amp; Bo" in html
    assert 'value="&lt;x&gt; &quot;y&quot;"' in html
    assert "&lt;x&gt; &quot;y&quot; <span" in html


def test_a_page_past_the_end_goes_to_the_last_page(client, indexed):
    """Page 9999 of a one-page search is the last page under its own address, filters kept."""
    response = client.get("/recherche/", {"q": "guerre", "bib": "lens", "page": "9999"})
    assert response.status_code == 302
    assert response["Location"] == "/recherche/?q=guerre&bib=lens&page=1"
    assert client.get(response["Location"]).status_code == 200


def test_a_query_of_punctuation_alone_is_an_empty_query(client, indexed):
    """'?!…' searches nothing in particular: the page is the catalogue's, not a search for it."""
    page = text(client.get("/recherche/", {"q": "?! … --"}))
    empty = text(client.get("/recherche/", {"q": ""}))
    assert "pour «" not in page and "Recherche :" not in page
    total = re.search(r"(\d+) résultats", empty)
    assert total and f"{total.group(1)} résultats" in page
