"""What the desk prints: a patron's loan receipt, the slip put in a copy set aside for a
hold, the slip of a navette crate. Reads only; each checks that the account may work at
the library the slip is printed for (else ``OutOfScope``, a 403)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from navette.circulation import selectors
from navette.circulation.models import Crate, Hold, Loan, Transit
from navette.circulation.models.loans import TRAPPED_HOLD_STATUSES
from navette.core import clock
from navette.network.models import Library
from navette.network.scope import OutOfScope, user_may_act_at
from navette.patrons.models import Patron


def _check(user: Any, library_ids: list[int | None], action: str) -> None:
    if not any(user_may_act_at(user, pk) for pk in library_ids):
        raise OutOfScope(library_ids=tuple(library_ids), action=action)


@dataclass(frozen=True)
class LoanReceipt:
    """A patron's open loans, soonest due first, printed at ``library`` at ``printed_at``;
    ``lent_today`` holds the keys of the loans made that day."""

    patron: Patron
    library: Library
    loans: list[Loan]
    printed_at: dt.datetime
    lent_today: frozenset[int]


def loan_receipt(*, user: Any, patron: Patron, library: Library, now: dt.datetime) -> LoanReceipt:
    """The receipt of ``patron``'s loans, given at the desk of ``library``."""
    _check(user, [library.pk], "receipt.print")
    loans = list(selectors.patron_loans(patron))
    today = clock.today(now)
    lent_today = frozenset(loan.pk for loan in loans if clock.today(loan.loaned_at) == today)
    return LoanReceipt(patron=patron, library=library, printed_at=now, loans=loans,
                       lent_today=lent_today)  # fmt: skip


def hold_slip(*, user: Any, hold_id: int) -> Hold | None:
    """The hold a copy was set aside for (on the hold shelf or on its way), to print the slip
    put in the copy; None when no such hold is set aside."""
    hold = (
        Hold.objects.select_related("patron", "record", "trapped_item", "pickup_library")
        .filter(pk=hold_id, status__in=TRAPPED_HOLD_STATUSES, trapped_item__isnull=False)
        .first()
    )
    if hold is None:
        return None
    item = hold.trapped_item
    assert item is not None
    _check(user, [hold.pickup_library_id, item.current_library_id], "hold_slip.print")
    return hold


@dataclass(frozen=True)
class CrateSlip:
    """The copies of one crate from ``from_library`` to ``to_library``; ``crate`` is None
    while it has not left (the slip printed to pack it)."""

    from_library: Library
    to_library: Library
    transits: list[Transit]
    crate: Crate | None = None


def crate_slip_to_pack(*, user: Any, library: Library, to_code: str) -> CrateSlip | None:
    """The slip of the crate ``library`` packs for the library ``to_code``; None when that
    library does not exist."""
    _check(user, [library.pk], "crate.print")
    to_library = Library.objects.filter(code=to_code).first()
    if to_library is None:
        return None
    pack = selectors.crate_to_pack(library, to_library)
    return CrateSlip(from_library=library, to_library=to_library, transits=pack.transits)


def crate_slip_sent(*, user: Any, crate_id: int) -> CrateSlip | None:
    """The slip of a crate that left (to print it again); None when there is no such crate."""
    crate = Crate.objects.select_related("from_library", "to_library").filter(pk=crate_id).first()
    if crate is None:
        return None
    _check(user, [crate.from_library_id, crate.to_library_id], "crate.print")
    transits = list(
        crate.transits.select_related("item__record", "hold__patron").order_by("sent_at", "pk")
    )
    return CrateSlip(from_library=crate.from_library, to_library=crate.to_library,
                     transits=transits, crate=crate)  # fmt: skip
