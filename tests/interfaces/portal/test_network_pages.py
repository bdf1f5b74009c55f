"""Portal pages of the network: home, directory, library page, language switch."""

import csv
import datetime as dt
from html import unescape

import pytest
from django.urls import reverse

from navette.core.clock import PARIS
from navette.network.demo import DATA, example_week
from navette.network.models import Closure
from navette.network.services import library_set_week

pytestmark = pytest.mark.django_db

TUESDAY = dt.date(2026, 11, 24)


@pytest.fixture
def hours(relire):
    """Lens open Tuesday 14:00-18:00 only; every other library with example hours."""
    for lib in relire.values():
        library_set_week(lib, example_week(lib.commune), examples=True)
    library_set_week(relire["lens"], {1: [(dt.time(14), dt.time(18))]}, examples=False)
    return relire


def lens_card(html: str) -> str:
    start = html.index('id="bib-lens"')
    return html[start : html.index("</li>", start)]


def test_directory_lists_the_27_libraries_with_addresses_and_phones(client, hours):
    response = client.get("/bibliotheques/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="card library-card"') == 27
    for row in csv.DictReader(DATA.read_text(encoding="utf-8").splitlines()):
        assert row["phone"] in html
        assert row["street"].replace("'", "&#x27;") in html


def test_directory_is_in_french_by_default(client, hours):
    html = client.get("/bibliotheques/").content.decode()
    assert '<html lang="fr">' in html
    assert "Les bibliothèques du réseau" in html


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (dt.datetime(2026, 11, 24, 15, 0, tzinfo=PARIS), "Ouvert"),
        (dt.datetime(2026, 11, 24, 19, 0, tzinfo=PARIS), "Fermé"),
        (dt.datetime(2026, 10, 20, 15, 0, tzinfo=PARIS), "Ouvert"),  # summer time
        (dt.datetime(2026, 10, 20, 19, 0, tzinfo=PARIS), "Fermé"),
        (dt.datetime(2026, 3, 31, 15, 0, tzinfo=PARIS), "Ouvert"),  # after the spring change
    ],
)
def test_open_or_closed_now_in_paris_time(client, hours, clock_at, instant, expected):
    """'Ouvert' on a Tuesday at 15:00 Paris time, 'Fermé' at 19:00, on both sides of DST."""
    clock_at(instant.astimezone(dt.UTC))
    card = lens_card(client.get("/bibliotheques/").content.decode())
    assert f'class="badge {"open" if expected == "Ouvert" else "closed"}">{expected}<' in card
    detail = client.get(reverse("portal:library", args=["lens"])).content.decode()
    assert f">{expected}</span>" in detail


def test_declared_closed_day_shows_closed_with_reason(client, hours, clock_at):
    Closure.objects.create(
        library=hours["lens"], start_date=TUESDAY, end_date=TUESDAY, reason="Inventaire annuel"
    )
    clock_at(dt.datetime(2026, 11, 24, 15, 0, tzinfo=PARIS))
    card = lens_card(client.get("/bibliotheques/").content.decode())
    assert ">Fermé<" in card and "Inventaire annuel" in card
    detail = client.get("/bibliotheques/lens/").content.decode()
    assert "Inventaire annuel" in detail


def test_network_wide_closure_applies_to_every_library(client, hours, clock_at):
    Closure.objects.create(library=None, start_date=TUESDAY, end_date=TUESDAY, reason="Jour férié")
    clock_at(dt.datetime(2026, 11, 24, 15, 0, tzinfo=PARIS))
    html = client.get("/bibliotheques/").content.decode()
    assert 'class="badge open"' not in html
    cards = html.split('class="card library-card"')[1:]
    assert len(cards) == 27
    assert all("Jour férié" in card for card in cards)


def test_library_page_shows_the_week_and_example_hours_notice(client, hours, clock_at):
    clock_at(dt.datetime(2026, 11, 24, 10, 0, tzinfo=PARIS))
    html = unescape(client.get("/bibliotheques/harnes/").content.decode())
    assert "Médiathèque La Source" in html
    assert "03 21 49 24 14" in html
    assert "Horaires d'exemple" in html
    assert html.count("<tr") == 8  # header + 7 days
    assert "Mardi 24 novembre (aujourd'hui)" in html
    lens = unescape(client.get("/bibliotheques/lens/").content.decode())
    assert "Horaires d'exemple" not in lens


def test_unknown_library_is_404(client, relire):
    assert client.get("/bibliotheques/atlantis/").status_code == 404


def test_home_lists_libraries_open_now(client, hours, clock_at):
    clock_at(dt.datetime(2026, 11, 24, 15, 0, tzinfo=PARIS))
    html = client.get("/").content.decode()
    assert "Ouvertes maintenant" in html
    assert "Médiathèque Robert Cousin" in html  # Lens, open Tuesday afternoon
    clock_at(dt.datetime(2026, 11, 24, 21, 0, tzinfo=PARIS))
    html = unescape(client.get("/").content.decode())
    assert "Aucune bibliothèque du réseau n'est ouverte" in html


def test_english_is_available(client, hours):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/bibliotheques/"})
    assert response.status_code == 302
    html = unescape(client.get("/bibliotheques/").content.decode())
    assert '<html lang="en">' in html
    assert "The network's libraries" in html
    assert "Open" in html or "Closed" in html


def test_pages_have_skip_link_landmarks_and_labels(client, hours):
    html = client.get("/").content.decode()
    assert 'class="skip-link" href="#contenu"' in html
    assert '<main id="contenu"' in html
    assert 'role="banner"' in html and 'role="contentinfo"' in html
    assert '<nav class="main-nav" aria-label=' in html
    assert '<label for="home-q"' in html and '<label for="lang-select">' in html


def test_library_api_lists_the_libraries(client, hours):
    data = client.get("/api/network/libraries").json()
    assert len(data) == 27
    assert {"code", "name", "phone", "is_open_now"} <= set(data[0])
    assert client.get("/api/openapi.json").status_code == 200


def test_french_by_default_even_for_an_english_browser(client, hours):
    """The browser's Accept-Language does not switch the portal: only the language switch does."""
    html = client.get("/bibliotheques/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert '<html lang="fr">' in html


def test_directory_is_in_french_alphabetical_order(client, hours):
    """Méricourt before Meurchin (a code-point sort puts it after Wingles): accents do not
    count first."""
    html = unescape(client.get("/bibliotheques/").content.decode())
    assert html.index("Mazingarbe") < html.index("Méricourt") < html.index("Meurchin")
