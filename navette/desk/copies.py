"""Copies at a desk: edit (transfer included), withdraw."""

from __future__ import annotations

import datetime as dt
from typing import Any

from navette.catalogue import services
from navette.catalogue.models import Item
from navette.core.actors import Actor
from navette.core.errors import DomainError
from navette.desk.outcomes import Code, Outcome, done, from_error


def desk_copy_update(*, item: Item, actor: Actor, now: dt.datetime, **changes: Any) -> Outcome:
    """Change a copy's description (its owning library too): ``copy_updated`` with ``barcode``;
    a refused change keeps the catalogue's code (``barcode_in_use``, ``status_not_editable``)
    and ``field`` when it concerns one."""
    try:
        updated = services.item_update(item=item, actor=actor, now=now, **changes)
    except DomainError as exc:
        return from_error(exc, field="barcode" if "barcode" in exc.code else None)
    return done(Code.COPY_UPDATED, barcode=updated.barcode, item=updated)


def desk_copy_withdraw(*, item: Item, reason: str, actor: Actor, now: dt.datetime) -> Outcome:
    """Withdraw a copy: ``copy_withdrawn`` with ``barcode``."""
    try:
        services.item_withdraw(item=item, actor=actor, now=now, reason=reason.strip())
    except DomainError as exc:
        return from_error(exc, barcode=item.barcode)
    return done(Code.COPY_WITHDRAWN, barcode=item.barcode)
