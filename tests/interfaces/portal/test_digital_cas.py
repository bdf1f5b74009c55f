"""The portal as a CAS server, checked with a CAS client library from PyPI (python-cas)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import cas as pycas
import pytest
import requests

from navette.core.clock import PARIS
from navette.digital.models import CasTicket, UsageFact
from navette.digital.selectors import pairwise_id
from navette.patrons.models import PatronBlock
from tests.digital import factories as f

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=PARIS)
SERVICE = f.VOD_SERVICE + "?film=F42"


def _vod():
    """The CAS-registered film resource, with the film F42 (1 token) that SERVICE names."""
    resource = f.vod()
    f.film(resource, "Film de 2019", 2019, ref="F42")
    return resource


def _ticket_from(response) -> str:
    assert response.status_code == 302, response.content[:300]
    location = response["Location"]
    assert location.startswith(SERVICE + "&ticket=ST-")
    return parse_qs(urlsplit(location).query)["ticket"][0]


@pytest.mark.django_db
def test_login_issues_single_use_ticket_with_limited_attributes(client, clock_at):
    """A logged-in patron coming from a registered vendor gets an ST- ticket; /p3/serviceValidate
    returns the per-service opaque id and only category, home library and age band; the ticket
    cannot be validated twice."""
    clock_at(NOW)
    resource = _vod()
    patron = f.patron()
    f.log_in(client, patron)
    ticket = _ticket_from(client.get("/cas/login", {"service": SERVICE}))
    response = client.get("/cas/p3/serviceValidate", {"ticket": ticket, "service": SERVICE})
    assert response["Content-Type"].startswith("application/xml")
    user, attributes, _pgt = pycas.CASClientV3.verify_response(response.content)
    assert user == pairwise_id(patron.pk, resource.sso_service)
    assert patron.card_number not in response.content.decode()
    assert attributes == {
        "category": "adulte", "homeLibrary": "lille", "ageBand": "26-39", "title": "F42",
        "accessUntil": "2026-11-22T14:00:00+00:00",
    }  # fmt: skip
    again = client.get("/cas/p3/serviceValidate", {"ticket": ticket, "service": SERVICE})
    assert b'code="INVALID_TICKET"' in again.content
    assert UsageFact.objects.filter(resource=resource, launches=1).count() == 1


@pytest.mark.django_db
def test_cas2_validate_returns_user_without_attributes(client, clock_at):
    clock_at(NOW)
    _vod()
    f.log_in(client, f.patron())
    ticket = _ticket_from(client.get("/cas/login", {"service": SERVICE}))
    user, attributes, _pgt = pycas.CASClientV2.verify_response(
        client.get("/cas/serviceValidate", {"ticket": ticket, "service": SERVICE}).content
    )
    assert user and attributes is None


@pytest.mark.django_db
def test_ticket_for_another_service_or_expired_is_refused(client, clock_at):
    """A ticket validated for another service URL is INVALID_SERVICE (and consumed); after
    five minutes a ticket is INVALID_TICKET."""
    clock_at(NOW)
    _vod()
    f.log_in(client, f.patron())
    ticket = _ticket_from(client.get("/cas/login", {"service": SERVICE}))
    other = client.get(
        "/cas/p3/serviceValidate", {"ticket": ticket, "service": f.VOD_SERVICE + "?film=F43"}
    )
    assert b'code="INVALID_SERVICE"' in other.content
    assert CasTicket.objects.get(ticket=ticket).consumed_at is not None

    ticket = _ticket_from(client.get("/cas/login", {"service": SERVICE}))
    clock_at(NOW + dt.timedelta(minutes=5, seconds=1))
    late = client.get("/cas/p3/serviceValidate", {"ticket": ticket, "service": SERVICE})
    assert b'code="INVALID_TICKET"' in late.content
    assert b"expired" in late.content
    missing = client.get("/cas/p3/serviceValidate", {"service": SERVICE})
    assert b'code="INVALID_REQUEST"' in missing.content


@pytest.mark.django_db
def test_unregistered_service_gets_no_ticket(client, clock_at):
    """Only registered services, matched exactly on scheme, host, port and path."""
    clock_at(NOW)
    _vod()
    f.log_in(client, f.patron())
    for service in (
        "http://evil.example.test/sso/cas",
        "http://vod.example.test/sso/cas/extra",
        "http://vod.example.test:8080/sso/cas",
        "https://vod.example.test/sso/cas",
    ):
        response = client.get("/cas/login", {"service": service})
        assert response.status_code == 403
        assert "autorisé à utiliser la connexion du réseau" in response.content.decode()
    assert not CasTicket.objects.exists()


@pytest.mark.django_db
def test_expired_or_blocked_card_gets_a_clear_page_instead_of_a_ticket(client, clock_at):
    clock_at(NOW)
    _vod()
    expired = f.patron(membership_expires_on=dt.date(2026, 10, 31))
    f.log_in(client, expired)
    response = client.get("/cas/login", {"service": SERVICE})
    assert response.status_code == 403
    assert "Votre carte a expiré le 31 octobre 2026" in response.content.decode()

    blocked = f.patron()
    PatronBlock.objects.create(patron=blocked, reason="Carte perdue", created_at=NOW)
    client.cookies.clear()
    f.log_in(client, blocked)
    response = client.get("/cas/login", {"service": SERVICE})
    assert response.status_code == 403
    assert "Votre carte est bloquée" in response.content.decode()
    assert not CasTicket.objects.exists()


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_login_or_back_with_gateway(client, clock_at):
    clock_at(NOW)
    _vod()
    response = client.get("/cas/login", {"service": SERVICE})
    assert response.status_code == 302
    assert "/compte/connexion/" in response["Location"] and "next=" in response["Location"]
    gateway = client.get("/cas/login", {"service": SERVICE, "gateway": "true"})
    assert gateway["Location"] == SERVICE


@pytest.mark.django_db
def test_logout_ends_the_portal_session(client):
    _vod()
    f.log_in(client, f.patron())
    response = client.get("/cas/logout", {"service": SERVICE})
    assert response["Location"] == SERVICE
    assert client.get("/cas/login", {"service": SERVICE})["Location"].startswith("/compte/")


@pytest.mark.django_db(transaction=True)
def test_python_cas_client_validates_against_live_server(live_server):
    """python-cas (protocols 2 and 3) validates tickets the live portal issued."""
    resource = _vod()
    patron = f.patron()
    http = requests.Session()
    http.cookies.set(*f.session_cookie(patron))

    def fresh_ticket() -> str:
        response = http.get(live_server.url + "/cas/login", params={"service": SERVICE},
                            allow_redirects=False)  # fmt: skip
        assert response.status_code == 302
        return parse_qs(urlsplit(response.headers["Location"]).query)["ticket"][0]

    v3 = pycas.CASClient(version=3, service_url=SERVICE, server_url=live_server.url + "/cas/")
    user, attributes, _pgt = v3.verify_ticket(fresh_ticket())
    assert user == pairwise_id(patron.pk, resource.sso_service)
    assert attributes["homeLibrary"] == "lille"
    v2 = pycas.CASClient(version=2, service_url=SERVICE, server_url=live_server.url + "/cas/")
    user2, _attrs, _pgt = v2.verify_ticket(fresh_ticket())
    assert user2 == user
    for session in (http, v3.session, v2.session):
        session.close()  # ends keep-alive, so the server thread lets its database connection go
