"""Vendor titles are found by the catalogue search, under an 'En ligne' facet."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from navette.digital.models import VendorTitle

from . import factories as f


@pytest.mark.django_db
def test_imported_titles_are_searchable_with_online_facet(settings, tmp_path):
    settings.NAVETTE_SEARCH_INDEX_DIR = tmp_path / "index"
    settings.NAVETTE_SEARCH_BUILD_THREADS = 1
    from navette.search.engine import SearchParams, search
    from navette.search.index import forget_index, rebuild_index

    f.vod()
    path = tmp_path / "films.csv"
    path.write_text("ref,title,year,people\nF1,Les Oiseaux migrateurs,2001,Jacques Perrin\n")
    call_command("import_titles", str(path), resource="cinema", stdout=io.StringIO())
    rebuild_index()
    try:
        result = search(SearchParams(q="oiseaux migrateurs"))
        assert result.record_ids == [VendorTitle.objects.get().record_id]
        assert ("online", 1) in result.facets["doc_type"]
        online = search(SearchParams(filters={"doc_type": ["online"]}))
        assert online.total == 1
    finally:
        forget_index()


@pytest.mark.django_db
def test_record_page_of_online_title_offers_watch_instead_of_copies(client):
    from django.urls import reverse

    title = f.film(f.vod(), "Les Oiseaux migrateurs", 2001)
    body = client.get(reverse("portal:record", args=[title.record_id])).content.decode()
    assert f'href="/mediatheque-en-ligne/titre/{title.pk}/"' in body
    assert "Regarder" in body and "Disponible en ligne sur Cinéma en ligne" in body
    assert "Exemplaires" not in body
