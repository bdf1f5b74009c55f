"""Privacy by default for circulation (CNIL guidance for libraries): what a patron
borrowed is forgotten ``NAVETTE_ANONYMISE_AFTER_MONTHS`` after the return.

- Returned loans, closed holds and settled fines lose their patron after the cutoff,
  unless the patron opted in to a reading history (loans and fines; holds always).
  The rows stay, so statistics still count them.
- The audit journal, whatever the action, loses its patron links on the same schedule
  (``navette.core.audit.audit_anonymise``): it would otherwise keep, for every loan,
  which patron borrowed which copy.
- What circulation holds about a patron is declared for the patron's data export and
  for the purge (see ``navette.core.privacy``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef

from navette.circulation.models import Fine, FinePayment, Hold, Loan
from navette.circulation.models.loans import ACTIVE_HOLD_STATUSES
from navette.core import clock
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_anonymise, audit_record
from navette.core.privacy import PatronData, Row
from navette.patrons import conf
from navette.patrons.services import add_months

JOB_ACTOR = Actor.system("privacy")


def anonymise_cutoff(now: dt.datetime, months: int | None = None) -> dt.datetime:
    """The instant before which returned loans are anonymised (Paris calendar months)."""
    months = conf.anonymise_after_months() if months is None else months
    local = clock.local(now)
    day = add_months(local.date(), -months)
    return clock.paris_datetime(day, local.timetz().replace(tzinfo=None))


def loans_anonymise(*, now: dt.datetime, months: int | None = None) -> int:
    """Detach returned loans, closed holds and settled fines older than the cutoff from
    their patron (loans and fines: except for patrons who opted in to a history), and
    strip patrons from the journal events older than the cutoff. Returns the number of
    loans detached. Idempotent: a second run finds nothing."""
    cutoff = anonymise_cutoff(now, months)
    with transaction.atomic():
        loans = Loan.objects.filter(
            returned_at__lt=cutoff, patron__isnull=False, patron__history_opt_in=False
        ).update(patron=None)
        holds = (
            Hold.objects.filter(closed_at__lt=cutoff, patron__isnull=False)
            .exclude(status__in=ACTIVE_HOLD_STATUSES)
            .update(patron=None)
        )
        # a settled fine names its loan, hence the copy: it goes with the loans
        fines = Fine.objects.filter(
            paid_at__lt=cutoff, patron__isnull=False, patron__history_opt_in=False
        ).update(patron=None)
        events = audit_anonymise(before=cutoff)
        if loans or holds or fines or events:
            audit_record(
                actor=JOB_ACTOR, action=AuditAction.LOAN_ANONYMISE, now=now,
                data={"loans": loans, "holds": holds, "fines": fines, "journal": events,
                      "before": cutoff.isoformat()},
            )  # fmt: skip
    return loans


# --- the patron's data export and the purge ----------------------------------------------


def _loans(patron: Any) -> list[Row]:
    return [
        {"titre": loan.item.record.title, "code_barres": loan.item.barcode,
         "bibliotheque": loan.library.name, "prete_le": loan.loaned_at, "a_rendre_le": loan.due_on,
         "prolongations": loan.renewals, "rendu_le": loan.returned_at}
        for loan in Loan.objects.filter(patron=patron)
        .select_related("item__record", "library").order_by("-loaned_at")
    ]  # fmt: skip


def _holds(patron: Any) -> list[Row]:
    return [
        {"titre": hold.record.title, "retrait": hold.pickup_library.name,
         "etat": hold.get_status_display(), "posee_le": hold.placed_at,
         "a_retirer_avant_le": hold.shelf_expires_on}
        for hold in Hold.objects.filter(patron=patron)
        .select_related("record", "pickup_library").order_by("-placed_at")
    ]  # fmt: skip


def _fines(patron: Any) -> list[Row]:
    return [
        {"montant_euros": f"{fine.amount_cents / 100:.2f}",
         "regle_euros": f"{fine.paid_cents / 100:.2f}",
         "remis_euros": f"{fine.waived_cents / 100:.2f}", "le": fine.created_at,
         "reglee_le": fine.paid_at, "titre": fine.loan.item.record.title}
        for fine in Fine.objects.filter(patron=patron)
        .select_related("loan__item__record").order_by("-created_at")
    ]  # fmt: skip


def _payments(patron: Any) -> list[Row]:
    return [
        {"montant_euros": f"{p.amount_cents / 100:.2f}", "moyen": p.get_method_display(),
         "bibliotheque": p.library.name if p.library else "", "le": p.paid_at}
        for p in FinePayment.objects.filter(patron=patron)
        .select_related("library").order_by("-paid_at")
    ]  # fmt: skip


PATRON_DATA = [
    PatronData("prets", [Loan], _loans),
    PatronData("reservations", [Hold], _holds),
    PatronData("amendes", [Fine], _fines),
    PatronData("paiements", [FinePayment], _payments),
]


def _open_loan(patron: OuterRef) -> Exists:
    return Exists(Loan.objects.open().filter(patron=patron))


def _active_hold(patron: OuterRef) -> Exists:
    return Exists(Hold.objects.active().filter(patron=patron))


def _unpaid_fine(patron: OuterRef) -> Exists:
    return Exists(Fine.objects.unpaid().filter(patron=patron))


#: a patron with an open loan, an active hold or an unpaid fine is never purged
PATRON_KEEP = [_open_loan, _active_hold, _unpaid_fine]
