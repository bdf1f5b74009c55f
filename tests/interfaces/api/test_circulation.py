"""Circulation API over HTTP: staff session only, same rules as the desk, refusals as 409/422."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from navette.circulation.models import Hold, Loan
from navette.circulation.services import hold_place
from navette.core.clock import PARIS
from navette.core.models import User

NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=PARIS)
API = "/api/circulation"
pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, libs, clock_at):
    """A librarian of Avion and Lens, logged in."""
    clock_at(NOW)
    user = User.objects.create_user("bib-api", password="x", role="librarian")
    user.libraries.add(libs["Avion"], libs["Lens"])
    client.force_login(user)
    return client


def _post(client: Client, path: str, body: dict) -> tuple[int, dict]:
    resp = client.post(f"{API}{path}", body, content_type="application/json")
    return resp.status_code, resp.json()


def test_checkout_renew_checkin_and_patron_lists(api, libs, make_patron, make_item, actor):
    """A librarian lends at Avion (201, due in 21 days), lists the card's loans and holds,
    renews by barcode, then the return at Avion of a copy held for a Lens patron says
    'navette vers Lens'."""
    patron, item = make_patron(), make_item(owner="Harnes")
    status, body = _post(
        api,
        "/checkout",
        {"barcode": item.barcode, "card": patron.card_number, "library": libs["Avion"].code},
    )
    assert status == 201, body
    assert body["barcode"] == item.barcode and body["due_on"] == "2025-03-25"
    assert body["library"] == libs["Avion"].code and body["renewals"] == 0
    loan = Loan.objects.get(pk=body["id"])
    assert loan.patron == patron and loan.library == libs["Avion"]

    loans = api.get(f"{API}/patrons/{patron.card_number}/loans")
    assert loans.status_code == 200
    assert [row["barcode"] for row in loans.json()] == [item.barcode]

    status, body = _post(api, "/renew", {"barcode": item.barcode})
    assert status == 200 and body["renewals"] == 1

    lens_patron = make_patron(home="Lens")
    hold_place(
        patron=lens_patron, record=item.record, pickup_library=libs["Lens"], actor=actor, now=NOW
    )
    holds = api.get(f"{API}/patrons/{lens_patron.card_number}/holds").json()
    assert [(h["status"], h["position"], h["pickup_library"]) for h in holds] == [
        ("waiting", 1, libs["Lens"].code)
    ]

    status, body = _post(api, "/renew", {"loan": loan.pk})
    assert status == 409
    assert body == {
        "code": "hold_waiting",
        "message": "Prolongation refusée : un autre lecteur a réservé ce document.",
    }

    status, body = _post(api, "/checkin", {"barcode": item.barcode, "library": libs["Avion"].code})
    assert status == 200, body
    assert body["action"] == "transit" and body["destination"] == libs["Lens"].code
    assert "navette vers Lens" in body["message"] and body["loan"] == loan.pk
    assert Hold.objects.get(patron=lens_patron).status == "in_transit"


def test_refusals_map_to_409_and_422_with_the_french_message(api, libs, make_patron, make_item):
    """A copy already on loan is a conflict (409); an expired card, an unknown barcode or a
    video beyond the type limit is unprocessable (422); nothing is lent."""
    first, second = make_patron(), make_patron()
    item = make_item()
    lens = libs["Lens"].code
    assert _post(api, "/checkout", {"barcode": item.barcode, "card": first.card_number, "library": lens})[0] == 201  # fmt: skip
    status, body = _post(
        api, "/checkout", {"barcode": item.barcode, "card": second.card_number, "library": lens}
    )
    assert (status, body["code"]) == (409, "item_on_loan")
    assert body["message"] == "Document déjà en prêt : il doit d'abord être rendu."

    expired = make_patron(membership_expires_on=dt.date(2025, 1, 31))
    status, body = _post(
        api, "/checkout", {"barcode": make_item().barcode, "card": expired.card_number, "library": lens}
    )  # fmt: skip
    assert (status, body["code"]) == (422, "card_expired")
    assert body["message"] == "Carte expirée le 31/01/2025 : renouveler l'adhésion."

    status, body = _post(
        api, "/checkout", {"barcode": "NOPE", "card": second.card_number, "library": lens}
    )
    assert (status, body) == (422, {"code": "item_not_found", "message": "Code-barres inconnu : NOPE."})  # fmt: skip

    for _ in range(5):
        video = make_item(doc_type="video")
        _post(api, "/checkout", {"barcode": video.barcode, "card": second.card_number, "library": lens})  # fmt: skip
    sixth = make_item(doc_type="video")
    status, body = _post(
        api, "/checkout", {"barcode": sixth.barcode, "card": second.card_number, "library": lens}
    )
    assert (status, body["code"]) == (422, "max_loans_type")
    assert Loan.objects.filter(patron=second).count() == 5
    assert not Loan.objects.filter(item=sixth).exists()

    status, body = _post(api, "/renew", {"barcode": "NOPE"})
    assert (status, body["code"]) == (422, "no_open_loan")
    assert api.get(f"{API}/patrons/UNKNOWN/loans").status_code == 404


def test_only_logged_in_desk_staff_at_their_library(client, libs, make_patron, make_item):
    """No session: 401. A statistician: 403. A librarian of Lens lending at Harnes: 403 with
    nothing lent. A POST without the CSRF token is refused."""
    patron, item = make_patron(), make_item()
    body = {"barcode": item.barcode, "card": patron.card_number, "library": libs["Lens"].code}
    assert _post(client, "/checkout", body)[0] == 401
    assert client.get(f"{API}/patrons/{patron.card_number}/loans").status_code == 401

    client.force_login(User.objects.create_user("stat", password="x", role="statistician"))
    assert _post(client, "/checkout", body)[0] == 403
    assert client.get(f"{API}/patrons/{patron.card_number}/holds").status_code == 403

    librarian = User.objects.create_user("bib-lens", password="x", role="librarian")
    librarian.libraries.add(libs["Lens"])
    client.force_login(librarian)
    status, answer = _post(client, "/checkout", {**body, "library": libs["Harnes"].code})
    assert (status, answer["code"]) == (403, "forbidden_library")
    assert not Loan.objects.exists()

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(librarian)
    assert _post(strict, "/checkout", body)[0] == 403
    assert not Loan.objects.exists()
