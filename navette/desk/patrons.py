"""Patrons at a desk: the PIN."""

from __future__ import annotations

import datetime as dt

from navette.core.actors import Actor
from navette.core.errors import DomainError
from navette.desk.outcomes import Code, Outcome, done, from_error
from navette.patrons.models import Patron
from navette.patrons.services import patron_set_pin


def desk_pin_set(*, patron: Patron, pin: str, actor: Actor, now: dt.datetime) -> Outcome:
    """Set the patron's PIN: ``pin_set`` with the ``pin`` to hand over once."""
    try:
        patron_set_pin(patron=patron, secret=pin, actor=actor, now=now)
    except DomainError as exc:
        return from_error(exc)
    return done(Code.PIN_SET, pin=pin)
