"""The desk's offline file: uploaded, replayed in time order, conflicts listed."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.circulation.models import Loan, OfflineTransaction
from navette.circulation.services import loan_checkout
from navette.core.clock import PARIS
from navette.core.models import User

NOW = dt.datetime(2025, 3, 4, 15, 0, tzinfo=PARIS)
pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, libs, clock_at):
    clock_at(NOW)
    user = User.objects.create_user("bib", password="x", role="librarian")
    user.libraries.add(libs["Lens"])
    client.force_login(user)
    return client


def test_an_offline_file_is_replayed_and_its_conflict_listed(desk, libs, make_patron, make_item,
                                                            actor):  # fmt: skip
    """The morning's file (a loan, a return, a loan of a copy the desk lent since) is
    replayed at the desk's library as at its times; the conflict is listed with its reason."""
    patron, other = make_patron(), make_patron()
    lent, back, clash = make_item(), make_item(), make_item()
    loan_checkout(item=back, patron=other, library=libs["Lens"], actor=actor,
                  now=dt.datetime(2025, 3, 1, 10, tzinfo=PARIS))  # fmt: skip
    loan_checkout(item=clash, patron=other, library=libs["Lens"], actor=actor,
                  now=dt.datetime(2025, 3, 4, 12, tzinfo=PARIS))  # fmt: skip
    text = (
        f"2025-03-04T10:00;pret;{patron.card_number};{lent.barcode}\n"
        f"2025-03-04T10:05;retour;{back.barcode}\n"
        f"2025-03-04T10:10;pret;{patron.card_number};{clash.barcode}\n"
    )
    page = desk.post("/personnel/circulation/hors-ligne/",
                     {"texte": text, "bibliotheque": libs["Lens"].code})  # fmt: skip
    html = page.content.decode()
    assert page.status_code == 200
    assert "2 opérations appliquées, 0 sans objet, 1 conflit à traiter." in html
    assert "document prêté entre-temps à l&#x27;accueil" in html and clash.barcode in html
    loan = Loan.objects.get(item=lent)
    assert (loan.patron, loan.loaned_at) == (patron, dt.datetime(2025, 3, 4, 10, tzinfo=PARIS))
    assert Loan.objects.get(item=back).returned_at == dt.datetime(2025, 3, 4, 10, 5, tzinfo=PARIS)
    assert Loan.objects.get(item=clash).patron == other
    assert OfflineTransaction.objects.filter(source="upload").count() == 3


def test_a_file_with_a_bad_line_is_refused_whole(desk, libs, make_patron, make_item):
    """One unreadable line: nothing is replayed, and the page names the line and the fault."""
    item = make_item()
    text = f"2025-03-04T10:00;retour;{item.barcode}\nhier;pret;123;{item.barcode}\n"
    page = desk.post("/personnel/circulation/hors-ligne/", {"texte": text})
    assert page.status_code == 400
    assert "ligne 2 : date illisible" in page.content.decode()
    assert not OfflineTransaction.objects.exists()
