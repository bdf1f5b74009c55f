"""Patrons at a desk: registration, membership, card, PIN, blocking and lifting blocks. The
patron services check that a librarian works at the patron's home library (``OutOfScope``,
audited)."""

from __future__ import annotations

import datetime as dt

from navette.core.actors import Actor
from navette.core.errors import DomainError
from navette.desk.outcomes import Code, Outcome, done, from_error
from navette.network.models import Library
from navette.patrons.blocks import patron_block, patron_unblock
from navette.patrons.models import Patron, PatronCategory
from navette.patrons.services import (
    ContactDetails,
    patron_register,
    patron_renew_membership,
    patron_replace_card,
    patron_set_pin,
)


def desk_patron_register(
    *, first_name: str, last_name: str, birth_date: dt.date | None, contact: ContactDetails,
    category: PatronCategory, home_library: Library, card_number: str, allow_duplicate: bool,
    actor: Actor, now: dt.datetime,
) -> Outcome:  # fmt: skip
    """Register a patron at ``home_library``: ``patron_registered`` with ``patron``; refused
    with the patrons' code (``duplicate_suspected`` with ``duplicates``, ``card_number_taken``
    with ``number``...)."""
    try:
        patron = patron_register(
            first_name=first_name, last_name=last_name, birth_date=birth_date, contact=contact,
            category=category, home_library=home_library, card_number=card_number, actor=actor,
            now=now, allow_duplicate=allow_duplicate,
        )  # fmt: skip
    except DomainError as exc:
        return from_error(exc)
    return done(Code.PATRON_REGISTERED, patron=patron, name=patron.full_name,
                card=patron.card_number)  # fmt: skip


def desk_membership_renew(*, patron: Patron, actor: Actor, now: dt.datetime) -> Outcome:
    """Extend the patron's membership: ``membership_renewed`` with ``until`` (a day)."""
    until = patron_renew_membership(patron=patron, actor=actor, now=now)
    return done(Code.MEMBERSHIP_RENEWED, until=until)


def desk_card_replace(
    *, patron: Patron, new_number: str, reason: str, actor: Actor, now: dt.datetime
) -> Outcome:
    """Give the patron a new card: ``card_replaced`` with ``card``; refused with the patrons'
    code (``new_card_number_missing``, ``card_number_taken``)."""
    try:
        patron_replace_card(patron=patron, new_number=new_number, reason=reason, actor=actor,
                            now=now)  # fmt: skip
    except DomainError as exc:
        return from_error(exc)
    return done(Code.CARD_REPLACED, card=patron.card_number)


def desk_pin_set(*, patron: Patron, pin: str, actor: Actor, now: dt.datetime) -> Outcome:
    """Set the patron's PIN: ``pin_set`` with the ``pin`` to hand over once."""
    try:
        patron_set_pin(patron=patron, secret=pin, actor=actor, now=now)
    except DomainError as exc:
        return from_error(exc)
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
