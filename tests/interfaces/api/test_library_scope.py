"""The circulation API acts only where the account works: an Avion librarian is refused
(403 ``forbidden_library``, audited, nothing changed) on Lens loans and at the Lens desk; a
Lens librarian and a network administrator are not."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.circulation.models import Loan
from navette.circulation.services import loan_checkout
from navette.core.clock import PARIS
from navette.core.models import AuditEvent

NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=PARIS)
API = "/api/circulation"
pytestmark = pytest.mark.django_db
WHO = ["avion", "lens", "admin"]


@pytest.fixture
def login(client, staff_user, clock_at):
    clock_at(NOW)

    def as_(who: str):  # type: ignore[no-untyped-def]
        client.force_login(staff_user(who))
        return client

    return as_


def _post(client, path: str, body: dict):  # type: ignore[no-untyped-def]
    resp = client.post(f"{API}{path}", body, content_type="application/json")
    return resp.status_code, resp.json()


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("by", ["barcode", "loan"])
def test_renewing_a_lens_loan_without_naming_a_library(login, who, by, libs, make_patron,
                                                        make_item, actor):  # fmt: skip
    """Without a library in the body the renewal happens at the lending library: refused to
    a librarian who does not work there."""
    item = make_item(owner="Lens")
    loan = loan_checkout(
        item=item, patron=make_patron(), library=libs["Lens"], actor=actor, now=NOW
    )
    body = {"barcode": item.barcode} if by == "barcode" else {"loan": loan.pk}
    status, answer = _post(login(who), "/renew", body)
    loan.refresh_from_db()
    if who == "avion":
        assert status == 403 and answer["code"] == "forbidden_library", answer
        assert loan.renewals == 0
        event = AuditEvent.objects.get(action="scope.refused")
        assert event.data["attempted"] == "loan.renew" and event.library_id == libs["Lens"].pk
    else:
        assert status == 200 and answer["renewals"] == 1 and loan.renewals == 1


@pytest.mark.parametrize("who", WHO)
def test_lending_and_returning_at_lens(login, who, libs, make_patron, make_item):
    """Lending and returning at the Lens desk through the API: Lens staff and administrators."""
    client = login(who)
    item, patron = make_item(owner="Lens"), make_patron()
    lend = {"barcode": item.barcode, "card": patron.card_number, "library": libs["Lens"].code}
    status, answer = _post(client, "/checkout", lend)
    if who == "avion":
        assert status == 403 and answer["code"] == "forbidden_library"
        assert not Loan.objects.filter(item=item).exists()
        return
    assert status == 201, answer
    status, answer = _post(
        client, "/checkin", {"barcode": item.barcode, "library": libs["Lens"].code}
    )
    assert status == 200 and not Loan.objects.filter(item=item, returned_at__isnull=True).exists()
