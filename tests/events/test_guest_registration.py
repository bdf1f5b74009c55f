"""Guest registrations from the portal: confirmed by e-mail before they take a seat,
rate-limited per address and per e-mail, no stranger's text in the mails."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse

from navette.events import services
from navette.events.errors import BadToken, RegistrationRefused
from navette.events.models import Event, GuestRequest, Registration
from tests.events import factories as f
from tests.events.factories import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(clock_at):
    clock_at(NOW)
    return f.bookable(f.library(code="lens"), capacity=20, title="Atelier origami")


def _register(client, event, i: int, *, email: str = "", ip: str = "203.0.113.5", name: str = ""):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("portal:event_register", args=[event.pk]),
        {"name": name or f"Invité {i}", "email": email or f"guest{i}@example.org", "seats": "1"},
        REMOTE_ADDR=ip,
    )


def _confirm_path(message) -> str:  # type: ignore[no-untyped-def]
    found = re.search(r"http://testserver(/agenda/confirmation/\S+/)", message.body)
    assert found is not None
    return found.group(1)


def test_thirty_guest_requests_take_no_seat_and_stop_at_the_address_limit(
    client, event, django_capture_on_commit_callbacks
):
    """The audit's attack: 30 registrations from one address. Now none takes a seat (each
    waits for its e-mail confirmation), only the first 10 send a mail, the rest get 429."""
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [_register(client, event, i).status_code for i in range(30)]
    assert statuses == [302] * services.GUEST_REQUESTS_PER_ADDRESS + [429] * (
        30 - services.GUEST_REQUESTS_PER_ADDRESS
    )
    assert Registration.objects.count() == 0
    assert Event.objects.get(pk=event.pk).seats_taken == 0
    assert len(mail.outbox) == services.GUEST_REQUESTS_PER_ADDRESS
    assert "réessayez dans une heure" in _register(client, event, 99).content.decode()
    # another address is not held back, and the window passes
    assert _register(client, event, 100, ip="198.51.100.7").status_code == 302


def test_one_address_receives_at_most_three_requests_an_hour(client, event):
    """From many addresses, one victim's mailbox gets at most GUEST_REQUESTS_PER_EMAIL mails."""
    codes = [
        _register(client, event, i, email="victim@example.org", ip=f"192.0.2.{i}").status_code
        for i in range(6)
    ]
    assert codes == [302] * services.GUEST_REQUESTS_PER_EMAIL + [429] * 3
    assert not GuestRequest.objects.filter(email_digest__contains="victim").exists()


def test_the_seat_is_taken_when_the_guest_confirms_from_the_mail(
    client, event, django_capture_on_commit_callbacks
):
    """GET on the link only shows the request (mail scanners open links); POST books the
    seat and sends the usual confirmation with its cancellation link; a second use is
    refused and books nothing more."""
    with django_capture_on_commit_callbacks(execute=True):
        _register(client, event, 1, name="Léa Martin", email="Lea@Example.org")
    request_mail = mail.outbox[0]
    assert request_mail.to == ["lea@example.org"]
    assert "Confirmez votre inscription" in request_mail.subject
    path = _confirm_path(request_mail)
    page = client.get(path)
    assert page.status_code == 200 and "Léa Martin" in page.content.decode()
    assert Registration.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(path).status_code == 302
    registration = Registration.objects.get()
    assert (registration.status, registration.guest_email) == ("confirmed", "lea@example.org")
    assert Event.objects.get(pk=event.pk).seats_taken == 1
    assert "/agenda/annulation/" in mail.outbox[-1].body
    again = client.post(path)
    assert again.status_code == 409 and "déjà inscrit" in again.content.decode()
    assert Event.objects.get(pk=event.pk).seats_taken == 1


def test_links_expire_and_cannot_be_forged(event):
    """A link older than GUEST_LINK_HOURS, or not signed by Navette, books nothing."""
    sent: list[str] = []
    services.guest_registration_request(
        event=event, guest_name="Léa", guest_email="lea@example.org", seats=2, ip="x", now=NOW,
        link_for=lambda token: sent.append(token) or token,  # type: ignore[func-returns-value]
    )  # fmt: skip
    later = NOW + dt.timedelta(hours=services.GUEST_LINK_HOURS, minutes=1)
    with pytest.raises(BadToken, match="expiré"):
        services.guest_registration_confirm(token=sent[0], now=later)
    with pytest.raises(BadToken):
        services.guest_registration_confirm(token=sent[0][:-2] + "xx", now=NOW)
    assert Registration.objects.count() == 0
    assert services.guest_registration_confirm(token=sent[0], now=NOW).seats == 2


def test_a_closed_event_refuses_the_request_and_the_confirmation(event):
    sent: list[str] = []
    services.guest_registration_request(
        event=event, guest_name="Léa", guest_email="lea@example.org", seats=1, ip="x", now=NOW,
        link_for=lambda token: sent.append(token) or token,  # type: ignore[func-returns-value]
    )  # fmt: skip
    services.event_cancel(event=event, actor=f.STAFF, now=NOW)
    with pytest.raises(RegistrationRefused):
        services.guest_registration_confirm(token=sent[0], now=NOW)
    with pytest.raises(RegistrationRefused):
        services.guest_registration_request(
            event=Event.objects.get(pk=event.pk), guest_name="Léa", guest_email="b@example.org",
            seats=1, ip="y", now=NOW, link_for=str,
        )  # fmt: skip


def test_the_mails_carry_no_text_of_the_strangers_choosing(
    client, event, django_capture_on_commit_callbacks
):
    """The name field is the only text a stranger types into a mail: it arrives reduced to
    letters, spaces, apostrophes and hyphens (no link, no address, no digits), and short."""
    spam = "Gagnez 1000 € sur http://arnaque.example/?x=1 écrivez à a@b.example " + "x" * 60
    with django_capture_on_commit_callbacks(execute=True):
        assert _register(client, event, 1, name=spam).status_code == 302
    body = mail.outbox[0].body
    greeting = body.splitlines()[0]
    assert greeting.startswith("Bonjour Gagnez sur http arnaque example")
    assert len(greeting) <= len("Bonjour ,") + 60
    assert "arnaque.example" not in body and "a@b.example" not in body and "1000" not in body
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(_confirm_path(mail.outbox[0])).status_code == 302
    assert "arnaque.example" not in mail.outbox[-1].body
