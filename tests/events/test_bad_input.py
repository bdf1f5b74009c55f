"""Absurd numbers on the staff event pages: a form error or a clear 400, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from navette.core.models import Role, User
from navette.events import services
from navette.events.errors import EventInvalid
from navette.events.models import Event, Registration
from tests.events import factories as f
from tests.events.factories import NOW, STAFF

pytestmark = pytest.mark.django_db
HUGE = "9" * 30


@pytest.fixture
def librarian(client, clock_at):
    clock_at(NOW)
    mine = f.library(code="lens", commune="Lens")
    user = User.objects.create_user("biblio", password="x", role=Role.LIBRARIAN)
    user.libraries.add(mine)
    client.force_login(user)
    return mine


def test_a_huge_number_in_the_attendance_list_is_a_clear_400(client, librarian):
    """Ticking "present" with a forged registration number of 30 digits used to overflow the
    database integer (500). Numbers that are not this event's registrations are refused with
    a 400 naming the problem, and nothing is recorded."""
    event = f.bookable(librarian, capacity=5)
    came = services.registration_create(
        event=event, guest_name="Léa Martin", guest_email="lea@example.org", actor=STAFF, now=NOW
    )
    url = reverse("staff:event_attendees", args=[event.pk])
    response = client.post(url, {"present": [str(came.pk), HUGE]})
    assert response.status_code == 400
    assert "inscription inconnue" in response.content.decode().lower()
    assert Registration.objects.get(pk=came.pk).attended is None
    client.post(url, {"present": [str(came.pk)]})
    assert Registration.objects.get(pk=came.pk).attended is True


@pytest.mark.parametrize("field", ["capacity"])
def test_a_huge_number_in_the_event_form_is_a_form_error(client, librarian, field):
    """A capacity of 30 digits is a form error on the field, not a 500."""
    data = {
        "title": "Atelier numérique", "description": "", "library": str(librarian.pk),
        "place_name": "", "place_address": "", "starts_at": "2027-05-20T14:00",
        "ends_at": "2027-05-20T16:00", "audience": "adultes", "theme": "", "programme": "",
        "is_free": "on", "price": "", "accessibility": "", "capacity": "", "image_alt": "",
        "registration_opens_at": "", "registration_closes_at": "", "repeat_until": "",
        "registration_required": "on", field: HUGE,
    }  # fmt: skip
    response = client.post(reverse("staff:event_create"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Event.objects.count() == 0


def test_the_service_refuses_a_capacity_beyond_the_limit(librarian):
    """The rule lives in the domain too (imports, the admin): above MAX_CAPACITY is refused."""
    event = f.bookable(librarian, capacity=5)
    with pytest.raises(EventInvalid, match="trop grand"):
        services.event_update(
            event=event, fields={"capacity": services.MAX_CAPACITY + 1}, actor=STAFF, now=NOW
        )
    assert Event.objects.get(pk=event.pk).capacity == 5
