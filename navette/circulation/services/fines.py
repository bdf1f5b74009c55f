"""Fines: payments (desk, kiosk) and waivers, applied to the oldest fines first.

A payment never exceeds what is due: a larger amount is refused with nothing
recorded, so the desk gives change and the ledger never holds a credit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from navette.circulation import locks
from navette.circulation.errors import PaymentRefused
from navette.circulation.models import Fine, FinePayment, PaymentMethod
from navette.circulation.policies import Reason
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_record
from navette.network.models import Library
from navette.network.scope import scope_check
from navette.patrons.models import Patron


@dataclass(frozen=True)
class FinesSettlement:
    #: applied by this payment or waiver
    amount_cents: int
    #: still due afterwards
    due_cents: int
    #: fines now fully settled
    settled: int
    payment: FinePayment | None = None


def _unpaid_locked(patron_id: int) -> list[Fine]:
    """The patron's unsettled fines, oldest first, locked (call after locking the patron)."""
    return list(
        Fine.objects.select_for_update(of=("self",))
        .unpaid()
        .filter(patron_id=patron_id)
        .order_by("created_at", "pk")
    )


def _apply(
    fines: list[Fine], amount_cents: int, field: str, now: dt.datetime
) -> tuple[list[Fine], int]:
    """Spread ``amount_cents`` over ``fines`` (oldest first) into ``field``; return changed, settled."""
    left = amount_cents
    changed: list[Fine] = []
    settled = 0
    for fine in fines:
        if left <= 0:
            break
        part = min(left, fine.due_cents)
        if part <= 0:
            continue
        setattr(fine, field, getattr(fine, field) + part)
        left -= part
        if fine.due_cents == 0:
            fine.paid_at = now
            settled += 1
        changed.append(fine)
    Fine.objects.bulk_update(changed, [field, "paid_at"])
    return changed, settled


def _settle(patron: Patron, amount_cents: int, field: str, now: dt.datetime) -> tuple[int, int]:
    """Lock the patron and their fines, check the amount, spread it; return (due before, settled).

    Call inside the caller's transaction; raises ``PaymentRefused`` before changing anything.
    """
    locks.lock_patron(patron.pk)
    fines = _unpaid_locked(patron.pk)
    due = sum(f.due_cents for f in fines)
    _checked_amount(amount_cents, due)
    _changed, settled = _apply(fines, amount_cents, field, now)
    return due, settled


def _checked_amount(amount_cents: int, due: int) -> None:
    if amount_cents <= 0:
        raise PaymentRefused(Reason.PAYMENT_INVALID, amount_cents=max(amount_cents, 0))
    if due == 0:
        raise PaymentRefused(Reason.NO_FINES_DUE)
    if amount_cents > due:
        raise PaymentRefused(Reason.PAYMENT_EXCEEDS_DUE, amount_cents=amount_cents, due_cents=due)


def _scope(
    *, actor: Actor, library: Library | None, patron: Patron, action: str, now: dt.datetime
) -> None:
    """A staff actor acts at ``library``, or when none is named at the patron's home library
    (else ``OutOfScope``)."""
    scope_check(actor=actor, library_ids=[library.pk if library else patron.home_library_id],
                action=action, now=now, obj=patron)  # fmt: skip


def fines_pay(
    *,
    patron: Patron,
    amount_cents: int,
    method: str,
    library: Library | None,
    actor: Actor,
    now: dt.datetime,
) -> FinesSettlement:
    """Record a payment of ``amount_cents`` towards the patron's fines, oldest first.

    Raises ``PaymentRefused`` (nothing recorded) when nothing is due, when the
    amount is not positive or when it exceeds what is due.
    """
    if method not in PaymentMethod.values:
        raise ValueError(f"unknown payment method {method!r}")
    _scope(actor=actor, library=library, patron=patron, action="fine.pay", now=now)
    with transaction.atomic():
        due, settled = _settle(patron, amount_cents, "paid_cents", now)
        payment = FinePayment.objects.create(
            patron_id=patron.pk,
            amount_cents=amount_cents,
            method=method,
            library=library,
            received_by=actor.label[:150],
            paid_at=now,
        )
        audit_record(
            actor=actor, action=AuditAction.FINE_PAY, now=now,
            library_id=library.pk if library else None, obj=payment,
            data={"patron": patron.pk, "amount_cents": amount_cents, "method": method,
                  "due_after_cents": due - amount_cents},
        )  # fmt: skip
        return FinesSettlement(amount_cents, due - amount_cents, settled, payment)


def fines_waive(
    *,
    patron: Patron,
    amount_cents: int,
    reason: str,
    library: Library | None,
    actor: Actor,
    now: dt.datetime,
) -> FinesSettlement:
    """Waive ``amount_cents`` of the patron's fines (oldest first), with a reason for the audit."""
    reason = reason.strip()
    if not reason:
        raise ValueError("a waiver needs a reason")
    _scope(actor=actor, library=library, patron=patron, action="fine.waive", now=now)
    with transaction.atomic():
        due, settled = _settle(patron, amount_cents, "waived_cents", now)
        audit_record(
            actor=actor, action=AuditAction.FINE_WAIVE, now=now,
            library_id=library.pk if library else None,
            object_type="patron", object_id=patron.pk,
            data={"amount_cents": amount_cents, "reason": reason[:500],
                  "due_after_cents": due - amount_cents},
        )  # fmt: skip
        return FinesSettlement(amount_cents, due - amount_cents, settled)
