"""Patrons at a desk: the PIN, blocking and lifting blocks."""

from __future__ import annotations

import datetime as dt

from navette.core.actors import Actor
from navette.core.errors import DomainError
from navette.desk.outcomes import Code, Outcome, done, from_error
from navette.patrons.blocks import patron_block, patron_unblock
from navette.patrons.models import Patron
from navette.patrons.services import patron_set_pin


def desk_pin_set(*, patron: Patron, pin: str, actor: Actor, now: dt.datetime) -> Outcome:
    """Set the patron's PIN: ``pin_set`` with the ``pin`` to hand over once."""
    try:
        patron_set_pin(patron=patron, secret=pin, actor=actor, now=now)
    except DomainError as exc:
        return from_error(exc, message=exc.message)
    return done(Code.PIN_SET, pin=pin)


def desk_patron_block(*, patron: Patron, reason: str, actor: Actor, now: dt.datetime) -> Outcome:
    """Block the card with ``reason``: ``card_blocked`` with ``reason``."""
    block = patron_block(patron=patron, reason=reason, actor=actor, now=now)
    return done(Code.CARD_BLOCKED, reason=block.reason, patron=patron)


def desk_patron_enable(*, patron: Patron, actor: Actor, now: dt.datetime) -> Outcome:
    """Lift the blocks ``actor`` may lift (a machine: those machines placed):
    ``card_enabled`` with ``lifted`` (how many)."""
    lifted = patron_unblock(patron=patron, actor=actor, now=now)
    return done(Code.CARD_ENABLED, lifted=lifted, patron=patron)
