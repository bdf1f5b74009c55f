"""The desk layer: identifiers as typed or scanned are normalised once, and every use case
answers a code with data (days, libraries, cents), never a sentence."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.circulation.models import Fine
from navette.circulation.reasons import Reason
from navette.circulation.services import CheckinKind
from navette.core.clock import PARIS
from navette.desk.fines import desk_fines_pay, desk_fines_waive
from navette.desk.identifiers import item_by_barcode, normal_card, patron_by_card
from navette.desk.loans import desk_checkin, desk_checkout, desk_renew, desk_renew_all
from navette.desk.outcomes import Code

NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=PARIS)
pytestmark = pytest.mark.django_db


def test_identifiers_are_normalised_once(make_patron, make_item):
    """A card typed in groups and a barcode with a scanner's spaces find their patron and
    copy; empty input finds nothing."""
    patron, item = make_patron(), make_item()
    spaced = f" {patron.card_number[:3]} {patron.card_number[3:]}\t"
    assert normal_card(spaced) == patron.card_number
    assert patron_by_card(spaced) == patron
    assert item_by_barcode(f"  {item.barcode} \n") == item
    assert patron_by_card("  ") is None and item_by_barcode(None) is None


def test_lending_returning_and_renewing_answer_codes_and_data(libs, make_patron, make_item,
                                                                actor):  # fmt: skip
    """Lent: the due day as a date; lent again: the rule's code; returned: where the copy
    goes as a kind; renewed: the new due day; unknown copy: its code and the barcode."""
    patron, item = make_patron(), make_item(owner="Lens")
    lens = libs["Lens"]
    lent = desk_checkout(barcode=f" {item.barcode} ", card=patron.card_number, library=lens,
                         actor=actor, now=NOW)  # fmt: skip
    assert (lent.ok, lent.code, lent.data["due_on"]) == (True, Code.LENT, dt.date(2025, 3, 25))
    again = desk_checkout(barcode=item.barcode, patron=patron, library=lens, actor=actor, now=NOW)
    assert (again.ok, again.code) == (False, Reason.ITEM_ALREADY_LENT_TO_PATRON)
    assert not any(isinstance(v, str) and " " in v for v in again.data.values())
    renewed = desk_renew(barcode=item.barcode, library=None, actor=actor, now=NOW)
    assert renewed.code == Code.RENEWED and renewed.data["due_on"] == dt.date(2025, 3, 25)
    everything = desk_renew_all(patron=patron, library=lens, actor=actor, now=NOW)
    assert [r.code for r in everything.results] == [Code.RENEWED]
    back = desk_checkin(barcode=item.barcode, library=libs["Avion"], actor=actor, now=NOW)
    assert back.code == Code.RETURNED
    assert back.data["result"].kind in (CheckinKind.TRANSIT_HOME, CheckinKind.SHELVE)
    unknown = desk_checkin(barcode=" NOPE ", library=lens, actor=actor, now=NOW)
    assert (unknown.ok, unknown.code, unknown.data) == (
        False,
        Code.ITEM_NOT_FOUND,
        {"barcode": "NOPE"},
    )
    nobody = desk_checkout(barcode=item.barcode, card="0000", library=lens, actor=actor, now=NOW)
    assert (nobody.code, nobody.data) == (Code.CARD_NOT_FOUND, {"card": "0000"})


def test_fines_answer_amounts_in_cents(libs, make_patron, make_item, actor):
    """A payment answers what was paid and what is left, in cents; a payment above what is
    due is refused with both amounts as data; a waiver needs a reason."""
    patron = make_patron()
    loan = desk_checkout(barcode=make_item().barcode, patron=patron, library=libs["Lens"],
                         actor=actor, now=NOW).data["loan"]  # fmt: skip
    Fine.objects.create(patron=patron, loan=loan, amount_cents=450, created_at=NOW)
    paid = desk_fines_pay(patron=patron, amount_cents=200, method="cash", library=None,
                          actor=actor, now=NOW)  # fmt: skip
    assert (paid.code, paid.data) == (Code.PAID, {"amount_cents": 200, "due_cents": 250})
    over = desk_fines_pay(patron=patron, amount_cents=999, method="cash", library=None,
                          actor=actor, now=NOW)  # fmt: skip
    assert over.code == Reason.PAYMENT_EXCEEDS_DUE
    assert (over.data["amount_cents"], over.data["due_cents"]) == (999, 250)
    unexplained = desk_fines_waive(patron=patron, amount_cents=50, reason=" ", library=None,
                                   actor=actor, now=NOW)  # fmt: skip
    assert unexplained.code == Code.WAIVER_NEEDS_REASON
