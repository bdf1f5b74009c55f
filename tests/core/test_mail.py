"""One mail renderer for every app: per-message templates, the reader's language (or the
site's), through a real SMTP server."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import TemplateDoesNotExist

from navette.core.mail import mail_language, render_mail
from navette.events.services import registration_create
from navette.patrons.services import patron_send_reset_link
from tests.events import factories as f
from tests.patrons.factories import NOW, make_patron

pytestmark = pytest.mark.django_db


def _body(message) -> str:  # type: ignore[no-untyped-def]
    return message.get_body(preferencelist=("plain",)).get_content()


@pytest.mark.parametrize(
    ("asked", "written"),
    [("fr", "fr"), ("en", "en"), ("en-gb", "en"), ("EN", "en"), ("de", "fr"), ("", "fr"),
     (None, "fr")],
)  # fmt: skip
def test_mail_language_is_the_readers_when_offered_else_the_sites(asked, written):
    """A language the site offers is used (a regional variant reads as its language);
    any other falls back to LANGUAGE_CODE."""
    assert mail_language(asked) == written


def test_missing_template_is_an_error():
    """A message without its templates is refused loudly, never sent empty."""
    with pytest.raises(TemplateDoesNotExist):
        render_mail("nowhere/nothing", {}, "fr")


def _register(event, patron, seats, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        return registration_create(
            event=event, patron=patron, seats=seats, actor=f.STAFF, now=f.NOW
        )


def test_event_mail_in_french_with_dates_and_plurals(
    smtp_server, django_capture_on_commit_callbacks
):
    """A French-speaking patron's booking mail reaches the SMTP server in French: "1er" on the
    first of the month, the weekday and month in words, "2 places" without "(s)"."""
    lib = f.library(name="Médiathèque Robert Cousin")
    first = dt.datetime(2027, 6, 1, 18, 30, tzinfo=f.PARIS)
    event = f.bookable(lib, capacity=5, title="Lecture", starts_at=first,
                       ends_at=first + dt.timedelta(hours=1))  # fmt: skip
    patron = f.patron(lib, email="anne@example.org", first_name="Anne")
    _register(event, patron, 2, django_capture_on_commit_callbacks)
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["X-Envelope-To"] == "anne@example.org"
    assert message["Subject"] == "Inscription confirmée : Lecture"
    assert message["Content-Language"] == "fr"
    body = _body(message)
    assert body.startswith("Bonjour Anne Lecteur")
    assert "Votre inscription est confirmée (2 places)." in body
    assert "mardi 1er juin 2027 à 18:30 — Médiathèque Robert Cousin" in body
    assert "(s)" not in body
    assert "/agenda/annulation/" in body


def test_event_mail_in_english_for_an_english_speaking_patron(
    smtp_server, django_capture_on_commit_callbacks
):
    """The same mail for a patron who chose English is English throughout: subject, body,
    date in the English order, singular for one place. It used to be forced to French."""
    lib = f.library(name="Médiathèque Robert Cousin")
    first = dt.datetime(2027, 6, 1, 18, 30, tzinfo=f.PARIS)
    event = f.bookable(lib, capacity=5, title="Reading", starts_at=first,
                       ends_at=first + dt.timedelta(hours=1))  # fmt: skip
    patron = f.patron(lib, email="sam@example.org", first_name="Sam")
    patron.preferred_language = "en"
    patron.save(update_fields=["preferred_language"])
    _register(event, patron, 1, django_capture_on_commit_callbacks)
    message = smtp_server.messages[0]
    assert message["Subject"] == "Booking confirmed: Reading"
    assert message["Content-Language"] == "en"
    body = _body(message)
    assert body.startswith("Hello Sam Lecteur")
    assert "Your booking is confirmed (1 place)." in body
    assert "Tuesday, June 1, 2027 at 6:30 p.m. — Médiathèque Robert Cousin" in body
    assert "To cancel your booking: http" in body
    assert "Bonjour" not in body and "juin" not in body


@pytest.mark.parametrize(
    ("language", "subject", "line"),
    [
        ("fr", "Réinitialisation de votre code", "Le lien est valable 60 minutes"),
        ("en", "Resetting your PIN", "The link is valid for 60 minutes"),
    ],
)
def test_pin_reset_mail_in_the_patrons_language(
    smtp_server, django_capture_on_commit_callbacks, language, subject, line
):
    """The PIN reset mail goes through the same renderer, in the patron's language."""
    patron = make_patron(email="lucie@example.org", preferred_language=language)
    with django_capture_on_commit_callbacks(execute=True):
        sent = patron_send_reset_link(
            card_number=patron.card_number, email="lucie@example.org", now=NOW,
            link_for=lambda token: f"https://portail.example.org/code/{token}/",
        )  # fmt: skip
    assert sent is True
    message = smtp_server.messages[0]
    assert message["Subject"] == subject
    body = _body(message)
    assert line in body and "https://portail.example.org/code/" in body
