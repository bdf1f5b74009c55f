"""A patron registered only in another library system logs in on the network's portal.

The member library's system is a second Navette, started by the test as an operator
would: its own data directory and SQLite database (``navette migrate``), a small network
loaded with ``navette shell``, its SIP2 server (``navette sip2``) on its own port. The
first instance (the test's live server) attaches it as a member library through SIP2.
The patron logs in with card and PIN, spends a VOD token (the vendor's CAS ticket says
the home library and category), registers for an event and sees their account page; a
blocked card and an expired one at the member are refused with a clear message.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import cas as pycas
import pytest

from navette.core import clock
from navette.events.models import Registration, RegistrationStatus
from navette.network.connectors.sip2 import (
    Sip2Client,
    Sip2Endpoint,
    Sip2Error,
    close_all_clients,
)
from navette.network.models import MemberSystem
from navette.patrons.models import FederatedPatron, Patron
from tests.digital import factories as digital
from tests.events import factories as events
from tests.network.sip2_peers import free_port

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

READY_WITHIN = 120  # seconds: a Python process starting on a shared machine
KIOSK = ("navette-portail", "portail-secret-7")

#: the member's network: one library, a valid card, a blocked one, an expired one
MEMBER_SCRIPT = f"""
import datetime as dt
from django.contrib.auth.hashers import make_password
from navette.network.models import Library, Network
from navette.patrons.models import Patron, PatronBlock, PatronCategory
from navette.sip2.models import Kiosk, KioskProfile
from django.utils import timezone

network = Network.objects.create(name="Réseau de Roubaix")
lib = Library.objects.create(network=network, code="rbx", name="La Grand-Plage",
                             commune="Roubaix")
adult = PatronCategory.objects.create(code="adulte", label="Adulte")
pin = make_password("2468")
def patron(card, expires, **kw):
    return Patron.objects.create(card_number=card, first_name="Inès", last_name="Roubaisienne",
        category=adult, home_library=lib, membership_expires_on=expires, pin_hash=pin,
        birth_date=dt.date(1990, 5, 17), **kw)
patron("R100001", dt.date(2030, 1, 1))
blocked = patron("R100002", dt.date(2030, 1, 1))
PatronBlock.objects.create(patron=blocked, reason="carte perdue", created_at=timezone.now())
patron("R100003", dt.date(2020, 1, 1))
# the profile of Navette's account sends expiry, birth date and category (PA, PB, PC)
profile = KioskProfile.objects.create(name="Portail du réseau",
    extension_fields=["patron_expiry", "patron_birth", "patron_category"])
kiosk = Kiosk(login="{KIOSK[0]}", name="Portail du réseau", library=lib, profile=profile)
kiosk.set_password("{KIOSK[1]}")
kiosk.save()
"""


@dataclass
class Member:
    home: Path
    sip2_port: int
    proc: subprocess.Popen[bytes]


def member_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAVETTE_", "DATABASE_"))}
    env.update(NAVETTE_HOME=str(home), DJANGO_SETTINGS_MODULE="navette.settings.base")
    return env


def navette(home: Path, *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "navette", *args], env=member_env(home),
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def member_instance(tmp_path_factory) -> Iterator[Member]:
    """The second Navette: migrated, loaded, its SIP2 server answering Navette's login."""
    home = tmp_path_factory.mktemp("member-navette")
    navette(home, "migrate", "-v0")
    navette(home, "shell", "-c", MEMBER_SCRIPT)
    port = free_port()
    log = (home / "sip2.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "navette", "sip2", "--host", "127.0.0.1", "--port", str(port)],
        env=member_env(home), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        probe = Sip2Client(Sip2Endpoint("127.0.0.1", port, *KIOSK, connect_timeout=1))
        deadline = time.monotonic() + READY_WITHIN
        while True:
            assert proc.poll() is None, (home / "sip2.log").read_text()
            try:
                probe.login_check()
                break
            except Sip2Error:
                assert time.monotonic() < deadline, "the member's SIP2 server did not start"
                time.sleep(0.3)
        probe.close()
        yield Member(home=home, sip2_port=port, proc=proc)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def portal(member_instance, clock_at):
    """The network's portal: a VOD resource, an event with seats, the member attached."""
    clock_at(events.NOW)
    digital.category()
    roubaix = digital.library("roubaix")
    MemberSystem.objects.create(
        library=roubaix, system_name="Navette (autre réseau)", auth_order="sip2",
        card_prefixes="R1", sip2_host="127.0.0.1", sip2_port=member_instance.sip2_port,
        sip2_login=KIOSK[0], sip2_password=KIOSK[1], sip2_location="rbx",
        sip2_connect_timeout=2, sip2_read_timeout=5,
        account_url="https://roubaix.example.org/mon-compte",
    )  # fmt: skip
    resource = digital.vod()
    film = digital.film(resource, "Les Oiseaux migrateurs", 2024)
    event = events.bookable(events.library(code="lens", commune="Lens"), title="Atelier BD")
    yield resource, film, event
    close_all_clients()


def log_in(page, card: str, pin: str, next_url: str = "/compte/") -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{page.base_url}/compte/connexion/?next={next_url}")
    page.fill("input[name=card_number]", card)
    page.fill("input[name=pin]", pin)
    page.get_by_role("button", name="Se connecter").click()


def test_member_patron_spends_a_token_and_registers(page, live_server, axe, portal):
    """Card and PIN known only to the second instance: logged in on the first; a film
    at 1.5 tokens takes the balance from 4 to 2.5 and the vendor's ticket says the home
    library and category; a seat at the event is confirmed; the account page shows what
    Navette keeps and links to the library's own account page."""
    resource, film, event = portal
    landed: list[str] = []

    def vendor(route) -> None:  # type: ignore[no-untyped-def]
        landed.append(route.request.url)
        route.fulfill(status=200, content_type="text/html",
                      body="<html lang='fr'><title>Cinéma</title><h1>Lecture</h1></html>")  # fmt: skip

    page.route("http://vod.example.test/**", vendor)
    log_in(page, "R100001", "2468", "/mediatheque-en-ligne/")
    page.wait_for_url(f"{page.base_url}/mediatheque-en-ligne/")
    assert "4 sur 4" in page.get_by_test_id("balance").inner_text().replace("\xa0", " ")
    patron = Patron.objects.get(card_number="R100001")
    assert patron.first_name == "" and patron.home_library.code == "roubaix"
    assert patron.birth_date is None and patron.membership_expires_on.isoformat() == "2030-01-01"
    federation = FederatedPatron.objects.get(patron=patron)
    assert (federation.confirmed_at, federation.age_band) == (events.NOW, "26-39")

    page.get_by_role("link", name="Cinéma en ligne").click()
    page.get_by_role("link", name="Les Oiseaux migrateurs").click()
    page.get_by_role("button", name=re.compile("Regarder")).click()
    page.wait_for_url(re.compile(r"^http://vod\.example\.test/"))
    url = landed[0]
    ticket = parse_qs(urlsplit(url).query)["ticket"][0]
    cas = pycas.CASClient(
        version=3, service_url=url.split("&ticket=")[0], server_url=live_server.url + "/cas/"
    )
    _user, attributes, _pgt = cas.verify_ticket(ticket)
    assert (attributes["homeLibrary"], attributes["category"]) == ("roubaix", "adulte")
    assert attributes["ageBand"] == "26-39"
    page.goto(f"{page.base_url}/mediatheque-en-ligne/")
    assert "2,5 sur 4" in page.get_by_test_id("balance").inner_text().replace("\xa0", " ")

    page.goto(f"{page.base_url}/agenda/evenement/{event.pk}/")
    page.get_by_role("button", name="S'inscrire").click()
    page.wait_for_selector(".message")
    registration = Registration.objects.get(event=event, patron=patron)
    assert registration.status == RegistrationStatus.CONFIRMED

    page.goto(f"{page.base_url}/compte/")
    summary = page.locator("section.federation").inner_text()
    assert "Vos prêts et réservations sont à Médiathèque roubaix" in summary
    assert "Atelier BD" in page.locator("#inscriptions + ul").inner_text()
    link = page.get_by_role("link", name=re.compile("Voir mes prêts et réservations"))
    assert link.get_attribute("href") == "https://roubaix.example.org/mon-compte"
    assert axe(page) == []


def test_blocked_and_expired_cards_at_the_member_are_refused(page, axe, portal):
    """The member's blocked card and expired card (its expiry, PA, in the past): the login
    page refuses each saying why, naming the library and repeating what its system said;
    nobody is logged in."""
    log_in(page, "R100002", "2468")
    page.wait_for_selector(".error-box")
    refused = page.locator(".error-box").inner_text()
    assert "Votre carte est bloquée ou n'est plus valable à Médiathèque roubaix" in refused
    assert axe(page) == []
    log_in(page, "R100003", "2468")
    page.wait_for_selector(".error-box")
    refused = page.locator(".error-box").inner_text()
    assert "Votre carte de Médiathèque roubaix a expiré" in refused
    page.goto(f"{page.base_url}/compte/")
    assert "/compte/connexion/" in page.url
    assert clock.now() == events.NOW
