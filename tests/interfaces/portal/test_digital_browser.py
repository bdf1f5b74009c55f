"""Browser walk-through: a patron starts a film from the online media library."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import cas as pycas
import pytest

from navette.core.clock import PARIS
from navette.digital.selectors import pairwise_id
from tests.digital import factories as f


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_patron_starts_a_film_and_vendor_validates_the_ticket(page, live_server, clock_at, axe):
    """A patron logs in, opens the online media library, chooses a film costing 1.5 tokens,
    sees 4 then 2.5, and lands on the vendor's URL with a ticket that python-cas validates,
    getting the patron's opaque id."""
    clock_at(dt.datetime(2026, 11, 20, 15, 0, tzinfo=PARIS))
    resource = f.vod()
    film = f.film(resource, "Les Oiseaux migrateurs", 2024)
    f.film(resource, "Un film ancien", 1960)
    patron = f.patron()
    landed: list[str] = []

    def vendor(route) -> None:  # the vendor's site, stood in for by the test
        landed.append(route.request.url)
        route.fulfill(status=200, content_type="text/html",
                      body="<html lang='fr'><title>Cinéma</title><h1>Lecture</h1></html>")  # fmt: skip

    page.route("http://vod.example.test/**", vendor)
    page.goto(f"{page.base_url}/compte/connexion/?next=/mediatheque-en-ligne/")
    page.fill("input[name=card_number]", patron.card_number)
    page.fill("input[name=pin]", "482915")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{page.base_url}/mediatheque-en-ligne/")
    assert "4 sur 4" in page.get_by_test_id("balance").inner_text().replace("\xa0", " ")
    assert axe(page) == []

    page.get_by_role("link", name="Cinéma en ligne").click()
    page.get_by_role("link", name="Les Oiseaux migrateurs").click()
    assert "1,5" in page.get_by_test_id("cost").inner_text()
    assert (
        "Votre solde de jetons ce mois-ci : 4 sur 4" in page.get_by_test_id("balance").inner_text()
    )
    assert "2,5" in page.get_by_test_id("after").inner_text()
    assert axe(page) == []

    page.get_by_role("button", name=re.compile("Regarder")).click()
    page.wait_for_url(re.compile(r"^http://vod\.example\.test/"))
    assert len(landed) == 1
    url = landed[0]
    assert url.startswith(f"http://vod.example.test/sso/cas?film={film.vendor_ref}&ticket=ST-")
    ticket = parse_qs(urlsplit(url).query)["ticket"][0]
    service = url.split("&ticket=")[0]
    client = pycas.CASClient(version=3, service_url=service, server_url=live_server.url + "/cas/")
    user, attributes, _pgt = client.verify_ticket(ticket)
    assert user == pairwise_id(patron.pk, resource.sso_service)
    assert attributes["category"] == "adulte"

    page.goto(f"{page.base_url}/mediatheque-en-ligne/")
    assert "2,5 sur 4" in page.get_by_test_id("balance").inner_text()
