"""Every way into a vendor (portal launch, CAS login, OpenID Connect authorization) goes
through one decision: tokens, minimum age and allowed categories; the ticket or code says
what was granted; the title is charged when the vendor validates it, once per access
window. Vendors are played by python-cas and Authlib, as in the protocol tests."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
from urllib.parse import parse_qs, urlsplit

import cas as pycas
import pytest
import requests
from authlib.jose import JsonWebKey, jwt

from navette.core.actors import Actor
from navette.core.clock import PARIS
from navette.digital.models import (
    CasTicket,
    OidcCode,
    Resource,
    ResourceKind,
    TokenEntry,
    UsageFact,
)
from navette.digital.selectors import pairwise_id, patron_balance
from navette.digital.services import tokens_spend
from navette.patrons.models import PatronBlock

from . import factories as f

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=PARIS)
REDIRECT = "http://cours.example.test/oidc/callback"
SECRET = "s3cret-client"


def _service(title) -> str:  # type: ignore[no-untyped-def]
    """The vendor's launch URL for ``title``, as its site sends it to /cas/login."""
    return f.VOD_SERVICE + f"?film={title.vendor_ref}"


def _spend_all(patron, resource) -> None:  # type: ignore[no-untyped-def]
    """Spend the patron's 4 tokens on four other 1-token films."""
    for n in range(4):
        tokens_spend(patron=patron, title=f.film(resource, f"Autre {n}", 2019),
                     actor=Actor.patron(patron.pk), now=NOW)  # fmt: skip
    assert patron_balance(patron, NOW).left == 0


def _validate(client, ticket: str, service: str):  # type: ignore[no-untyped-def]
    """The vendor's validation, read by python-cas: (user, attributes)."""
    response = client.get("/cas/p3/serviceValidate", {"ticket": ticket, "service": service})
    user, attributes, _pgt = pycas.CASClientV3.verify_response(response.content)
    return user, attributes


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(response.content.decode())


def _ticket(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 302, response.content[:300]
    return parse_qs(urlsplit(response["Location"]).query)["ticket"][0]


# --- CAS -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cas_login_for_a_film_with_no_tokens_left_is_refused(client, clock_at):
    """The attack: a patron with 0 tokens, refused the film on the portal (409), asks
    /cas/login for the vendor's launch URL of that film. Now refused the same way (409,
    the portal's message), and no ticket exists for a vendor to validate."""
    clock_at(NOW)
    resource = f.vod()
    film = f.film(resource, "Film de 2019", 2019)
    patron = f.patron()
    _spend_all(patron, resource)
    f.log_in(client, patron)
    assert client.post(f"/mediatheque-en-ligne/titre/{film.pk}/lancer/").status_code == 409

    response = client.get("/cas/login", {"service": _service(film)})
    assert response.status_code == 409
    assert "Votre solde de jetons ce mois-ci est de 0" in _text(response)
    assert not CasTicket.objects.exists()
    assert TokenEntry.objects.filter(title=film).count() == 0


@pytest.mark.django_db
def test_cas_login_charges_the_named_film_when_the_vendor_validates(client, clock_at):
    """/cas/login for a film's launch URL issues a ticket recording the film and its cost,
    spending nothing yet; the vendor's validation charges it once and tells the vendor
    which title the ticket opens, until when."""
    clock_at(NOW)
    resource = f.vod()
    film = f.film(resource, "Film de 2024", 2024)  # 1.5 tokens
    patron = f.patron()
    f.log_in(client, patron)
    ticket = _ticket(client.get("/cas/login", {"service": _service(film)}))
    issued = CasTicket.objects.get(ticket=ticket)
    assert (issued.title, issued.resource, issued.cost_halves) == (film, resource, 3)
    assert patron_balance(patron, NOW).left == 8

    user, attributes = _validate(client, ticket, _service(film))
    assert user == pairwise_id(patron.pk, resource.sso_service)
    assert attributes["title"] == film.vendor_ref
    assert attributes["accessUntil"] == "2026-11-22T14:00:00+00:00"
    assert patron_balance(patron, NOW).left == 5  # 2.5 tokens
    entry = TokenEntry.objects.get(patron=patron)
    assert (entry.title, entry.amount_halves) == (film, 3)
    assert CasTicket.objects.get(ticket=ticket).entry == entry


@pytest.mark.django_db
def test_a_url_naming_an_unknown_film_or_two_films_gets_no_ticket(client, clock_at):
    """A token resource's URL naming a title not in the catalogue (it cannot be priced) or
    naming two titles (the vendor might play either) is refused."""
    clock_at(NOW)
    resource = f.vod()
    cheap = f.film(resource, "Film ancien", 1960)
    dear = f.film(resource, "Film récent", 2026)
    f.log_in(client, f.patron())
    unknown = client.get("/cas/login", {"service": f.VOD_SERVICE + "?film=INCONNU"})
    assert unknown.status_code == 403
    assert "n'est pas ou plus disponible" in _text(unknown)
    two = client.get("/cas/login", {"service": f"{_service(cheap)}&film={dear.vendor_ref}"})
    assert two.status_code == 403
    assert "plusieurs titres" in _text(two)
    dear.is_active = False
    dear.save()
    assert client.get("/cas/login", {"service": _service(dear)}).status_code == 403
    assert not CasTicket.objects.exists()


@pytest.mark.django_db
def test_a_launch_the_vendor_never_validates_costs_nothing(client, clock_at):
    """The patron starts a film but the vendor's site never validates the ticket: the
    balance stays whole, and the expired ticket can no longer charge anything."""
    clock_at(NOW)
    film = f.film(f.vod(), "Film de 2019", 2019)
    patron = f.patron()
    f.log_in(client, patron)
    ticket = _ticket(client.post(f"/mediatheque-en-ligne/titre/{film.pk}/lancer/"))
    assert patron_balance(patron, NOW).left == 8
    clock_at(NOW + dt.timedelta(minutes=6))
    user, _attributes = _validate(client, ticket, _service(film))
    assert user is None
    assert not TokenEntry.objects.exists()
    assert patron_balance(patron, NOW).left == 8
    assert not UsageFact.objects.exists()  # a launch that never happened is not counted


@pytest.mark.django_db
def test_relaunch_within_the_access_window_is_free(client, clock_at):
    """A film paid once may be relaunched for 48 hours (the resource's access window) at
    no cost, each relaunch counted; after the window it is charged again. A resource
    with a window of 0 charges every launch."""
    clock_at(NOW)
    resource = f.vod()
    film = f.film(resource, "Film de 2019", 2019)
    patron = f.patron()
    f.log_in(client, patron)

    def launch_and_validate(at: dt.datetime) -> None:
        clock_at(at)
        ticket = _ticket(client.post(f"/mediatheque-en-ligne/titre/{film.pk}/lancer/"))
        user, _attributes = _validate(client, ticket, _service(film))
        assert user is not None

    launch_and_validate(NOW)
    assert patron_balance(patron, NOW).left == 6
    later = NOW + dt.timedelta(hours=47)
    clock_at(later)
    page = _text(client.get(f"/mediatheque-en-ligne/titre/{film.pk}/"))
    assert "Déjà payé : vous pouvez le relancer sans jeton jusqu'au 22/11/2026 à 15:00" in page
    assert CasTicket.objects.count() == 1
    launch_and_validate(later)
    assert CasTicket.objects.latest("pk").cost_halves == 0
    assert patron_balance(patron, later).left == 6
    assert TokenEntry.objects.count() == 1
    launch_and_validate(NOW + dt.timedelta(hours=49))
    assert TokenEntry.objects.count() == 2
    assert sum(UsageFact.objects.values_list("launches", flat=True)) == 3

    Resource.objects.filter(pk=resource.pk).update(access_hours=0)
    launch_and_validate(NOW + dt.timedelta(hours=50))
    assert TokenEntry.objects.count() == 3


@pytest.mark.django_db
def test_tokens_spent_between_ticket_and_validation_fail_the_validation(client, clock_at):
    """A ticket for the last token's film, then that token spent on another film before
    the vendor validates: the validation fails (python-cas gets no user) and nothing more
    is charged."""
    clock_at(NOW)
    resource = f.vod()
    film = f.film(resource, "Film de 2019", 2019)
    patron = f.patron()
    for n in range(3):
        tokens_spend(patron=patron, title=f.film(resource, f"Autre {n}", 2019),
                     actor=Actor.patron(patron.pk), now=NOW)  # fmt: skip
    f.log_in(client, patron)
    ticket = _ticket(client.get("/cas/login", {"service": _service(film)}))
    tokens_spend(patron=patron, title=f.film(resource, "Dernier", 2019),
                 actor=Actor.patron(patron.pk), now=NOW)  # fmt: skip
    user, _attributes = _validate(client, ticket, _service(film))
    assert user is None
    assert not TokenEntry.objects.filter(title=film).exists()
    assert patron_balance(patron, NOW).left == 0


@pytest.mark.django_db
def test_card_blocked_after_the_ticket_fails_the_validation(client, clock_at):
    clock_at(NOW)
    film = f.film(f.vod(), "Film de 2019", 2019)
    patron = f.patron()
    f.log_in(client, patron)
    ticket = _ticket(client.get("/cas/login", {"service": _service(film)}))
    PatronBlock.objects.create(patron=patron, reason="Carte perdue", created_at=NOW)
    user, _attributes = _validate(client, ticket, _service(film))
    assert user is None and not TokenEntry.objects.exists()


def _restricted(**fields) -> Resource:  # type: ignore[no-untyped-def]
    """The CAS film resource with a restriction (minimum age or categories)."""
    resource = f.vod()
    for name, value in fields.items():
        if name == "allowed_categories":
            resource.allowed_categories.set(value)
        else:
            setattr(resource, name, value)
    resource.save()
    return resource


@pytest.mark.django_db
def test_cas_login_refuses_an_under_age_patron(client, clock_at):
    """The attack: a 12-year-old asks /cas/login for a film of a 16+ resource (or for the
    resource's home page). Refused with the portal's message, no ticket."""
    clock_at(NOW)
    resource = _restricted(minimum_age=16)
    film = f.film(resource, "Film de 2019", 2019)
    f.log_in(client, f.patron(birth_date=dt.date(2014, 1, 1)))
    for service in (_service(film), f.VOD_SERVICE):
        response = client.get("/cas/login", {"service": service})
        assert response.status_code == 403
        assert "réservée aux lecteurs de 16 ans et plus" in _text(response)
    assert not CasTicket.objects.exists()


@pytest.mark.django_db
def test_cas_login_refuses_a_category_the_resource_is_not_open_to(client, clock_at):
    clock_at(NOW)
    resource = _restricted(allowed_categories=[f.category("adulte")])
    film = f.film(resource, "Film de 2019", 2019)
    f.log_in(client, f.patron(category=f.category("collectivite")))
    for service in (_service(film), f.VOD_SERVICE):
        response = client.get("/cas/login", {"service": service})
        assert response.status_code == 403
        assert "pas ouverte à votre catégorie" in _text(response)
    assert not CasTicket.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_python_cas_cannot_validate_a_film_the_patron_could_not_pay(live_server, clock_at):
    """Against the live portal with python-cas: a patron with 0 tokens gets no ticket for
    a film; with tokens, the ticket python-cas validates names the film it paid for."""
    clock_at(NOW)
    resource = f.vod()
    film = f.film(resource, "Film de 2019", 2019)
    rich, broke = f.patron(), f.patron()
    for n in range(8):
        tokens_spend(patron=broke, title=f.film(resource, f"Autre {n}", 1960),
                     actor=Actor.patron(broke.pk), now=NOW)  # fmt: skip
    service = _service(film)
    vendor = pycas.CASClient(version=3, service_url=service, server_url=live_server.url + "/cas/")
    sessions = [vendor.session]
    for patron, expected in ((broke, 409), (rich, 302)):
        browser = requests.Session()
        sessions.append(browser)
        browser.cookies.set(*f.session_cookie(patron))
        response = browser.get(live_server.url + "/cas/login", params={"service": service},
                               allow_redirects=False)  # fmt: skip
        assert response.status_code == expected
    ticket = parse_qs(urlsplit(response.headers["Location"]).query)["ticket"][0]
    user, attributes, _pgt = vendor.verify_ticket(ticket)
    assert user == pairwise_id(rich.pk, resource.sso_service)
    assert attributes["title"] == film.vendor_ref
    assert TokenEntry.objects.filter(patron=rich, title=film).count() == 1
    for session in sessions:
        session.close()  # ends keep-alive, so the server thread lets its database connection go


# --- OpenID Connect ------------------------------------------------------------------------


def _challenge(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def _authorize(client):  # type: ignore[no-untyped-def]
    return client.get("/oidc/authorize", {
        "response_type": "code", "client_id": "cours-client", "redirect_uri": REDIRECT,
        "scope": "openid", "state": "xyz", "code_challenge": _challenge("v" * 50),
        "code_challenge_method": "S256",
    })  # fmt: skip


def _exchange(client, location: str) -> dict:  # type: ignore[no-untyped-def]
    """The vendor redeems its code and reads the ID token with Authlib."""
    code = parse_qs(urlsplit(location).query)["code"][0]
    response = client.post("/oidc/token", {
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "code_verifier": "v" * 50, "client_id": "cours-client", "client_secret": SECRET,
    })  # fmt: skip
    body = response.json()
    if response.status_code != 200:
        return body
    keys = JsonWebKey.import_key_set(client.get("/oidc/jwks").json())
    return {"claims": dict(jwt.decode(body["id_token"], keys))}


@pytest.mark.django_db
def test_oidc_authorize_refuses_an_under_age_patron_or_a_disallowed_category(client, clock_at):
    """The attack: /oidc/authorize gave any valid card a code, whatever the minimum age
    and categories of the client's resource. Now refused with the portal's message."""
    clock_at(NOW)
    registration = f.oidc_client(REDIRECT, SECRET)
    resource = f.oidc_resource(registration, minimum_age=16)
    f.log_in(client, f.patron(birth_date=dt.date(2014, 1, 1)))
    response = _authorize(client)
    assert response.status_code == 403
    assert "réservée aux lecteurs de 16 ans et plus" in _text(response)

    Resource.objects.filter(pk=resource.pk).update(minimum_age=0)
    resource.allowed_categories.set([f.category("adulte")])
    client.cookies.clear()
    f.log_in(client, f.patron(category=f.category("collectivite")))
    response = _authorize(client)
    assert response.status_code == 403
    assert "pas ouverte à votre catégorie" in _text(response)
    assert not OidcCode.objects.exists()


@pytest.mark.django_db
def test_oidc_title_started_on_the_portal_is_charged_at_the_code_exchange(client, clock_at):
    """A film of a vendor signing in with OpenID Connect: the portal sends the patron to
    the vendor, the vendor's authorization gets a code recording the film and its cost
    (nothing spent yet); redeeming the code charges it and the ID token names the film."""
    clock_at(NOW)
    registration = f.oidc_client(REDIRECT, SECRET)
    resource = f.oidc_resource(registration, kind=ResourceKind.VOD, uses_tokens=True)
    film = f.film(resource, "Film de 2024", 2024)
    patron = f.patron()
    f.log_in(client, patron)
    launch = client.post(f"/mediatheque-en-ligne/titre/{film.pk}/lancer/")
    assert launch["Location"] == f"http://cours.example.test/cours/?id={film.vendor_ref}"
    authorized = _authorize(client)
    assert authorized.status_code == 302
    code = OidcCode.objects.get()
    assert (code.title, code.cost_halves) == (film, 3)
    assert patron_balance(patron, NOW).left == 8
    claims = _exchange(client, authorized["Location"])["claims"]
    assert claims["title"] == film.vendor_ref
    assert claims["sub"] == pairwise_id(patron.pk, registration)
    assert patron_balance(patron, NOW).left == 5  # 2.5 tokens
    assert OidcCode.objects.get().entry == TokenEntry.objects.get()


@pytest.mark.django_db
def test_oidc_with_no_tokens_left_opens_no_film(client, clock_at):
    """The attack: a patron with 0 tokens. Starting the film on the portal is refused
    (409); going straight to /oidc/authorize gives a code that names no title (the ID
    token has no title claim), and nothing is spent."""
    clock_at(NOW)
    registration = f.oidc_client(REDIRECT, SECRET)
    resource = f.oidc_resource(registration, kind=ResourceKind.VOD, uses_tokens=True)
    film = f.film(resource, "Film de 2019", 2019)
    patron = f.patron()
    for n in range(4):
        tokens_spend(patron=patron, title=f.film(resource, f"Autre {n}", 2019),
                     actor=Actor.patron(patron.pk), now=NOW)  # fmt: skip
    f.log_in(client, patron)
    assert client.post(f"/mediatheque-en-ligne/titre/{film.pk}/lancer/").status_code == 409
    authorized = _authorize(client)
    assert authorized.status_code == 302
    claims = _exchange(client, authorized["Location"])["claims"]
    assert "title" not in claims
    assert TokenEntry.objects.filter(title=film).count() == 0


@pytest.mark.django_db
def test_oidc_code_redeemed_after_the_tokens_went_elsewhere_is_refused(client, clock_at):
    clock_at(NOW)
    registration = f.oidc_client(REDIRECT, SECRET)
    resource = f.oidc_resource(registration, kind=ResourceKind.VOD, uses_tokens=True)
    film = f.film(resource, "Film de 2019", 2019)
    patron = f.patron()
    for n in range(3):
        tokens_spend(patron=patron, title=f.film(resource, f"Autre {n}", 2019),
                     actor=Actor.patron(patron.pk), now=NOW)  # fmt: skip
    f.log_in(client, patron)
    client.post(f"/mediatheque-en-ligne/titre/{film.pk}/lancer/")
    authorized = _authorize(client)
    tokens_spend(patron=patron, title=f.film(resource, "Dernier", 2019),
                 actor=Actor.patron(patron.pk), now=NOW)  # fmt: skip
    assert _exchange(client, authorized["Location"])["error"] == "invalid_grant"
    assert not TokenEntry.objects.filter(title=film).exists()


# --- balances only where tokens apply ------------------------------------------------------


@pytest.mark.django_db
def test_free_press_kiosk_shows_no_token_balance(client, clock_at):
    """The press kiosk is free: its page shows no balance; the film resource does. With
    only free resources, neither the online library nor the account page shows one."""
    clock_at(NOW)
    vod = f.vod()
    press = Resource.objects.create(
        vendor=vod.vendor, code="kiosque", name="Kiosque", kind=ResourceKind.PRESS,
        access_url="https://kiosque.example.test/?titre={ref}",
    )  # fmt: skip
    f.film(press, "Le Quotidien", None)
    f.log_in(client, f.patron())
    balance = 'data-testid="balance"'
    assert balance not in client.get("/mediatheque-en-ligne/kiosque/").content.decode()
    title = press.titles.get()
    assert balance not in client.get(f"/mediatheque-en-ligne/titre/{title.pk}/").content.decode()
    assert balance in client.get("/mediatheque-en-ligne/cinema/").content.decode()
    assert balance in client.get("/mediatheque-en-ligne/").content.decode()

    Resource.objects.filter(pk=vod.pk).update(is_active=False)
    assert balance not in client.get("/mediatheque-en-ligne/").content.decode()
    assert balance not in client.get("/compte/").content.decode()
