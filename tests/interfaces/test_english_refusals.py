"""Refusals that services raise as codes and data read in the reader's language, with days,
times, tokens and amounts in its formats: English words and English formats for a reader who
chose English, the French ones otherwise (the wordings are in ``<app>/messages.py``)."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.utils import translation

from navette.catalogue.models import Record
from navette.circulation.models import HoldStatus
from navette.core.errors import wording_codes
from navette.digital.errors import AccessRefused, InsufficientTokens, NetworkCapReached
from navette.events.errors import EventInvalid
from navette.patrons.errors import CardLocked, CardNumberTaken
from tests.patrons.factories import NOW, make_patron

#: (error, French, English): what a reader is told of each
CASES = [
    (
        AccessRefused(reason="card_expired", expired_on=dt.date(2026, 11, 21)),
        "Votre carte a expiré le 21 novembre 2026",
        "Your card expired on November 21, 2026",
    ),
    (
        InsufficientTokens(
            left=3, cost=4, allowance=8, title="Le Horla", renews_on=dt.date(2026, 12, 1)
        ),  # fmt: skip
        "est de 1,5 et « Le Horla » en coûte 2",
        "is 1.5 and “Le Horla” costs 2",
    ),
    (NetworkCapReached(period="month"), "plafond mensuel", "monthly"),
    (
        CardLocked(until=dt.datetime(2026, 11, 21, 14, 30, tzinfo=dt.UTC)),
        "bloquée jusqu'à 15:30",
        "3:30 p.m.",
    ),
    (CardNumberTaken(number="12345"), "La carte n° 12345 est déjà attribuée.", "12345"),
    (
        EventInvalid(code="event_capacity_below_taken", cap=3, taken=5),
        "Impossible de réduire à 3 places : 5 sont déjà réservées.",
        "5",
    ),
]


@pytest.mark.parametrize(("error", "french", "english"), CASES)
def test_a_refusal_reads_in_the_readers_language_and_formats(error, french, english):
    """The same error, read under French then under English, is worded and formatted in
    each (it is worded when read, not when raised)."""
    with translation.override("fr"):
        assert french in error.message
    with translation.override("en"):
        said = error.message
    assert english in said
    assert not re.search(r"[éèàç]|novembre|\d,\d", said), said


def test_every_code_raised_in_the_cases_is_worded():
    """None of the codes above falls back to its bare code."""
    assert {error.code for error, _fr, _en in CASES} <= wording_codes()


@pytest.fixture
def expired_patron_client(client, clock_at):  # type: ignore[no-untyped-def]
    """A logged-in patron whose card expired on 1 March 2026, in English."""
    clock_at(NOW)
    patron = make_patron(now=NOW, membership_expires_on=dt.date(2026, 3, 1))
    response = client.post(
        "/compte/connexion/", {"card_number": patron.card_number, "pin": "1234", "next": "/"}
    )
    assert response.status_code == 302
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    return client, patron


@pytest.mark.django_db
def test_portal_hold_refused_in_english_with_an_english_date(expired_patron_client):
    """Placing a hold goes through the desk and the portal's outcome table: an expired card
    is refused in English with the day in the English short format, and nothing is held."""
    client, patron = expired_patron_client
    record = Record.objects.create(flavour="unimarc", marc={}, title="Le Horla", doc_type="book")
    response = client.post(
        f"/compte/reserver/{record.pk}/", {"pickup_library": str(patron.home_library_id)}
    )
    assert response.status_code == 400
    page = re.sub(r"\s+", " ", unescape(response.content.decode()))
    assert "Card expired on 03/01/2026: renew the membership." in page
    assert not record.holds.filter(status__in=[HoldStatus.WAITING]).exists()
