"""A stolen patron session must not become an account takeover; PIN checks are throttled,
reveal nothing about which cards exist, and hash outside any transaction."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import hashers
from django.core import mail
from django.db import connection

from navette.core.actors import Actor
from navette.core.models import AuditEvent
from navette.patrons import services
from navette.patrons.errors import CardLocked, InvalidSecret, LoginRefused
from navette.patrons.models import Patron
from navette.patrons.services import (
    ContactDetails,
    patron_authenticate,
    patron_change_pin,
    patron_report_email_change,
    patron_send_reset_link,
    patron_update_contact,
)
from tests.patrons.factories import NOW, STAFF, make_patron

pytestmark = pytest.mark.django_db
IP = "192.0.2.20"


def _change_email(patron: Patron, email: str, *, pin: str = "", actor: Actor | None = None,
                  now: dt.datetime = NOW) -> Patron:  # fmt: skip
    return patron_update_contact(
        patron=patron, contact=ContactDetails(email=email), notify_by_email=False,
        history_opt_in=False, preferred_language="fr", actor=actor or Actor.patron(patron.pk),
        now=now, current_pin=pin, report_link_for=lambda token: f"https://portail.test/r/{token}/",
    )  # fmt: skip


def test_email_change_by_the_patron_needs_the_current_pin(mailoutbox):
    """Without the PIN, or with a wrong one, the address stays and nothing is sent: a stolen
    session cannot redirect PIN-reset links to the thief's address."""
    patron = make_patron(email="owner@example.org", pin="4821")
    with pytest.raises(InvalidSecret, match="saisissez votre code actuel"):
        _change_email(patron, "thief@example.net")
    with pytest.raises(InvalidSecret, match="code actuel est incorrect"):
        _change_email(patron, "thief@example.net", pin="0000")
    assert Patron.objects.get(pk=patron.pk).email == "owner@example.org"
    assert mailoutbox == []
    assert not patron_send_reset_link(
        card_number=patron.card_number, email="thief@example.net", now=NOW, link_for=str
    )


def test_email_change_tells_the_old_address_which_can_undo_it(
    mailoutbox, django_capture_on_commit_callbacks
):
    """With the right PIN the address changes; the old address is told (after commit), with
    a link that puts it back; the report is in the audit journal."""
    patron = make_patron(email="owner@example.org", pin="4821")
    with django_capture_on_commit_callbacks(execute=True):
        _change_email(patron, "new@example.net", pin="4821")
    assert Patron.objects.get(pk=patron.pk).email == "new@example.net"
    assert [m.to for m in mailoutbox] == [["owner@example.org"]]
    body = mailoutbox[0].body
    assert "a été changée" in body and "new@example.net" not in body
    token = re.search(r"https://portail.test/r/([^/]+)/", body).group(1)  # type: ignore[union-attr]

    assert patron_report_email_change(token=token, now=NOW + dt.timedelta(hours=2))
    assert Patron.objects.get(pk=patron.pk).email == "owner@example.org"
    assert AuditEvent.objects.filter(action="patron.email_change_reported").count() == 1
    # a second use finds the address already back: nothing changes
    assert not patron_report_email_change(token=token, now=NOW + dt.timedelta(hours=3))


def test_staff_change_the_email_without_the_pin_and_the_old_address_is_told(
    mailoutbox, django_capture_on_commit_callbacks
):
    """At the desk (patron present) the staff need no PIN; the old address is still told."""
    patron = make_patron(email="owner@example.org", pin="4821")
    with django_capture_on_commit_callbacks(execute=True):
        _change_email(patron, "new@example.net", actor=STAFF)
    assert Patron.objects.get(pk=patron.pk).email == "new@example.net"
    assert [m.to for m in mailoutbox] == [["owner@example.org"]]


def test_other_contact_changes_need_no_pin(mailoutbox):
    """Changing only the phone or preferences asks for no PIN and sends no mail."""
    patron = make_patron(email="owner@example.org", pin="4821")
    patron_update_contact(
        patron=patron, contact=ContactDetails(email="OWNER@example.org", phone="03 21 00 00 00"),
        notify_by_email=True, history_opt_in=True, preferred_language="en",
        actor=Actor.patron(patron.pk), now=NOW,
    )  # fmt: skip
    assert Patron.objects.get(pk=patron.pk).phone == "03 21 00 00 00"
    assert mailoutbox == []


def test_current_pin_guesses_on_the_pin_change_form_lock_the_card():
    """The PIN-change form gives the same five tries as the login: the fifth wrong current
    PIN locks the card, and then even the right PIN changes nothing until the lock ends."""
    patron = make_patron(pin="4821")
    for _ in range(4):
        with pytest.raises(InvalidSecret):
            patron_change_pin(patron=patron, current="0000", new="1357", now=NOW)
    with pytest.raises(CardLocked):
        patron_change_pin(patron=patron, current="0000", new="1357", now=NOW)
    with pytest.raises(CardLocked):
        patron_change_pin(patron=patron, current="4821", new="1357", now=NOW)
    with pytest.raises(CardLocked):
        patron_authenticate(card_number=patron.card_number, pin="4821", now=NOW, ip=IP)
    later = NOW + dt.timedelta(minutes=16)
    patron_change_pin(patron=patron, current="4821", new="1357", now=later)
    assert patron_authenticate(card_number=patron.card_number, pin="1357", now=later, ip=IP)


def test_current_pin_guesses_on_the_contact_form_lock_the_card():
    """Guessing the PIN through the e-mail change counts the same way."""
    patron = make_patron(email="owner@example.org", pin="4821")
    for _ in range(4):
        with pytest.raises(InvalidSecret):
            _change_email(patron, "thief@example.net", pin="1111")
    with pytest.raises(CardLocked):
        _change_email(patron, "thief@example.net", pin="2222")
    with pytest.raises(CardLocked):
        _change_email(patron, "thief@example.net", pin="4821")
    assert Patron.objects.get(pk=patron.pk).email == "owner@example.org"


def test_an_unknown_card_answers_exactly_like_a_real_one():
    """Five wrong PINs on a real card and on a number that is no card give the same
    answers, message for message, and both "unlock" after the same 15 minutes: the lock
    does not reveal which cards exist."""
    make_patron(card="29007777", pin="4821")
    answers: dict[str, list[tuple[str, str]]] = {"29007777": [], "29008888": []}
    for card, seen in answers.items():
        now = NOW
        for _ in range(7):
            try:
                patron_authenticate(card_number=card, pin="0000", now=now, ip=f"ip-{card}")
            except (LoginRefused, CardLocked) as exc:
                seen.append((exc.code, exc.message))
            now += dt.timedelta(seconds=10)
        try:
            patron_authenticate(
                card_number=card, pin="0000", now=NOW + dt.timedelta(minutes=16), ip=f"ip-{card}"
            )
        except (LoginRefused, CardLocked) as exc:
            seen.append((exc.code, exc.message))
    real, unknown = answers["29007777"], answers["29008888"]
    assert [code for code, _m in real] == ["login_refused"] * 4 + ["card_locked"] * 3 + [
        "login_refused"
    ]
    assert unknown == real


@pytest.mark.django_db(transaction=True)
def test_pins_are_hashed_and_checked_outside_any_transaction(monkeypatch):
    """A hash takes a tenth of a second: done inside the login's transaction it held
    SQLite's write lock (BEGIN IMMEDIATE) and stalled every desk. Every hash and check of
    a login, a PIN change, a reset and an unknown card now runs outside a transaction."""
    inside: list[str] = []
    real_check, real_make = hashers.check_password, hashers.make_password

    def check(*args, **kwargs):  # type: ignore[no-untyped-def]
        if connection.in_atomic_block:
            inside.append("check_password")
        return real_check(*args, **kwargs)

    def make(*args, **kwargs):  # type: ignore[no-untyped-def]
        if connection.in_atomic_block:
            inside.append("make_password")
        return real_make(*args, **kwargs)

    patron = make_patron(pin="4821")
    monkeypatch.setattr(services, "check_password", check)
    monkeypatch.setattr(services, "make_password", make)
    patron_authenticate(card_number=patron.card_number, pin="4821", now=NOW, ip=IP)
    with pytest.raises(LoginRefused):
        patron_authenticate(card_number=patron.card_number, pin="0000", now=NOW, ip=IP)
    with pytest.raises(LoginRefused):
        patron_authenticate(card_number="11112222", pin="0000", now=NOW, ip=IP)
    patron_change_pin(patron=patron, current="4821", new="1357", now=NOW)
    token = services.reset_token_make(patron=Patron.objects.get(pk=patron.pk), now=NOW)
    services.patron_reset_pin(token=token, secret="2468", now=NOW)
    assert inside == []
    assert patron_authenticate(card_number=patron.card_number, pin="2468", now=NOW, ip=IP)


def test_contact_page_asks_for_the_pin_and_the_report_page_restores(
    client, clock_at, django_capture_on_commit_callbacks
):
    """Through the portal: changing the e-mail without the PIN is a form error; with it, the
    old address gets a link whose page puts the address back on confirmation."""
    clock_at(NOW)
    patron = make_patron(email="owner@example.org", pin="4821")
    client.post("/compte/connexion/", {"card_number": patron.card_number, "pin": "4821"})
    form = {"email": "thief@example.net", "preferred_language": "fr"}
    refused = client.post("/compte/coordonnees/", form)
    assert refused.status_code == 200
    assert "saisissez votre code actuel" in refused.content.decode()
    assert Patron.objects.get(pk=patron.pk).email == "owner@example.org"

    with django_capture_on_commit_callbacks(execute=True):
        changed = client.post("/compte/coordonnees/", {**form, "current_pin": "4821"})
    assert changed.status_code == 302
    assert [m.to for m in mail.outbox] == [["owner@example.org"]]
    link = re.search(r"http://testserver(/compte/signaler-changement/[^/]+/)", mail.outbox[0].body)
    assert link is not None
    page = client.get(link.group(1))
    assert page.status_code == 200 and "Rétablir mon adresse" in page.content.decode()
    assert client.post(link.group(1)).status_code == 302
    assert Patron.objects.get(pk=patron.pk).email == "owner@example.org"
    assert client.get("/compte/signaler-changement/forged/").status_code == 400
