"""Partner API keys: made by network administrators, one scope per endpoint, a rate per
key answered 429 with Retry-After, every call audited, errors as RFC 9457 problem details."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.core.actors import Actor
from navette.core.errors import ValidationFailed
from navette.core.models import AuditEvent, Role, User
from navette.partners.models import ApiKey, Scope
from navette.partners.services import api_key_create
from navette.search.index import rebuild_index
from tests.catalogue.factories import make_item, make_record
from tests.events import factories as events_factories
from tests.network.factories import make_library
from tests.patrons.factories import make_patron

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 2, 10, 0, 30, tzinfo=dt.UTC)


def make_key(scopes: list[str], rate: int = 60) -> str:
    admin = User.objects.create_user(f"admin{ApiKey.objects.count()}", role=Role.NETWORK_ADMIN)
    _key, token = api_key_create(
        name="Portail de la ville", scopes=scopes, rate_per_minute=rate,
        actor=Actor.staff(admin), user_id=admin.pk, is_network_admin=admin.is_network_admin,
        now=NOW,
    )  # fmt: skip
    return token


def call(client, method: str, path: str, token: str | None = None, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return getattr(client, method)(path, headers=headers, content_type="application/json", **kwargs)


def test_only_a_network_administrator_makes_keys_and_the_secret_is_not_stored():
    """A librarian is refused (nothing made); an administrator's key keeps a hash only."""
    librarian = User.objects.create_user("bib", role=Role.LIBRARIAN)
    with pytest.raises(ValidationFailed) as refused:
        api_key_create(name="x", scopes=[Scope.CATALOGUE_READ], rate_per_minute=10,
                       actor=Actor.staff(librarian), user_id=librarian.pk,
                       is_network_admin=librarian.is_network_admin, now=NOW)  # fmt: skip
    assert refused.value.code == "not_allowed"
    assert not ApiKey.objects.exists()
    token = make_key([Scope.CATALOGUE_READ])
    key = ApiKey.objects.get()
    prefix, secret = token.split(".")
    assert key.prefix == prefix and secret not in key.secret_hash
    with pytest.raises(ValidationFailed) as bad:
        make_key(["everything"])
    assert bad.value.code == "bad_scope"


def test_a_key_without_the_patron_scope_is_refused_patron_endpoints(client, clock_at):
    """403 problem details naming the missing scope; the same call with the scope works."""
    clock_at(NOW)
    patron = make_patron(card="29000000000042", pin="2468")
    reader = make_key([Scope.CATALOGUE_READ, Scope.AVAILABILITY])
    body = {"card": "29000000000042", "pin": "2468"}
    response = call(client, "post", "/api/v1/patrons/authenticate", reader, data=body)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 403 and problem["code"] == "scope_missing"
    assert problem["type"] == "/api/v1/problems/scope_missing"
    assert "patron_auth" in problem["detail"]

    partner = make_key([Scope.PATRON_AUTH])
    response = call(client, "post", "/api/v1/patrons/authenticate", partner, data=body)
    assert response.status_code == 200
    assert response.json() == {"authenticated": True, "patron": patron.pk}
    wrong = call(client, "post", "/api/v1/patrons/authenticate", partner,
                 data={"card": "29000000000042", "pin": "0000"})  # fmt: skip
    assert wrong.status_code == 422 and wrong.json()["code"] == "login_refused"


def test_a_key_over_its_rate_gets_429_with_retry_after(client, clock_at):
    """Two calls a minute: the third in the same minute is 429, Retry-After gives the seconds
    left in the minute; the next minute is counted afresh."""
    clock_at(NOW)
    token = make_key([Scope.AVAILABILITY], rate=2)
    record = make_record(title="Germinal")
    path = f"/api/v1/catalogue/records/{record.pk}/availability"
    assert [call(client, "get", path, token).status_code for _ in range(2)] == [200, 200]
    over = call(client, "get", path, token)
    assert over.status_code == 429
    assert over["Retry-After"] == "30"
    assert over["Content-Type"] == "application/problem+json"
    assert over.json()["code"] == "rate_limited"
    clock_at(NOW + dt.timedelta(seconds=30))
    assert call(client, "get", path, token).status_code == 200


def test_every_call_is_audited_and_bad_keys_are_401(client, clock_at):
    """Each call with a key is an audit event with its outcome; no key or a wrong secret is
    a 401 problem."""
    clock_at(NOW)
    token = make_key([Scope.AVAILABILITY], rate=1)
    record = make_record(title="Germinal")
    make_item(record=record, library=make_library(code="lens"), call_number="R ZOL")
    path = f"/api/v1/catalogue/records/{record.pk}/availability"
    ok = call(client, "get", path, token)
    assert ok.json()["copies"][0] | {"barcode": ""} == {
        "barcode": "", "library": "lens", "location": "lens", "call_number": "R ZOL",
        "status": "available",
    }  # fmt: skip
    call(client, "get", path, token)
    call(client, "get", "/api/v1/catalogue/search?q=germinal", token)
    outcomes = list(
        AuditEvent.objects.filter(action="api_key.call")
        .order_by("pk")
        .values_list("data", flat=True)
    )
    assert [(o["path"], o["outcome"]) for o in outcomes] == [
        (path, "ok"), (path, "rate_limited"), ("/api/v1/catalogue/search", "scope_missing"),
    ]  # fmt: skip
    for headers in ({}, {"Authorization": f"Bearer {token.split('.')[0]}.wrong"}):
        response = client.get(path, headers=headers)
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_key"
    other = make_key([Scope.AVAILABILITY])
    missing = call(client, "get", "/api/v1/catalogue/records/999999/availability", other)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_search_endpoint_answers_with_catalogue_scope(client, clock_at, settings, tmp_path):
    """The catalogue search finds records with a catalogue_read key."""
    settings.NAVETTE_SEARCH_INDEX_DIR = tmp_path / "index"
    clock_at(NOW)
    make_record(title="Germinal", authors=["Émile Zola"])
    rebuild_index()
    token = make_key([Scope.CATALOGUE_READ])
    response = call(client, "get", "/api/v1/catalogue/search?q=zola", token)
    assert response.status_code == 200
    assert [r["title"] for r in response.json()["results"]] == ["Germinal"]
    invalid = call(client, "get", "/api/v1/catalogue/search?page=x", token)
    assert invalid.status_code == 422 and invalid["Content-Type"] == "application/problem+json"


def test_events_and_libraries_for_their_scopes(client, clock_at):
    """events_read lists coming events with ISO 8601 dates; a catalogue key lists libraries
    and is refused the events."""
    clock_at(events_factories.NOW)
    lens = events_factories.library("lens")
    events_factories.event(lens, title="Heure du conte", days=3)
    events_key = make_key([Scope.EVENTS_READ])
    listed = call(client, "get", "/api/v1/events?library=lens", events_key).json()
    assert [(e["title"], e["library"], e["registration_required"]) for e in listed] == [
        ("Heure du conte", "lens", False)
    ]
    assert dt.datetime.fromisoformat(listed[0]["starts_at"]).utcoffset() is not None
    reader = make_key([Scope.CATALOGUE_READ])
    assert call(client, "get", "/api/v1/events", reader).status_code == 403
    libraries = call(client, "get", "/api/v1/network/libraries", reader).json()
    assert [lib["code"] for lib in libraries] == ["lens"]


def test_control_characters_in_a_card_are_refused_as_invalid(client, clock_at):
    """A NUL in the card number (found by the fuzz run on PostgreSQL, where it was a 500) is a
    422 problem before any database read."""
    clock_at(NOW)
    partner = make_key([Scope.PATRON_AUTH])
    response = call(client, "post", "/api/v1/patrons/authenticate", partner,
                    data={"card": "a\u0000b", "pin": "1234"})  # fmt: skip
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"
    events_key = make_key([Scope.EVENTS_READ])
    assert call(client, "get", "/api/v1/events?library=le%00ns", events_key).status_code == 422


def test_the_administration_asks_a_circulation_key_for_its_library(client, clock_at):
    """The add form refuses the circulation scope without a library (nothing made); with one,
    the key is made through the service, attached to that library, its token shown once."""
    clock_at(NOW)
    lens = make_library(code="lens")
    admin = User.objects.create_user("chef", password="x", role=Role.NETWORK_ADMIN,
                                     is_staff=True, is_superuser=True)  # fmt: skip
    client.force_login(admin)
    form = {"name": "Automate", "scopes": [Scope.CIRCULATION], "rate_per_minute": 60,
            "is_active": "on"}  # fmt: skip
    refused = client.post("/admin/partners/apikey/add/", form)
    assert refused.status_code == 200
    assert "Le droit de circulation demande la bibliothèque" in refused.content.decode()
    assert not ApiKey.objects.exists()
    made = client.post("/admin/partners/apikey/add/", {**form, "library": lens.pk}, follow=True)
    assert made.status_code == 200
    key = ApiKey.objects.get()
    assert key.library == lens and key.scopes == [Scope.CIRCULATION]
    assert f"{key.prefix}." in made.content.decode()
    assert AuditEvent.objects.filter(action="api_key.create", library_id=lens.pk).exists()
