"""Partner API circulation: a trusted partner's key lends, renews and takes back at the library
the key names, under the desk's rules; refusals are RFC 9457 problems with stable codes and
words in the language of Accept-Language; every call is audited."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.circulation.models import Loan
from navette.core.actors import Actor
from navette.core.clock import PARIS
from navette.core.errors import ValidationFailed
from navette.core.models import AuditEvent, Role, User
from navette.partners.models import ApiKey, Scope
from navette.partners.services import api_key_create

NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=PARIS)
API = "/api/v1/circulation"
pytestmark = pytest.mark.django_db


def make_key(scopes: list[str], library=None) -> str:
    admin = User.objects.create_user(f"admin{ApiKey.objects.count()}", role=Role.NETWORK_ADMIN)
    _key, token = api_key_create(
        name="Automate de prêt", scopes=scopes, rate_per_minute=100, actor=Actor.staff(admin),
        user_id=admin.pk, is_network_admin=True, now=NOW,
        library_id=library.pk if library else None,
    )  # fmt: skip
    return token


def call(client, method, path, token, language="fr", **body):
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": language}
    if method == "get":
        return client.get(path, headers=headers)
    return client.post(path, body, content_type="application/json", headers=headers)


@pytest.fixture
def avion_key(libs, clock_at):
    clock_at(NOW)
    return make_key([Scope.CIRCULATION], libs["Avion"])


def test_a_partner_lends_lists_renews_and_takes_back_at_its_library(
    client, libs, avion_key, make_patron, make_item
):
    """Check-out at the key's library (201, the desk's 21 days), the card's loans, a renewal,
    the return; each call is an audited api_key.call and the loan names the key as actor."""
    patron, item = make_patron(), make_item(owner="Avion")
    lent = call(client, "post", f"{API}/checkout", avion_key, barcode=item.barcode,
                card=patron.card_number, library="")  # fmt: skip
    assert lent.status_code == 201, lent.content
    assert lent.json()["due_on"] == "2025-03-25" and lent.json()["library"] == libs["Avion"].code
    loan = Loan.objects.get(pk=lent.json()["id"])
    assert loan.library == libs["Avion"] and loan.patron == patron

    listed = call(client, "get", f"{API}/patrons/{patron.card_number}/loans", avion_key)
    assert [row["barcode"] for row in listed.json()] == [item.barcode]
    renewed = call(client, "post", f"{API}/renew", avion_key, barcode=item.barcode,
                   card=patron.card_number)  # fmt: skip
    assert renewed.status_code == 200 and renewed.json()["renewals"] == 1
    back = call(client, "post", f"{API}/checkin", avion_key, barcode=item.barcode,
                library=libs["Avion"].code)  # fmt: skip
    assert back.status_code == 200, back.content
    assert back.json() | {"action": ""} == {
        "barcode": item.barcode, "action": "", "destination": None, "days_late": 0
    }  # fmt: skip
    loan.refresh_from_db()
    assert loan.returned_at is not None

    calls = AuditEvent.objects.filter(action="api_key.call").order_by("pk")
    assert [(c.data["path"], c.data["outcome"]) for c in calls] == [
        (f"{API}/checkout", "ok"),
        (f"{API}/patrons/{patron.card_number}/loans", "ok"),
        (f"{API}/renew", "ok"),
        (f"{API}/checkin", "ok"),
    ]
    key_id = ApiKey.objects.get().pk
    lending = AuditEvent.objects.filter(action="loan.checkout").get()
    assert lending.actor_label == f"api_key:{key_id}"


@pytest.mark.parametrize(
    ("language", "detail", "title"),
    [("fr", "Carte inconnue : NOPE.", "Refusé"), ("en", "Unknown card: NOPE.", "Refused")],
)
def test_refusals_are_problems_in_the_language_asked(
    client, avion_key, make_item, language, detail, title
):
    """An unknown card is a 404 problem with the stable code card_not_found, worded in the
    language of Accept-Language, which the response names."""
    item = make_item(owner="Avion")
    response = call(client, "post", f"{API}/checkout", avion_key, language=language,
                    barcode=item.barcode, card="NOPE")  # fmt: skip
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]
    assert response.json() == {
        "type": "/api/v1/problems/card_not_found", "title": title, "status": 404,
        "detail": detail, "code": "card_not_found",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("language", "detail"),
    [("fr", "Cette clé n'a pas le droit « circulation »."),
     ("en", "This key does not have the “circulation” scope.")],
)  # fmt: skip
def test_a_key_without_the_circulation_scope_is_refused(client, libs, clock_at, language, detail):
    """A patron-authentication key is refused the circulation endpoints (403 scope_missing),
    in French or in English."""
    clock_at(NOW)
    token = make_key([Scope.PATRON_AUTH])
    response = call(client, "get", f"{API}/patrons/P1/loans", token, language=language)
    assert response.status_code == 403
    assert response.json()["code"] == "scope_missing" and response.json()["detail"] == detail


def test_a_partner_acts_only_at_its_own_library(client, libs, avion_key, make_patron, make_item):
    """Naming another library is 403 forbidden_library (audited as a scope refusal, no loan);
    an unknown library is 422; a circulation key needs a library when it is made."""
    patron, item = make_patron(), make_item(owner="Avion")
    lens = libs["Lens"]
    refused = call(client, "post", f"{API}/checkout", avion_key, language="en",
                   barcode=item.barcode, card=patron.card_number, library=lens.code)  # fmt: skip
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden_library"
    assert refused.json()["detail"] == "This key lends at Avion, not at Lens."
    assert not Loan.objects.exists()
    audit = AuditEvent.objects.get(action="scope.refused")
    assert audit.library_id == lens.pk and audit.data["attempted"] == "loan.checkout"
    unknown = call(client, "post", f"{API}/checkin", avion_key, barcode=item.barcode,
                   library="nowhere")  # fmt: skip
    assert unknown.status_code == 422 and unknown.json()["code"] == "library_not_found"
    with pytest.raises(ValidationFailed) as no_library:
        make_key([Scope.CIRCULATION])
    assert no_library.value.code == "library_needed"


def test_a_loan_refused_by_the_rules_is_a_conflict_or_a_rule_problem(
    client, avion_key, make_patron, make_item
):
    """A copy already on loan is 409 item_on_loan; renewing someone else's loan is 404."""
    first, second, item = make_patron(), make_patron(), make_item(owner="Avion")
    ok = call(client, "post", f"{API}/checkout", avion_key, barcode=item.barcode,
              card=first.card_number)  # fmt: skip
    assert ok.status_code == 201
    again = call(client, "post", f"{API}/checkout", avion_key, barcode=item.barcode,
                 card=second.card_number)  # fmt: skip
    assert again.status_code == 409 and again.json()["code"] == "item_on_loan"
    other = call(client, "post", f"{API}/renew", avion_key, barcode=item.barcode,
                 card=second.card_number)  # fmt: skip
    assert other.status_code == 404 and other.json()["code"] == "no_open_loan"
