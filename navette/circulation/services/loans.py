"""Lending, returning and renewing, at any library of the network."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from navette.catalogue.models import Item, ItemStatus
from navette.circulation import locks, store
from navette.circulation.errors import (
    CheckoutRefused,
    CirculationError,
    PatronRefused,
    RenewalRefused,
)
from navette.circulation.models import Fine, Hold, HoldStatus, Loan
from navette.circulation.models.loans import TRAPPED_HOLD_STATUSES
from navette.circulation.policies import (
    Decision,
    ItemFacts,
    Reason,
    check_checkout,
    check_patron,
    check_renewal,
    hold_is_suspended,
    overdue_penalty,
)
from navette.circulation.services._common import (
    library_schedule,
    make_fact,
    network_settings,
    patron_facts,
    record_fact,
    rule_for,
    rule_rows,
    snapshot_from_rows,
)
from navette.circulation.services.routing import (
    CheckinAction,
    CheckinKind,
    CheckinResult,
    route_item,
)
from navette.circulation.services.transits import receive_locked
from navette.core import clock
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_record
from navette.core.outbox import enqueue_record
from navette.core.rows import append as append_row
from navette.network.models import Library
from navette.network.scope import scope_check
from navette.patrons.models import Patron
from navette.stats.models import CirculationAction, CirculationFact

PATRON_REASONS = {
    Reason.CARD_EXPIRED,
    Reason.PATRON_BLOCKED,
    Reason.PATRON_SUSPENDED,
    Reason.FINES_DUE,
}


#: the database's backstop against two open loans of one copy (models.loans)
ONE_OPEN_LOAN = "loan_one_open_per_item"


def _the(rows: list[Any], model: type[Any], pk: int) -> Any:
    """The one row a locked read by key found, or the model's ``DoesNotExist``."""
    if not rows:
        raise model.DoesNotExist(f"{model.__name__} {pk}")
    return rows[0]


def _raise(decision: Decision, error: type[CirculationError]) -> None:
    cls = PatronRefused if decision.reason in PATRON_REASONS else error
    raise cls(decision.reason, **dict(decision.context or {}))


def loan_checkout(
    *, item: Item, patron: Patron, library: Library, actor: Actor, now: dt.datetime
) -> Loan:
    """Lend ``item`` to ``patron`` at ``library``.

    Locks patron then copy then holds, re-checks everything under lock. When the
    copy is set aside for this patron (or the patron waits on its title), the
    loan fulfils that hold. Raises ``PatronRefused`` or ``CheckoutRefused``
    (nothing changed), ``OutOfScope`` when a staff actor may not act at ``library``.
    Appends an audit event and a statistics fact.
    """
    scope_check(actor=actor, library_ids=[library.pk], action="loan.checkout", now=now, obj=item)
    try:
        return _checkout(item=item, patron=patron, library=library, actor=actor, now=now)
    except IntegrityError as exc:
        # another desk lent the copy between our read and our write (the copy's row lock
        # makes this a backstop: the one-open-loan-per-copy constraint)
        if ONE_OPEN_LOAN in str(exc) or "circulation_loan.item_id" in str(exc):
            raise CheckoutRefused(Reason.ITEM_ON_LOAN) from exc
        raise


def _checkout(
    *, item: Item, patron: Patron, library: Library, actor: Actor, now: dt.datetime
) -> Loan:
    today = clock.today(now)
    db = store.current()
    # the loan, copy, outbox, audit and statistics writes go as one statement
    with db.atomic():
        settings = network_settings(library.network_id)
        # one round trip: lock the patron, then the copy, then read (after the locks) the
        # blocks, fines, open loans by type and whether any hold concerns this loan; on
        # PostgreSQL, with the loan's key drawn now, so that its insert waits for nothing
        patrons, items, found = db.checkout_reads(patron.pk, item.pk, settings)
        p, it = _the(patrons, Patron, patron.pk), _the(items, Item, item.pk)
        snapshot = snapshot_from_rows(p, settings, found)
        patron_ok = check_patron(snapshot.facts, today)
        if not patron_ok.allowed:
            _raise(patron_ok, CheckoutRefused)
        lent_to = None
        if it.status == ItemStatus.ON_LOAN:
            lent_to = db.borrower_id(it.pk)
        # the same holds as counted by the snapshot
        holds = db.lock_checkout_holds(p.pk, it) if snapshot.holds else []
        trap = next(
            (h for h in holds if h.trapped_item_id == it.pk and h.status in TRAPPED_HOLD_STATUSES),
            None,
        )
        transit_to = ""
        if it.status == ItemStatus.IN_TRANSIT and trap is None:
            transit_to = db.transit_destination(it.pk)
        doc_type = it.doc_type
        rows = rule_rows([library.pk])
        decision = check_checkout(
            patron_id=p.pk,
            patron=patron_ok,
            item=ItemFacts(
                status=it.status,
                circulates=it.circulates,
                doc_type=doc_type,
                lent_to=lent_to if it.status == ItemStatus.ON_LOAN else None,
                trapped_for=(trap.patron_id, trap.pickup_library.short_name) if trap else None,
                transit_to=transit_to,
            ),
            rule_for_type=rule_for(rows, library.pk, p.category_id, doc_type),
            rule_overall=rule_for(rows, library.pk, p.category_id, ""),
            open_loans=snapshot.open_loans,
            today=today,
            schedule=library_schedule(library, today),
        )
        if not decision.allowed:
            _raise(decision, CheckoutRefused)
        assert decision.due_on is not None  # set by check_checkout on success
        loan = Loan(
            pk=next((n for k, _t, n in found if k == "k"), None), item=it, patron=p, library=library,
            doc_type=doc_type, loaned_at=now, due_on=decision.due_on,
        )  # fmt: skip
        db.add(loan)  # a violation is raised when the writes are sent (see above)
        fulfilled = trap or next((h for h in holds if h.patron_id == p.pk), None)
        facts = []
        if fulfilled is not None:
            fulfilled.status = HoldStatus.FULFILLED
            fulfilled.closed_at = now
            fulfilled.trapped_item = fulfilled.trapped_item or it
            db.save(fulfilled, ["status", "closed_at", "trapped_item"])
            if it.status == ItemStatus.IN_TRANSIT:
                db.receive_transits(it.pk, now)
            facts.append(
                make_fact(
                    action=CirculationAction.HOLD_FULFIL,
                    now=now,
                    library_id=library.pk,
                    item=it,
                    patron=p,
                )
            )
        it.status = ItemStatus.ON_LOAN
        it.current_library = library
        db.save(it, ["status", "current_library", "updated_at"])
        enqueue_record(it.record_id)
        audit_record(
            actor=actor, action=AuditAction.LOAN_CHECKOUT, now=now, library_id=library.pk, obj=loan,
            data={"item": it.barcode, "patron": p.pk, "due_on": loan.due_on.isoformat(),
                  "hold": fulfilled.pk if fulfilled else None},
        )  # fmt: skip
        facts.append(
            make_fact(
                action=CirculationAction.CHECKOUT, now=now, library_id=library.pk, item=it, patron=p
            )
        )
        for fact in facts:
            append_row(CirculationFact, fact)
    return loan


def loan_checkin(*, item: Item, library: Library, actor: Actor, now: dt.datetime) -> CheckinResult:
    """Return ``item`` at ``library`` (any library) and say what to do with it.

    Ends the open loan (applying the network's overdue penalty), then traps the
    copy for the first eligible hold (hold shelf here or navette to the pickup
    library), or sends it home, or shelves it here (floating). A copy arriving
    by the navette is received. A copy with no loan is routed the same way
    (this is how a copy pulled from the shelf is set aside for a hold).
    Raises ``OutOfScope`` when a staff actor may not act at ``library``.
    """
    scope_check(actor=actor, library_ids=[library.pk], action="loan.checkin", now=now, obj=item)

    today = clock.today(now)
    db = store.current()
    # ending the loan, audit, statistics and the copy's new place: one statement
    with db.atomic():
        for _attempt in range(3):
            # one round trip: lock the borrower, then the copy, then the loan with whether
            # any hold waits for this copy (read after the locks). Should the copy have been
            # returned and lent again in between, the locked loan is someone else's: locks
            # are taken again.
            patron, it, loan = db.checkin_reads(item.pk)
            if loan is None or loan.patron_id == (patron.pk if patron else None):
                break
        settings = network_settings(library.network_id)
        if loan is None:
            transit = db.open_transit(it.pk)
            if transit is not None:
                return receive_locked(
                    item=it,
                    transit=transit,
                    library=library,
                    settings=settings,
                    actor=actor,
                    now=now,
                )
            trap = db.lock_trap(it.pk)
            if trap is not None:
                return CheckinResult(
                    item=it, action=CheckinAction.HOLD_SHELF, kind=CheckinKind.ALREADY_ON_HOLD_SHELF,
                    destination=trap.pickup_library, hold=trap, hold_patron=trap.patron,
                )  # fmt: skip
            result = route_item(item=it, library=library, settings=settings, actor=actor, now=now)
            audit_record(actor=actor, action=AuditAction.ITEM_CHECKIN_FREE, now=now, library_id=library.pk, obj=it,
                         data={"action": str(result.action)})  # fmt: skip
            return result
        loan.returned_at = now
        loan.return_library = library
        db.save(loan, ["returned_at", "return_library"])
        penalty = overdue_penalty(
            due_on=loan.due_on,
            returned_on=today,
            kind=settings.penalty,
            suspension_days_per_day_late=settings.suspension_days_per_day_late,
            fine_cents_per_day=settings.fine_cents_per_day,
            fine_max_cents=settings.fine_max_cents,
            current_suspension=patron.suspended_until if patron else None,
        )
        suspended_until, fine_cents = None, 0
        if patron is not None and penalty.suspended_until is not None:
            patron.suspended_until = suspended_until = penalty.suspended_until
            db.save(patron, ["suspended_until"])
        elif penalty.fine_cents:
            db.add(Fine(patron=patron, loan=loan, amount_cents=penalty.fine_cents, created_at=now))
            fine_cents = penalty.fine_cents
        audit_record(
            actor=actor, action=AuditAction.LOAN_CHECKIN, now=now, library_id=library.pk, obj=loan,
            data={"item": it.barcode, "days_late": penalty.days_late},
        )  # fmt: skip
        record_fact(
            action=CirculationAction.CHECKIN, now=now, library_id=library.pk, item=it, patron=patron
        )
        result = route_item(
            item=it, library=library, settings=settings, actor=actor, now=now,
            holds_waiting=bool(getattr(loan, "holds_waiting", True)),
        )  # fmt: skip
        if patron is not None:
            loan.patron = patron  # the borrower, already read: a kiosk's answer names the card
        result.loan = loan
        result.days_late = penalty.days_late
        result.suspended_until, result.fine_cents = suspended_until, fine_cents
        return result


def loan_renew(
    *, loan: Loan, actor: Actor, now: dt.datetime, library: Library | None = None
) -> Loan:
    """Renew ``loan`` under the lending library's rules; ``library`` is where it is asked (audit only).

    Refused (``RenewalRefused`` / ``PatronRefused``, nothing changed) when the
    renewals are used up or, unless the rule allows it, another patron waits. A staff actor
    acts at ``library``, or when none is named at the lending library (``OutOfScope``).
    """
    scope_check(actor=actor, library_ids=[library.pk if library else loan.library_id],
                action="loan.renew", now=now, obj=loan)  # fmt: skip
    today = clock.today(now)
    with transaction.atomic():
        p = locks.lock_patron(loan.patron_id) if loan.patron_id else None
        it = locks.lock_item(loan.item_id)
        current = (
            Loan.objects.select_for_update(of=("self",)).select_related("library").get(pk=loan.pk)
        )
        lending = current.library
        settings = network_settings(lending.network_id)
        patron_ok = (
            check_patron(patron_facts(p, settings), today) if p is not None else Decision(True)
        )
        waiting = [
            h
            for h in Hold.objects.waiting_for(it).values("suspended_from", "suspended_until")
            if not hold_is_suspended(h["suspended_from"], h["suspended_until"], today)
        ]
        rule = rule_for(
            rule_rows([lending.pk]), lending.pk, p.category_id if p else None, current.doc_type
        )
        decision = check_renewal(
            patron=patron_ok,
            is_open=current.returned_at is None,
            renewals=current.renewals,
            rule=rule,
            holds_waiting=len(waiting),
            today=today,
            current_due=current.due_on,
            schedule=library_schedule(lending, today),
        )
        if not decision.allowed:
            _raise(decision, RenewalRefused)
        assert decision.due_on is not None
        previous = current.due_on
        current.due_on = decision.due_on
        current.renewals += 1
        current.save(update_fields=["due_on", "renewals"])
        where = library or lending
        audit_record(
            actor=actor, action=AuditAction.LOAN_RENEW, now=now, library_id=where.pk, obj=current,
            data={"item": it.barcode, "from": previous.isoformat(), "to": current.due_on.isoformat()},
        )  # fmt: skip
        record_fact(action=CirculationAction.RENEW, now=now, library_id=where.pk, item=it, patron=p)
        enqueue_record(it.record_id)
    return current


@dataclass
class RenewOutcome:
    """One loan of a "renew all": renewed (``loan.due_on`` is the new due day) or refused."""

    loan: Loan
    renewed: bool
    error: CirculationError | None = None


def loans_renew_all(
    *, patron: Patron, actor: Actor, now: dt.datetime, library: Library | None = None
) -> list[RenewOutcome]:
    """Renew every open loan of ``patron``, each in its own transaction; one refusal stops no other."""
    outcomes = []
    for loan in (
        Loan.objects.open()
        .filter(patron_id=patron.pk)
        .select_related("item__record")
        .order_by("due_on", "pk")
    ):
        try:
            outcomes.append(
                RenewOutcome(loan_renew(loan=loan, actor=actor, now=now, library=library), True)
            )
        except CirculationError as exc:
            outcomes.append(RenewOutcome(loan, False, exc))
    return outcomes
