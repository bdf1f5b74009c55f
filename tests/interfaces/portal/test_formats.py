"""Dates and amounts on a portal page follow the reader's language: the account page in
French and in English."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest

from navette.catalogue.models import Item, Record
from navette.circulation.models import Fine, Loan
from navette.circulation.services import fines_pay
from navette.core.actors import Actor
from tests.patrons.factories import NOW, make_patron

pytestmark = pytest.mark.django_db


def _text(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return re.sub(r"\s+", " ", unescape(response.content.decode()))


@pytest.fixture
def account(client, clock_at):  # type: ignore[no-untyped-def]
    """A logged-in patron with a loan due on Tuesday 1 December 2026 and 1,20 € of fines
    left, from a late return recorded on 1 March 2026."""
    clock_at(NOW)
    patron = make_patron(now=NOW)
    home = patron.home_library
    record = Record.objects.create(flavour="unimarc", marc={}, title="Le Horla", doc_type="book")
    late = Item.objects.create(record=record, barcode="B-LATE", owning_library=home,
                               current_library=home)  # fmt: skip
    returned = Loan.objects.create(
        item=late, patron=patron, library=home, doc_type="book",
        loaned_at=dt.datetime(2026, 1, 20, 10, tzinfo=dt.UTC), due_on=dt.date(2026, 2, 10),
        returned_at=dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC),
    )  # fmt: skip
    Fine.objects.create(patron=patron, loan=returned, amount_cents=200,
                        created_at=returned.returned_at)  # fmt: skip
    fines_pay(patron=patron, amount_cents=80, method="cash", library=None,
              actor=Actor.system("tests"), now=NOW)  # fmt: skip
    lent = Item.objects.create(record=record, barcode="B-OUT", owning_library=home,
                               current_library=home)  # fmt: skip
    Loan.objects.create(
        item=lent, patron=patron, library=home, doc_type="book", loaned_at=NOW,
        due_on=dt.date(2026, 12, 1),
    )  # fmt: skip
    response = client.post(
        "/compte/connexion/", {"card_number": patron.card_number, "pin": "1234", "next": "/compte/"}
    )
    assert response.status_code == 302
    return client


def test_account_page_in_french_shows_french_dates_and_euros(account):
    """French: "1er", weekday and month in words, decimal comma and the euro sign after."""
    page = _text(account.get("/compte/"))
    assert '<html lang="fr">' in page
    assert "À rendre le mardi 1er décembre 2026" in page
    assert "Amendes à régler : 1,20 €" in page
    assert "1,20 € — retour en retard de « Le Horla » le 01/03/2026" in page


def test_account_page_in_english_shows_english_dates_and_euros(account):
    """The same page after choosing English: English month order and words, decimal point,
    the euro sign first, the day before the month turned round in the short date."""
    assert account.post("/i18n/setlang/", {"language": "en", "next": "/compte/"}).status_code == 302
    page = _text(account.get("/compte/"))
    assert '<html lang="en">' in page
    assert "Due on Tuesday, December 1, 2026" in page
    assert "Fines to pay: €1.20" in page
    assert "€1.20 — “Le Horla” returned late on 03/01/2026" in page
    assert "décembre" not in page and "1,20" not in page
