"""Portal pages of the online media library (HTTP, injected clock)."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.core.actors import Actor
from navette.core.clock import PARIS
from navette.digital.models import TokenEntry
from navette.digital.services import tokens_spend
from tests.digital import factories as f

pytestmark = pytest.mark.django_db
NOV = dt.datetime(2026, 11, 20, 15, 0, tzinfo=PARIS)


def test_index_lists_resources_and_invites_to_log_in(client, clock_at):
    clock_at(NOV)
    resource = f.vod()
    f.film(resource, "Film", 2020)
    response = client.get("/mediatheque-en-ligne/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Cinéma en ligne" in body and "Vidéo à la demande" in body and "1 titre" in body
    assert "/compte/connexion/?next=" in body


def test_refused_with_half_a_token_left_then_renewed_on_the_first(client, clock_at):
    """With 0.5 token left, starting a 1-token film shows a clear message (409) and spends
    nothing; on the 1st of next month the page shows 4 tokens and the start succeeds."""
    clock_at(NOV)
    resource = f.vod()
    patron = f.patron()
    for year in (2026, 2024):  # 2 + 1.5 tokens
        tokens_spend(patron=patron, title=f.film(resource, f"Film {year}", year),
                     actor=Actor.patron(patron.pk), now=NOV)  # fmt: skip
    one = f.film(resource, "Film de 2019", 2019)
    f.log_in(client, patron)
    page = client.get(f"/mediatheque-en-ligne/titre/{one.pk}/").content.decode()
    assert "Votre solde ne suffit pas pour ce titre ce mois-ci" in page
    response = client.post(f"/mediatheque-en-ligne/titre/{one.pk}/lancer/")
    assert response.status_code == 409
    body = response.content.decode()
    assert "Votre solde de jetons ce mois-ci est de 0,5" in body and "en coûte 1" in body
    assert TokenEntry.objects.count() == 2

    clock_at(dt.datetime(2026, 12, 1, 0, 5, tzinfo=PARIS))
    page = client.get(f"/mediatheque-en-ligne/titre/{one.pk}/").content.decode()
    assert "<strong>4</strong> sur 4" in page
    response = client.post(f"/mediatheque-en-ligne/titre/{one.pk}/lancer/")
    assert response.status_code == 302
    service = f.VOD_SERVICE + f"?film={one.vendor_ref}"
    assert response["Location"].startswith(service + "&ticket=ST-")
    # charged when the vendor validates the ticket, not before
    assert "<strong>4</strong> sur 4" in client.get("/mediatheque-en-ligne/").content.decode()
    ticket = response["Location"].split("&ticket=")[1]
    validation = client.get("/cas/p3/serviceValidate", {"ticket": ticket, "service": service})
    assert b"authenticationSuccess" in validation.content
    assert "<strong>3</strong> sur 4" in client.get("/mediatheque-en-ligne/").content.decode()


def test_anonymous_start_goes_to_login(client):
    title = f.film(f.vod(), "Film", 2020)
    response = client.post(f"/mediatheque-en-ligne/titre/{title.pk}/lancer/")
    assert response.status_code == 302 and response["Location"].startswith("/compte/connexion/")
    assert not TokenEntry.objects.exists()


def test_resource_page_shows_costs_and_help(client, clock_at):
    clock_at(NOV)
    resource = f.vod()
    f.film(resource, "Film ancien", 1960)
    f.film(resource, "Film récent", 2026)
    body = client.get(f"/mediatheque-en-ligne/{resource.code}/").content.decode()
    assert "Comment se connecter" in body
    assert "Prix en jetons" in body
    assert "<td>0,5</td>" in body and "<td>2</td>" in body
    assert (
        "Film récent"
        in client.get(f"/mediatheque-en-ligne/{resource.code}/?q=récent").content.decode()
    )


def test_press_resource_opens_without_tokens_and_checks_age(client, clock_at):
    """A resource not paid in tokens opens directly (launch counted, nothing spent); a
    patron under the resource's minimum age gets a clear page instead."""
    from navette.digital.models import Resource, ResourceKind, UsageFact

    clock_at(NOV)
    vendor = f.vod().vendor
    press = Resource.objects.create(
        vendor=vendor, code="kiosque", name="Kiosque", kind=ResourceKind.PRESS,
        access_url="https://kiosque.example.test/", minimum_age=16,
    )  # fmt: skip
    f.log_in(client, f.patron())
    response = client.post("/mediatheque-en-ligne/kiosque/acceder/")
    assert response.status_code == 302 and response["Location"] == "https://kiosque.example.test/"
    fact = UsageFact.objects.get(resource=press)
    assert (fact.launches, fact.tokens_halves) == (1, 0)
    assert not TokenEntry.objects.exists()

    client.cookies.clear()
    f.log_in(client, f.patron(birth_date=dt.date(2014, 1, 1)))
    response = client.post("/mediatheque-en-ligne/kiosque/acceder/")
    assert response.status_code == 403
    assert "réservée aux lecteurs de 16 ans et plus" in response.content.decode()


def test_account_page_shows_tokens_and_last_launches(client, clock_at):
    clock_at(NOV)
    patron = f.patron()
    tokens_spend(patron=patron, title=f.film(f.vod(), "Vent du Nord", 2024),
                 actor=Actor.patron(patron.pk), now=NOV)  # fmt: skip
    f.log_in(client, patron)
    body = client.get("/compte/").content.decode()
    assert "Médiathèque en ligne" in body
    assert "<strong>2,5</strong> sur 4" in body
    assert "Vent du Nord : −1,5" in body
