"""The network scenario of the issue, through the services only."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.catalogue.models import ItemStatus
from navette.circulation.errors import RenewalRefused
from navette.circulation.messages import checkin_message
from navette.circulation.models import Hold, HoldStatus, Loan, Transit, TransitStatus
from navette.circulation.selectors import patron_holds, transits_incoming, transits_to_send
from navette.circulation.services import (
    CheckinAction,
    hold_place,
    loan_checkin,
    loan_checkout,
    loan_renew,
    transit_receive,
)
from navette.core.clock import PARIS
from navette.core.models import AuditEvent
from navette.stats.models import CirculationFact

NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=PARIS)

pytestmark = pytest.mark.django_db


def test_lens_patron_harnes_copy_returned_at_avion(libs, make_patron, make_item, actor):
    """A Lens patron holds a title whose only copy (Harnes) is on loan; returned at Avion it goes
    'navette vers Lens'; received at Lens it is on the hold shelf; lent at Lens it fulfils the hold;
    a renewal is then refused while another patron waits."""
    lens, harnes, avion = libs["Lens"], libs["Harnes"], libs["Avion"]
    borrower = make_patron(home="Harnes")
    reader = make_patron(home="Lens", first_name="Zoé", last_name="Lefebvre")
    other = make_patron(home="Avion")
    copy = make_item(owner="Harnes")

    first = loan_checkout(item=copy, patron=borrower, library=harnes, actor=actor, now=NOW)
    hold = hold_place(patron=reader, record=copy.record, pickup_library=lens, actor=actor, now=NOW)
    assert patron_holds(reader)[0].position == 1

    returned_at = NOW + dt.timedelta(days=10)
    result = loan_checkin(item=copy, library=avion, actor=actor, now=returned_at)
    assert result.action == CheckinAction.TRANSIT
    assert checkin_message(result) == "navette vers Lens"
    assert result.destination == lens and result.hold_patron == reader
    first.refresh_from_db()
    assert first.returned_at == returned_at and first.return_library == avion
    copy.refresh_from_db()
    assert copy.status == ItemStatus.IN_TRANSIT
    assert [t.item for t in transits_to_send(avion)] == [copy]
    assert [t.item for t in transits_incoming(lens)] == [copy]
    hold.refresh_from_db()
    assert hold.status == HoldStatus.IN_TRANSIT and hold.trapped_item == copy

    received = transit_receive(
        item=copy, library=lens, actor=actor, now=returned_at + dt.timedelta(days=1)
    )
    assert received.action == CheckinAction.HOLD_SHELF
    assert "Zoé Lefebvre" in checkin_message(received)
    hold.refresh_from_db()
    copy.refresh_from_db()
    assert hold.status == HoldStatus.READY and copy.status == ItemStatus.ON_HOLD_SHELF
    assert copy.current_library == lens
    # ready on Friday 15 March; 7 shelf days -> Saturday 22 (open)
    assert hold.shelf_expires_on == dt.date(2025, 3, 22)
    assert Transit.objects.get().status == TransitStatus.RECEIVED

    loan = loan_checkout(
        item=copy, patron=reader, library=lens, actor=actor, now=returned_at + dt.timedelta(days=2)
    )
    hold.refresh_from_db()
    assert hold.status == HoldStatus.FULFILLED
    assert loan.library == lens

    hold_place(
        patron=other,
        record=copy.record,
        pickup_library=avion,
        actor=actor,
        now=returned_at + dt.timedelta(days=3),
    )
    with pytest.raises(RenewalRefused) as refused:
        loan_renew(loan=loan, actor=actor, now=returned_at + dt.timedelta(days=4))
    assert refused.value.code == "hold_waiting"
    assert refused.value.message == "Prolongation refusée : un autre lecteur a réservé ce document."
    loan.refresh_from_db()
    assert loan.renewals == 0

    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions == [
        "loan.checkout", "hold.place", "loan.checkin", "hold.trap", "transit.send", "transit.receive",
        "loan.checkout", "hold.place",
    ]  # fmt: skip
    facts = CirculationFact.objects.filter(action="loan.checkout").order_by("pk")
    assert [(f.library_id, f.doc_type, f.patron_category, f.age_band) for f in facts] == [
        (harnes.pk, "book", "adulte", "40-64"),
        (lens.pk, "book", "adulte", "40-64"),
    ]
    assert Loan.objects.filter(returned_at__isnull=True).count() == 1
    assert Hold.objects.filter(status=HoldStatus.WAITING).count() == 1
