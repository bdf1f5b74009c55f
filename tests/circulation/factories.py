"""Circulation factories: rules, loans, holds, transits and fines in consistent states.

Loans and transits go through the real services (the copy's status, the audit and the
statistics follow); returned loans with a fine and holds are written through the ORM
with the copy in the state the services would leave it.
"""

from __future__ import annotations

import datetime as dt

from navette.catalogue.models import Item, ItemStatus, Record
from navette.circulation.models import (
    CirculationSettings,
    Fine,
    Hold,
    HoldStatus,
    Loan,
    LoanRule,
    Transit,
)
from navette.circulation.services import loan_checkout
from navette.circulation.services.routing import send_in_navette
from navette.core.actors import Actor
from navette.network.models import Library, Network
from navette.patrons.models import Patron
from tests.catalogue.factories import make_item

STAFF = Actor.system("tests")


def make_loan_rules(*, network: Network) -> LoanRule:
    """The network-wide rules of the tests (21 days, 2 renewals, 20 loans, holds allowed;
    5 videos, 2 video games) and the network's circulation settings; returns the main rule."""
    rule = LoanRule.objects.create(
        loan_days=21, max_renewals=2, renew_when_waiting=False, max_loans=20, holds_allowed=True,
        max_holds=10, hold_shelf_days=7,
    )  # fmt: skip
    LoanRule.objects.create(doc_type="video", max_loans=5)
    LoanRule.objects.create(doc_type="video_game", max_loans=2)
    CirculationSettings.objects.get_or_create(network=network)
    return rule


def make_loan(
    *,
    patron: Patron,
    library: Library,
    now: dt.datetime,
    item: Item | None = None,
    actor: Actor = STAFF,
) -> Loan:
    """Lend ``item`` (by default a new copy of ``library``) through ``loan_checkout``."""
    item = item or make_item(library=library)
    return loan_checkout(item=item, patron=patron, library=library, actor=actor, now=now)


def make_fine(
    *,
    patron: Patron,
    library: Library,
    amount_cents: int,
    at: dt.datetime,
    item: Item | None = None,
    days_late: int = 5,
) -> Fine:
    """An unpaid fine of ``amount_cents`` created at ``at``, on a 30-day loan returned then,
    ``days_late`` days after its due date (the copy is back on the shelf)."""
    item = item or make_item(library=library)
    loan = Loan.objects.create(
        item=item, patron=patron, library=library, doc_type=item.record.doc_type,
        loaned_at=at - dt.timedelta(days=30), due_on=(at - dt.timedelta(days=days_late)).date(),
        returned_at=at,
    )  # fmt: skip
    return Fine.objects.create(patron=patron, loan=loan, amount_cents=amount_cents, created_at=at)


def make_hold(
    *,
    patron: Patron,
    pickup_library: Library,
    now: dt.datetime,
    record: Record | None = None,
    item: Item | None = None,
    ready_until: dt.date | None = None,
) -> Hold:
    """A hold on ``record`` (or on the copy ``item``) waiting for a copy or, with
    ``ready_until``, ready on the pickup shelf: the copy ``item`` is then set aside there."""
    if record is None:
        if item is None:
            raise ValueError("make_hold needs a record or an item")
        record = item.record
    if ready_until is None:
        return Hold.objects.create(
            patron=patron, record=record, item=item, pickup_library=pickup_library, placed_at=now,
        )  # fmt: skip
    if item is None:
        raise ValueError("a ready hold needs the copy set aside (item)")
    Item.objects.filter(pk=item.pk).update(
        status=ItemStatus.ON_HOLD_SHELF, current_library=pickup_library
    )
    item.refresh_from_db()
    return Hold.objects.create(
        patron=patron, record=record, pickup_library=pickup_library, status=HoldStatus.READY,
        placed_at=now, trapped_item=item, trapped_at=now, ready_at=now,
        shelf_expires_on=ready_until,
    )  # fmt: skip


def make_transit(
    *,
    item: Item,
    to_library: Library,
    now: dt.datetime,
    hold: Hold | None = None,
    actor: Actor = STAFF,
) -> Transit:
    """Put ``item`` in the navette from where it is to ``to_library`` (the real routing step)."""
    return send_in_navette(
        item=item, to_library=to_library, from_library=item.current_library, hold=hold,
        actor=actor, now=now,
    )  # fmt: skip
