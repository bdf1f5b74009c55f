"""The portal in English: after choosing English, the public pages speak British English."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.contrib.auth.hashers import make_password

from navette.catalogue.models import Item, ItemStatus, Record
from navette.core.actors import Actor
from navette.core.clock import PARIS
from navette.digital.models import Resource, ResourceKind, Vendor
from navette.events.services import event_create
from navette.patrons.models import Patron, PatronCategory

pytestmark = pytest.mark.django_db

#: A Tuesday morning in May, far from any daylight-saving change.
NOW = dt.datetime(2027, 5, 4, 9, 0, tzinfo=PARIS)


def text(response) -> str:
    """The response body with entities decoded and whitespace collapsed."""
    assert response.status_code == 200
    return re.sub(r"\s+", " ", unescape(response.content.decode()))


@pytest.fixture
def english(client, relire, clock_at):
    """A client that chose English through the language switcher, at a fixed instant."""
    clock_at(NOW)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    return client


def test_home_and_library_pages_are_in_english(english, relire):
    """Home, directory and a library page: English chrome, headings and opening-hours wording."""
    home = text(english.get("/"))
    assert '<html lang="en">' in home
    assert "Search the catalogue" in home and "What's on" in home and "My account" in home
    assert "Bienvenue" not in home
    assert "The network's libraries" in text(english.get("/bibliotheques/"))
    lens = text(english.get(f"/bibliotheques/{relire['lens'].code}/"))
    assert "This week's opening hours" in lens and "Upcoming events" in lens


def test_search_results_and_record_page_are_in_english(english, relire, settings, tmp_path):
    """Results count, availability, facets and the record's copies table read in English."""
    settings.NAVETTE_SEARCH_INDEX_DIR = tmp_path / "index"
    settings.NAVETTE_SEARCH_UPDATES = "inline"
    settings.NAVETTE_SEARCH_BUILD_THREADS = 1
    record = Record.objects.create(
        flavour="unimarc", marc={"leader": "", "fields": []}, title="Guerre et paix",
        authors=[{"name": "Léon Tolstoï", "role": "auteur"}], languages=["fre"], doc_type="book",
        year=1869,
    )  # fmt: skip
    for n, (code, status) in enumerate(
        [("lens", ItemStatus.AVAILABLE), ("harnes", ItemStatus.ON_LOAN)]
    ):
        lib = relire[code]
        Item.objects.create(
            record=record, barcode=f"EN{n:06d}", owning_library=lib, current_library=lib,
            status=status, call_number="R TOL",
        )  # fmt: skip
    from navette.search.index import rebuild_index

    rebuild_index()
    results = text(english.get("/recherche/", {"q": "guerre"}))
    assert "1 result" in results and "Available at Lens" in results
    assert "Refine your search" in results and "Document type" in results and "1860s" in results
    page = text(english.get(f"/notice/{record.pk}/"))
    assert "1 copy available out of 2 copies" in page
    assert "Place a hold" in page and "Call number" in page and "On loan" in page
    assert "<dt>Language</dt><dd>French</dd>" in page


def test_login_and_account_pages_are_in_english(english, relire):
    """The login page and a patron's account (loans, holds, token balance) are in English."""
    category = PatronCategory.objects.create(code="adulte", label="Adulte")
    Patron.objects.create(
        card_number="29001234", first_name="Ann", last_name="Smith", category=category,
        home_library=relire["lens"], membership_expires_on=dt.date(2030, 1, 1),
        pin_hash=make_password("482915"),
    )  # fmt: skip
    login = text(english.get("/compte/connexion/"))
    assert "Log in to my account" in login and "Forgotten your PIN?" in login
    assert "PIN or password" in login
    response = english.post("/compte/connexion/", {"card_number": "29001234", "pin": "482915"})
    assert response.status_code == 302
    account = text(english.get("/compte/"))
    assert "My account — Ann Smith" in account
    assert "0 current loans" in account and "No current loans." in account
    assert "No current holds." in account and "Change my PIN" in account


def test_agenda_and_event_pages_are_in_english(english, relire):
    """What's on: filters, counts and the booking form of an event are in English, even
    right after the same page was served (and cached) in French."""
    start = dt.datetime(2027, 5, 11, 10, 0, tzinfo=PARIS)
    event = event_create(
        fields={"title": "Heure du conte", "library": relire["lens"], "starts_at": start,
                "ends_at": start + dt.timedelta(hours=1), "registration_required": True,
                "capacity": 5},
        actor=Actor.system("tests"), now=NOW,
    )  # fmt: skip
    english.post("/i18n/setlang/", {"language": "fr", "next": "/agenda/"})
    assert "Agenda des bibliothèques" in text(english.get("/agenda/"))  # now cached in French
    english.post("/i18n/setlang/", {"language": "en", "next": "/agenda/"})
    agenda = text(english.get("/agenda/"))
    assert "What's on in the libraries" in agenda and "1 upcoming event" in agenda
    assert "Booking required: 5 places left" in agenda and "Clear filters" in agenda
    page = text(english.get(f"/agenda/evenement/{event.pk}/"))
    assert "Tuesday, May 11, 2027 at 10 a.m." in page
    assert "5 places left out of 5." in page and "Add to my calendar (iCalendar)" in page


def test_online_library_is_in_english(english):
    """The online library lists a resource with its kind and token wording in English."""
    vendor = Vendor.objects.create(code="cinema", name="Cinéma en ligne")
    Resource.objects.create(
        vendor=vendor, code="cinema", name="Cinéma en ligne", kind=ResourceKind.VOD,
        access_url="http://vod.example.test/?film={ref}", uses_tokens=True,
    )  # fmt: skip
    page = text(english.get("/mediatheque-en-ligne/"))
    assert "Video on demand" in page and "paid for in tokens" in page
    assert "Log in to use the resources" in page and "Online library" in page


def test_carte_as_document_type_and_as_card_translate_apart():
    """'Carte' is a map among document types and a library card elsewhere."""
    from django.utils import translation

    from navette.catalogue.models import DocType

    with translation.override("en"):
        assert str(DocType.MAP.label) == "Map"
        assert translation.gettext("Carte") == "Card"
    with translation.override("fr"):
        assert str(DocType.MAP.label) == "Carte"
