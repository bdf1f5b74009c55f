"""Navette crates: the copies a library sends to another, grouped per destination, and the
departure of each crate recorded (scoped to the sending library, audited)."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.circulation import selectors
from navette.circulation.errors import TransitRefused
from navette.circulation.models import Crate, Transit, TransitStatus
from navette.circulation.reasons import Reason
from navette.circulation.services import crate_send, hold_place, loan_checkin, transit_receive
from navette.core.actors import Actor
from navette.core.models import AuditEvent, Role, User
from navette.network.scope import OutOfScope
from tests.circulation.conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_navette(libs, make_patron, make_item, actor):
    """``in_navette(from_, to)``: a copy of ``from_`` trapped at ``from_`` for a hold
    collected at ``to``, so put in the navette from ``from_`` to ``to``."""

    def make(from_: str, to: str) -> Transit:
        item = make_item(owner=from_)
        hold_place(patron=make_patron(home=to), record=item.record, pickup_library=libs[to],
                   actor=actor, now=NOW)  # fmt: skip
        loan_checkin(item=item, library=libs[from_], actor=actor, now=NOW)
        return Transit.objects.get(item=item, status=TransitStatus.IN_TRANSIT)

    return make


def test_copies_to_send_are_grouped_by_destination_in_french_order(libs, in_navette):
    """Two copies for Méricourt and one for Avion leave Lens: two crates, Avion first, then
    Méricourt with its two copies in the order they were put in the navette."""
    first, second = in_navette("Lens", "Méricourt"), in_navette("Lens", "Méricourt")
    avion = in_navette("Lens", "Avion")
    in_navette("Harnes", "Avion")  # another library's navette

    crates = selectors.crates_to_pack(libs["Lens"])

    assert [(c.to_library.commune, [t.pk for t in c.transits]) for c in crates] == [
        ("Avion", [avion.pk]),
        ("Méricourt", [first.pk, second.pk]),
    ]


def test_a_crate_leaves_with_the_copies_of_its_slip_and_is_received_copy_by_copy(
    libs, in_navette, actor
):
    """The crate for Méricourt leaves with the two copies listed on its slip: a crate row,
    the copies no longer to send, an audit entry naming them; a copy put in the navette
    after the slip was printed stays to send. At Méricourt each copy is received as before."""
    first, second = in_navette("Lens", "Méricourt"), in_navette("Lens", "Méricourt")
    later = in_navette("Lens", "Méricourt")
    at = NOW + dt.timedelta(hours=2)

    crate = crate_send(from_library=libs["Lens"], to_library=libs["Méricourt"],
                       transit_ids=[first.pk, second.pk], actor=actor, now=at)  # fmt: skip

    assert (crate.from_library, crate.to_library, crate.sent_at) == (
        libs["Lens"], libs["Méricourt"], at,
    )  # fmt: skip
    assert sorted(crate.transits.values_list("pk", flat=True)) == [first.pk, second.pk]
    assert list(selectors.transits_to_send(libs["Lens"])) == [later]
    event = AuditEvent.objects.get(action="crate.send")
    assert (event.library_id, event.object_id) == (libs["Lens"].pk, str(crate.pk))
    assert event.data == {
        "to": libs["Méricourt"].pk,
        "items": [first.item.barcode, second.item.barcode],
    }
    transit_receive(item=first.item, library=libs["Méricourt"], actor=actor, now=at)
    first.refresh_from_db()
    assert (first.status, first.crate_id) == (TransitStatus.RECEIVED, crate.pk)


def test_a_crate_with_nothing_left_to_send_is_refused_and_nothing_is_written(
    libs, in_navette, actor
):
    """The slip's copies already left in another crate (or for another library): the
    departure is refused (crate_empty) and no crate or audit entry is written."""
    sent = in_navette("Lens", "Avion")
    crate_send(from_library=libs["Lens"], to_library=libs["Avion"], transit_ids=[sent.pk],
               actor=actor, now=NOW)  # fmt: skip
    other = in_navette("Lens", "Harnes")

    with pytest.raises(TransitRefused) as refused:
        crate_send(from_library=libs["Lens"], to_library=libs["Avion"],
                   transit_ids=[sent.pk, other.pk], actor=actor, now=NOW)  # fmt: skip

    assert refused.value.reason == Reason.CRATE_EMPTY
    assert Crate.objects.count() == 1
    assert AuditEvent.objects.filter(action="crate.send").count() == 1
    assert Transit.objects.get(pk=other.pk).crate_id is None


def test_only_staff_of_the_sending_library_record_its_crate(libs, in_navette):
    """A librarian of Avion cannot record the departure of Lens's crate: refused
    (OutOfScope) and audited, the copies stay to send."""
    transit = in_navette("Lens", "Avion")
    librarian = User.objects.create_user("bib-avion", password="x", role=Role.LIBRARIAN)
    librarian.libraries.add(libs["Avion"])

    with pytest.raises(OutOfScope):
        crate_send(from_library=libs["Lens"], to_library=libs["Avion"], transit_ids=[transit.pk],
                   actor=Actor.staff(librarian), now=NOW)  # fmt: skip

    assert Crate.objects.count() == 0
    assert AuditEvent.objects.filter(action="scope.refused").count() == 1
    assert Transit.objects.get(pk=transit.pk).crate_id is None
