"""Public agenda pages: filters, event page with JSON-LD, registration and cancellation over HTTP."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from navette.events import services
from navette.events.models import Programme, Registration, Theme
from navette.patrons.session import SESSION_KEY
from tests.events import factories as f
from tests.events.factories import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def agenda(clock_at):
    clock_at(NOW)
    lens = f.library(code="lens", commune="Lens", name="Médiathèque Robert Cousin")
    avion = f.library(code="avion", commune="Avion", name="Médiathèque Émile Zola")
    conte = Theme.objects.create(code="conte", label="Conte")
    jeux = Theme.objects.create(code="jeux", label="Jeux")
    nuits = Programme.objects.create(slug="nuits", title="Nuits des bibliothèques",
                                     starts_on=NOW.date(), ends_on=NOW.date() + dt.timedelta(days=30))  # fmt: skip
    events = {
        "conte": f.event(lens, days=1, title="Heure du conte", audience="enfants", theme=conte),
        "jeux": f.event(
            avion,
            days=3,
            title="Soirée jeux de société",
            audience="famille",
            theme=jeux,
            programme=nuits,
        ),
        "club": f.event(
            avion, days=10, title="Club lecture", audience="adultes", description="Romans policiers"
        ),
        "past": f.event(lens, days=-2, title="Atelier passé"),
    }
    shared = f.event(None, days=5, title="Balade contée", place_name="Parc des Glissoires")
    shared.other_libraries.set([lens])
    events["shared"] = shared
    return events


def _titles(response) -> set[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return {e.title for e in response.context["page"].object_list}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"Heure du conte", "Soirée jeux de société", "Club lecture", "Balade contée"}),
        ({"bibliotheque": "lens"}, {"Heure du conte", "Balade contée"}),
        ({"commune": "Avion"}, {"Soirée jeux de société", "Club lecture"}),
        ({"public": "famille"}, {"Soirée jeux de société"}),
        ({"theme": "conte"}, {"Heure du conte"}),
        ({"programme": "nuits"}, {"Soirée jeux de société"}),
        ({"q": "policiers"}, {"Club lecture"}),
        ({"q": "zola jeux"}, {"Soirée jeux de société"}),
        ({"du": "2027-05-07", "au": "2027-05-09"}, {"Soirée jeux de société", "Balade contée"}),
        ({"du": "pas une date", "public": "adultes"}, {"Club lecture"}),
    ],
)
def test_agenda_filters(client, agenda, params, expected):
    """The agenda lists upcoming events only, filtered by dates, library (main or
    shared), commune, audience, theme, programme and words; a bad date is ignored."""
    assert _titles(client.get(reverse("portal:agenda"), params)) == expected


def test_agenda_page_links_a_feed_of_the_same_selection(client, agenda):
    """The page offers an iCalendar feed with the same filters."""
    response = client.get(reverse("portal:agenda"), {"public": "enfants"})
    assert response.context["feed_url"] == reverse("portal:agenda_ics") + "?public=enfants"
    html = response.content.decode()
    assert "1 événement à venir" in html
    assert '<option value="enfants" selected>' in html and '<option value="ados">' in html


def test_agenda_page_query_count_is_bounded(client, agenda, django_assert_max_num_queries):
    """The agenda page costs a fixed number of queries whatever the number of events."""
    for i in range(30):
        f.event(agenda["conte"].library, days=2 + i % 20, title=f"Atelier {i}")
    with django_assert_max_num_queries(8):
        client.get(reverse("portal:agenda"))


def test_event_page_has_schema_org_json_ld(client, agenda):
    """The event page carries a schema.org Event in JSON-LD with Paris times and place."""
    event = agenda["jeux"]
    html = client.get(reverse("portal:event", args=[event.pk])).content.decode()
    (raw,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(raw)
    assert data["@type"] == "Event" and data["name"] == "Soirée jeux de société"
    assert data["startDate"] == "2027-05-07T10:00:00+02:00"
    assert data["location"]["address"]["addressLocality"] == "Avion"
    assert data["eventStatus"] == "https://schema.org/EventScheduled"


def test_json_ld_cannot_break_out_of_its_script(client, agenda):
    """A title with </script> stays inside the JSON-LD block."""
    event = f.event(agenda["conte"].library, title="</script><script>alert(1)</script>")
    html = client.get(reverse("portal:event", args=[event.pk])).content.decode()
    assert "<script>alert(1)" not in html


def test_library_page_shows_its_next_events(client, agenda):
    """A library's page lists its next events, including shared ones, not past ones."""
    html = client.get(reverse("portal:library", args=["lens"])).content.decode()
    assert "Prochains événements" in html
    assert "Heure du conte" in html and "Balade contée" in html
    assert "Atelier passé" not in html and "Club lecture" not in html
    assert reverse("portal:library_ics", args=["lens"]) in html
    # Each card shows when the event takes place, in French, Paris time.
    times = re.findall(r'<time datetime="[^"]+">([^<]*)</time>', html)
    assert times and all(t.strip() for t in times)
    start = timezone.localtime(agenda["conte"].starts_at)
    assert start == dt.datetime(2027, 5, 5, 10, 0, tzinfo=start.tzinfo)
    assert "5 mai 2027 à 10:00" in html


def test_programme_page_lists_its_events(client, agenda):
    response = client.get(reverse("portal:programme", args=["nuits"]))
    assert response.status_code == 200
    assert [e.title for e in response.context["events"]] == ["Soirée jeux de société"]


def _confirm_guest(client, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    """Open the confirmation link of the last mail and confirm (as the guest would)."""
    link = re.search(r"http://testserver(/agenda/confirmation/\S+/)", mail.outbox[-1].body)
    assert link is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(link.group(1)).status_code == 302


def test_guest_registers_then_cancels_through_the_mailed_link(
    client, agenda, django_capture_on_commit_callbacks
):
    """A guest registers with name and e-mail, confirms through the mailed link, receives a
    cancellation link, and the link (GET shows, POST cancels) frees the seat for the person
    waiting."""
    event = f.bookable(agenda["conte"].library, capacity=1, title="Atelier origami")
    url = reverse("portal:event_register", args=[event.pk])
    with django_capture_on_commit_callbacks(execute=True):
        r1 = client.post(url, {"name": "Léa Martin", "email": "lea@example.org", "seats": "1"})
    _confirm_guest(client, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        r2 = client.post(url, {"name": "Hugo Petit", "email": "hugo@example.org", "seats": "1"})
    _confirm_guest(client, django_capture_on_commit_callbacks)
    assert r1.status_code == r2.status_code == 302
    assert list(Registration.objects.order_by("pk").values_list("status", flat=True)) == [
        "confirmed",
        "waiting",
    ]
    lea_mails = [m for m in mail.outbox if m.to == ["lea@example.org"]]
    link = re.search(r"http://\S+/agenda/annulation/(\S+)/", lea_mails[-1].body)
    assert link is not None
    cancel_url = reverse("portal:registration_cancel", args=[link.group(1)])
    assert "Confirmer l'annulation" in client.get(cancel_url).content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(cancel_url).status_code == 302
    assert list(Registration.objects.order_by("pk").values_list("status", flat=True)) == [
        "cancelled",
        "confirmed",
    ]
    assert {m.to[0] for m in mail.outbox} == {"lea@example.org", "hugo@example.org"}
    assert client.post(cancel_url).status_code == 409


def test_guest_form_errors_and_refusals_are_shown(client, agenda):
    """Missing fields give a 400 with field errors; a closed registration a 409 with the reason."""
    event = f.bookable(agenda["conte"].library, capacity=5)
    r = client.post(reverse("portal:event_register", args=[event.pk]), {"seats": "1"})
    assert r.status_code == 400 and "obligatoire" in r.content.decode()
    services.event_cancel(event=event, actor=f.STAFF, now=NOW)
    r = client.post(reverse("portal:event_register", args=[event.pk]),
                    {"name": "A", "email": "a@example.org", "seats": "1"})  # fmt: skip
    assert r.status_code == 409 and "annulé" in r.content.decode()
    assert client.get(reverse("portal:registration_cancel", args=["faux"])).status_code == 404


def test_logged_in_patron_registers_without_typing_their_name(client, agenda):
    """A logged-in patron registers with one click; the page then offers to cancel."""
    event = f.bookable(agenda["conte"].library, capacity=5)
    patron = f.patron(agenda["conte"].library)
    session = client.session
    session[SESSION_KEY] = patron.pk
    session.save()
    page = client.get(reverse("portal:event", args=[event.pk])).content.decode()
    assert 'name="email"' not in page and patron.full_name in page
    assert (
        client.post(reverse("portal:event_register", args=[event.pk]), {"seats": "2"}).status_code
        == 302
    )
    reg = Registration.objects.get()
    assert reg.patron_id == patron.pk and reg.seats == 2 and reg.status == "confirmed"
    assert (
        "Annuler mon inscription"
        in client.get(reverse("portal:event", args=[event.pk])).content.decode()
    )


def test_past_and_draft_events(client, agenda):
    """Draft events are not public; past events keep their page but take no registration."""
    draft = f.event(agenda["conte"].library, title="Brouillon", status="draft")
    assert client.get(reverse("portal:event", args=[draft.pk])).status_code == 404
    page = client.get(reverse("portal:event", args=[agenda["past"].pk]))
    assert page.status_code == 200 and "S'inscrire" not in page.content.decode()
