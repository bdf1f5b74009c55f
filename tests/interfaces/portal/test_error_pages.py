"""Error pages: in the portal's layout and the visitor's language, with a way back."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", unescape(response.content.decode()))


def test_a_missing_page_is_french_in_the_portal_layout_with_a_way_back(client, relire):
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    page = text(response)
    assert '<html lang="fr">' in page and 'class="skip-link"' in page
    assert "<h1>Page introuvable</h1>" in page
    assert 'href="/"' in page and "Revenir à l'accueil" in page
    assert 'action="/recherche/"' in page  # a search box to find what was meant


def test_a_missing_page_is_english_for_an_english_visitor(client, relire):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = text(client.get("/notice/999999/"))
    assert '<html lang="en">' in page and "<h1>Page not found</h1>" in page
    assert "Back to the home page" in page


def test_a_refused_staff_page_explains_and_leads_back_to_the_staff_home(client, relire):
    get_user_model().objects.create_user("stat", password="x", role="statistician")
    client.login(username="stat", password="x")
    response = client.get("/personnel/circulation/retour/")
    assert response.status_code == 403
    page = text(response)
    assert "<h1>Accès refusé</h1>" in page and 'class="skip-link"' in page
    assert 'href="/personnel/"' in page and "Revenir à l'espace professionnel" in page
