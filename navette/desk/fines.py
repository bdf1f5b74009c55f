"""Fines at a desk: a payment or a waiver, amounts in cents."""

from __future__ import annotations

import datetime as dt

from navette.circulation.errors import CirculationError
from navette.circulation.services import fines_pay, fines_waive
from navette.core.actors import Actor
from navette.desk.outcomes import Code, Outcome, done, from_error, refused
from navette.network.models import Library
from navette.patrons.models import Patron


def desk_fines_pay(
    *, patron: Patron, amount_cents: int, method: str, library: Library | None, actor: Actor,
    now: dt.datetime,
) -> Outcome:  # fmt: skip
    """Record a payment: ``paid`` with ``amount_cents`` and ``due_cents`` (what is left)."""
    try:
        settlement = fines_pay(patron=patron, amount_cents=amount_cents, method=method,
                               library=library, actor=actor, now=now)  # fmt: skip
    except CirculationError as exc:
        return from_error(exc)
    return done(Code.PAID, amount_cents=settlement.amount_cents, due_cents=settlement.due_cents)


def desk_fines_waive(
    *, patron: Patron, amount_cents: int, reason: str, library: Library | None, actor: Actor,
    now: dt.datetime,
) -> Outcome:  # fmt: skip
    """Waive fines with a reason: ``waived`` with ``amount_cents`` and ``due_cents``."""
    if not reason.strip():
        return refused(Code.WAIVER_NEEDS_REASON)
    try:
        settlement = fines_waive(patron=patron, amount_cents=amount_cents, reason=reason,
                                 library=library, actor=actor, now=now)  # fmt: skip
    except CirculationError as exc:
        return from_error(exc)
    return done(Code.WAIVED, amount_cents=settlement.amount_cents, due_cents=settlement.due_cents)
