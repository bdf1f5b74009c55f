"""Privacy by default (CNIL guidance for libraries): keep as little as possible.

- Returned loans lose their patron ``anonymise_after_months()`` after return,
  unless the patron opted in to a reading history. The loan row stays, so
  statistics still count it.
- Patrons whose membership ended ``purge_after_months()`` ago, with nothing
  open (loan, hold, unpaid fine), are deleted.
- A patron may download everything held about them (JSON or CSV).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from navette.circulation.models import Fine, Hold, Loan
from navette.circulation.models.loans import ACTIVE_HOLD_STATUSES
from navette.core import clock
from navette.core.actors import Actor
from navette.core.audit import audit_record
from navette.notices.models import SentNotice
from navette.patrons import conf
from navette.patrons.models import Patron
from navette.patrons.services import add_months

JOB_ACTOR = Actor.system("privacy")


def anonymise_cutoff(now: dt.datetime, months: int | None = None) -> dt.datetime:
    """The instant before which returned loans are anonymised (Paris calendar months)."""
    months = conf.anonymise_after_months() if months is None else months
    local = clock.local(now)
    day = add_months(local.date(), -months)
    return clock.paris_datetime(day, local.timetz().replace(tzinfo=None))


def loans_anonymise(*, now: dt.datetime, months: int | None = None) -> int:
    """Detach returned loans (and closed holds) older than the cutoff from their patron,
    except for patrons who opted in to a history. Returns the number of loans detached.
    Idempotent: a second run finds nothing."""
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
        if loans or holds:
            audit_record(
                actor=JOB_ACTOR, action="loans_anonymise", now=now,
                data={"loans": loans, "holds": holds, "before": cutoff.isoformat()},
            )  # fmt: skip
    return loans


def purgeable_patrons(*, now: dt.datetime, months: int | None = None):
    """Patrons whose membership ended more than ``months`` ago, not active since,
    with no open loan, active hold or unpaid fine."""
    months = conf.purge_after_months() if months is None else months
    cutoff_day = add_months(clock.today(now), -months)
    cutoff = clock.paris_datetime(cutoff_day, dt.time(0, 0))
    return (
        Patron.objects.filter(membership_expires_on__lt=cutoff_day)
        .filter(Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=cutoff))
        .exclude(Exists(Loan.objects.filter(patron=OuterRef("pk"), returned_at__isnull=True)))
        .exclude(
            Exists(Hold.objects.filter(patron=OuterRef("pk"), status__in=ACTIVE_HOLD_STATUSES))
        )
        .exclude(Exists(Fine.objects.filter(patron=OuterRef("pk"), paid_at__isnull=True)))
    )


def patrons_purge(*, now: dt.datetime, months: int | None = None) -> int:
    """Delete inactive patrons (see ``purgeable_patrons``). Their past loans stay, without
    them, for statistics. Returns how many were deleted."""
    with transaction.atomic():
        ids = list(purgeable_patrons(now=now, months=months).values_list("pk", flat=True))
        if not ids:
            return 0
        Loan.objects.filter(patron_id__in=ids).update(patron=None)
        Hold.objects.filter(patron_id__in=ids).update(patron=None)
        Fine.objects.filter(patron_id__in=ids).update(patron=None)
        Patron.objects.filter(pk__in=ids).delete()
        audit_record(actor=JOB_ACTOR, action="patrons_purge", now=now, data={"count": len(ids)})
    return len(ids)


# --- export ---------------------------------------------------------------------------------

PATRON_FIELDS = [
    "card_number", "first_name", "last_name", "birth_date", "email", "phone", "street",
    "postcode", "city", "membership_expires_on", "suspended_until", "history_opt_in",
    "preferred_language", "notify_by_email", "created_at", "last_activity_at",
]  # fmt: skip


def patron_data_export(patron: Patron) -> dict[str, Any]:
    """Everything held about ``patron``, as plain data (no PIN hash, no internal ids)."""
    data: dict[str, Any] = {
        "lecteur": {name: getattr(patron, name) for name in PATRON_FIELDS},
    }
    data["lecteur"]["categorie"] = patron.category.label
    data["lecteur"]["bibliotheque_inscription"] = patron.home_library.name
    data["cartes"] = [
        {"numero": c.number, "delivree_le": c.issued_at, "remplacee_le": c.replaced_at,
         "motif": c.reason}
        for c in patron.cards.all()
    ]  # fmt: skip
    data["blocages"] = [
        {"motif": b.reason, "pose_le": b.created_at, "leve_le": b.lifted_at}
        for b in patron.blocks.all()
    ]
    data["prets"] = [
        {"titre": loan.item.record.title, "code_barres": loan.item.barcode,
         "bibliotheque": loan.library.name, "prete_le": loan.loaned_at, "a_rendre_le": loan.due_on,
         "prolongations": loan.renewals, "rendu_le": loan.returned_at}
        for loan in Loan.objects.filter(patron=patron)
        .select_related("item__record", "library").order_by("-loaned_at")
    ]  # fmt: skip
    data["reservations"] = [
        {"titre": hold.record.title, "retrait": hold.pickup_library.name,
         "etat": hold.get_status_display(), "posee_le": hold.placed_at,
         "a_retirer_avant_le": hold.shelf_expires_on}
        for hold in Hold.objects.filter(patron=patron)
        .select_related("record", "pickup_library").order_by("-placed_at")
    ]  # fmt: skip
    data["amendes"] = [
        {"montant_euros": f"{fine.amount_cents / 100:.2f}", "le": fine.created_at,
         "reglee_le": fine.paid_at}
        for fine in Fine.objects.filter(patron=patron).order_by("-created_at")
    ]  # fmt: skip
    data["avis_envoyes"] = [
        {"type": n.get_kind_display(), "envoye_le": n.sent_at}
        for n in SentNotice.objects.filter(patron=patron).order_by("-sent_at")
    ]
    return data


def export_json(patron: Patron) -> str:
    return json.dumps(
        patron_data_export(patron), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2
    )


def export_csv(patron: Patron) -> str:
    """One row per value: section, entry number, field, value (opens in any spreadsheet)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["rubrique", "entree", "champ", "valeur"])
    encoder = DjangoJSONEncoder()
    for section, content in patron_data_export(patron).items():
        entries = content if isinstance(content, list) else [content]
        for number, entry in enumerate(entries, start=1):
            for name, value in entry.items():
                if value is None:
                    text = ""
                elif isinstance(value, dt.date | dt.datetime):
                    text = encoder.default(value)
                else:
                    text = str(value)
                writer.writerow([section, number, name, text])
    return out.getvalue()
