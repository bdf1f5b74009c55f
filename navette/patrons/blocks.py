"""Blocking a card: a manual block with its reason (lost card, card swallowed by a kiosk...).

Added by the SIP2 work (message 01 "block patron"); the desk may use it too.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from navette.core.actions import AuditAction
from navette.core.actors import Actor, ActorKind
from navette.core.audit import audit_record
from navette.patrons.models import Patron, PatronBlock


def patron_block(*, patron: Patron, reason: str, actor: Actor, now: dt.datetime) -> PatronBlock:
    """Put a block on ``patron``'s card; every loan, renewal and hold is then refused.

    Side effects: one ``PatronBlock`` row and one audit event, in one transaction.
    """
    with transaction.atomic():
        block = PatronBlock.objects.create(
            patron=patron, reason=reason[:200], created_at=now, created_by=actor.label[:150],
            by_machine=actor.kind == ActorKind.KIOSK,
        )  # fmt: skip
        audit_record(
            actor=actor,
            action=AuditAction.PATRON_BLOCK,
            now=now,
            obj=patron,
            data={"reason": block.reason},
        )
    return block


def patron_unblock(*, patron: Patron, actor: Actor, now: dt.datetime) -> int:
    """Lift the blocks on ``patron``'s card that ``actor`` may lift: a self-service
    machine only those a machine placed (a card swallowed, then given back), staff all.
    Returns how many were lifted (lifted blocks stay as history).

    Side effects: the blocks' ``lifted_at`` and, when any was lifted, one audit event,
    in one transaction.
    """
    with transaction.atomic():
        blocks = PatronBlock.objects.filter(patron=patron, lifted_at__isnull=True)
        if actor.kind == ActorKind.KIOSK:
            blocks = blocks.filter(by_machine=True)
        lifted = blocks.update(lifted_at=now)
        if lifted:
            audit_record(
                actor=actor, action=AuditAction.PATRON_UNBLOCK, now=now, obj=patron,
                data={"lifted": lifted},
            )  # fmt: skip
    return lifted
