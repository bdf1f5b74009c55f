"""The circulation factories leave the rows the services would: copy status follows the loan,
the hold set aside and the transit; a fine is due until paid."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.catalogue.models import ItemStatus
from navette.circulation.models import HoldStatus, Loan, TransitStatus
from tests.circulation.conftest import NOW
from tests.circulation.factories import make_fine, make_hold, make_loan, make_transit

pytestmark = pytest.mark.django_db


def test_make_loan_lends_the_copy(libs, make_patron, make_item):
    item, patron = make_item(), make_patron()
    loan = make_loan(item=item, patron=patron, library=libs["Lens"], now=NOW)
    item.refresh_from_db()
    assert (item.status, loan.returned_at, loan.due_on) == (
        ItemStatus.ON_LOAN, None, dt.date(2025, 3, 25),
    )  # fmt: skip
    assert list(Loan.objects.filter(item=item, returned_at__isnull=True)) == [loan]


def test_make_hold_waits_or_sets_the_copy_aside(libs, make_patron, make_item):
    waiting = make_hold(patron=make_patron(), pickup_library=libs["Lens"], now=NOW,
                        item=make_item())  # fmt: skip
    assert waiting.status == HoldStatus.WAITING and waiting.trapped_item is None
    item = make_item(owner="Harnes")
    ready = make_hold(patron=make_patron(), pickup_library=libs["Lens"], now=NOW, item=item,
                      ready_until=dt.date(2025, 3, 11))  # fmt: skip
    item.refresh_from_db()
    assert (ready.status, ready.trapped_item, item.status, item.current_library) == (
        HoldStatus.READY, item, ItemStatus.ON_HOLD_SHELF, libs["Lens"],
    )  # fmt: skip
    with pytest.raises(ValueError, match="needs a record or an item"):
        make_hold(patron=make_patron(), pickup_library=libs["Lens"], now=NOW)


def test_make_transit_puts_the_copy_in_the_navette(libs, make_item):
    item = make_item(owner="Harnes")
    transit = make_transit(item=item, to_library=libs["Lens"], now=NOW)
    item.refresh_from_db()
    assert (transit.status, transit.from_library, item.status) == (
        TransitStatus.IN_TRANSIT, libs["Harnes"], ItemStatus.IN_TRANSIT,
    )  # fmt: skip


def test_make_fine_is_due_on_a_returned_loan(libs, make_patron, make_item):
    item = make_item()
    fine = make_fine(patron=make_patron(), library=libs["Lens"], amount_cents=150, at=NOW,
                     item=item)  # fmt: skip
    item.refresh_from_db()
    assert (fine.due_cents, fine.loan.returned_at, item.status) == (150, NOW, ItemStatus.AVAILABLE)
