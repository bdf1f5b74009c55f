"""Staff pages: librarians manage their library's events, admins manage programmes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from navette.core.models import Role, User
from navette.events import services
from navette.events.models import Event, Programme, Registration
from tests.events import factories as f
from tests.events.factories import NOW, STAFF

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(clock_at):
    clock_at(NOW)
    mine, other = f.library(code="lens", commune="Lens"), f.library(code="avion", commune="Avion")
    librarian = User.objects.create_user("biblio", password="x", role=Role.LIBRARIAN)
    librarian.libraries.add(mine)
    admin = User.objects.create_user("admin", password="x", role=Role.NETWORK_ADMIN)
    return {"mine": mine, "other": other, "librarian": librarian, "admin": admin}


def _form(lib, **extra):  # type: ignore[no-untyped-def]
    data = {
        "title": "Atelier numérique", "description": "", "library": str(lib.pk),
        "place_name": "", "place_address": "", "starts_at": "2027-05-20T14:00",
        "ends_at": "2027-05-20T16:00", "audience": "adultes", "theme": "", "programme": "",
        "is_free": "on", "price": "", "accessibility": "", "capacity": "", "image_alt": "",
        "registration_opens_at": "", "registration_closes_at": "", "repeat_until": "",
    }  # fmt: skip
    data.update(extra)
    return data


def test_librarian_creates_an_event_at_their_library_only(client, setting):
    """A librarian creates an event at their library; another library is refused and
    nothing is created."""
    client.force_login(setting["librarian"])
    r = client.post(
        reverse("staff:event_create"),
        _form(setting["mine"], registration_required="on", capacity="12"),
    )
    assert r.status_code == 302
    event = Event.objects.get()
    assert event.library == setting["mine"] and event.capacity == 12
    assert event.starts_at.isoformat() == "2027-05-20T12:00:00+00:00"
    r = client.post(reverse("staff:event_create"), _form(setting["other"]))
    assert r.status_code == 200 and Event.objects.count() == 1  # library not among the choices


def test_weekly_series_from_the_form(client, setting):
    """'Repeat every week until' creates one event per week."""
    client.force_login(setting["librarian"])
    r = client.post(
        reverse("staff:event_create"), _form(setting["mine"], repeat_until="2027-06-10")
    )
    assert r.status_code == 302
    assert Event.objects.count() == 4


def test_service_refusal_shows_on_the_form(client, setting):
    """A rule broken (registration without seats) shows the service's message."""
    client.force_login(setting["librarian"])
    r = client.post(
        reverse("staff:event_create"), _form(setting["mine"], registration_required="on")
    )
    assert r.status_code == 200 and "nombre de places" in r.content.decode()
    assert Event.objects.count() == 0


def test_librarian_cannot_touch_other_libraries_events(client, setting):
    """Editing, copying or listing attendees of another library's event is forbidden."""
    event = f.event(setting["other"])
    client.force_login(setting["librarian"])
    for name in ("staff:event_edit", "staff:event_copy", "staff:event_attendees"):
        assert client.get(reverse(name, args=[event.pk])).status_code == 403
    assert client.post(reverse("staff:event_cancel", args=[event.pk])).status_code == 403


def test_edit_and_copy(client, setting):
    """A librarian edits their event and copies it to another date."""
    event = f.event(setting["mine"], title="Contes")
    client.force_login(setting["librarian"])
    r = client.post(
        reverse("staff:event_edit", args=[event.pk]), _form(setting["mine"], title="Contes d'été")
    )
    assert r.status_code == 302
    assert Event.objects.get(pk=event.pk).title == "Contes d'été"
    r = client.post(reverse("staff:event_copy", args=[event.pk]), {"starts_at": "2027-06-03T10:00"})
    assert r.status_code == 302
    assert Event.objects.filter(title="Contes d'été").count() == 2


def test_attendee_list_and_attendance(client, setting):
    """The attendee list shows confirmed people then the waiting list; staff tick
    who came."""
    event = f.bookable(setting["mine"], capacity=1)
    came = services.registration_create(
        event=event, guest_name="Léa Martin", guest_email="lea@example.org", actor=STAFF, now=NOW
    )
    services.registration_create(
        event=event, guest_name="Hugo Petit", guest_email="hugo@example.org", actor=STAFF, now=NOW
    )
    client.force_login(setting["librarian"])
    page = client.get(reverse("staff:event_attendees", args=[event.pk]))
    html = page.content.decode()
    assert "Léa Martin" in html and "Liste d'attente" in html and "Hugo Petit" in html
    assert "Imprimer la liste" in html
    client.post(reverse("staff:event_attendees", args=[event.pk]), {"present": [str(came.pk)]})
    assert Registration.objects.get(pk=came.pk).attended is True


def test_programmes_are_for_network_admins(client, setting):
    """Network admins create programmes; librarians are refused."""
    client.force_login(setting["librarian"])
    assert client.get(reverse("staff:programmes")).status_code == 403
    client.force_login(setting["admin"])
    data = {"title": "Nuits des bibliothèques", "slug": "nuits-2027", "description": "",
            "starts_on": "2027-10-08", "ends_on": "2027-10-10", "is_published": "on"}  # fmt: skip
    assert client.post(reverse("staff:programme_create"), data).status_code == 302
    assert Programme.objects.get().slug == "nuits-2027"
    bad = dict(data, slug="autre", ends_on="2027-10-01")
    r = client.post(reverse("staff:programme_create"), bad)
    assert r.status_code == 200 and "précède" in r.content.decode()
