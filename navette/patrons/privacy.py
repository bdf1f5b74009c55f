"""Privacy by default (CNIL guidance for libraries): keep as little as possible.

- Patrons whose membership ended ``purge_after_months()`` ago, with nothing that
  keeps them (an open loan, an active hold, an unpaid fine: each app declares its
  own in ``PATRON_KEEP``), are deleted, and the journal forgets them.
- A patron may download everything held about them (JSON or CSV): this module's
  sections plus every app's ``PATRON_DATA`` (see ``navette.core.privacy``).
- Each app forgets its own history on its own schedule (``navette.circulation.privacy``
  for loans, holds, fines and the journal; ``navette.digital.privacy`` for the token
  ledger; the events and notices apps for theirs): this app writes no other app's tables.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet

from navette.core import clock
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_forget_patrons, audit_record
from navette.core.csvexport import csv_writer
from navette.core.privacy import (
    PatronData,
    Row,
    patron_data_sections,
    patron_keep_conditions,
)
from navette.patrons import conf
from navette.patrons.models import FederatedPatron, Patron, PatronBlock, PatronCard
from navette.patrons.services import add_months

JOB_ACTOR = Actor.system("privacy")


def purgeable_patrons(*, now: dt.datetime, months: int | None = None) -> QuerySet[Patron]:
    """Patrons whose membership ended more than ``months`` ago, not active since, and
    kept by no app (no open loan, active hold or unpaid fine...)."""
    months = conf.purge_after_months() if months is None else months
    cutoff_day = add_months(clock.today(now), -months)
    cutoff = clock.paris_datetime(cutoff_day, dt.time(0, 0))
    patrons = Patron.objects.filter(membership_expires_on__lt=cutoff_day).filter(
        Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=cutoff)
    )
    for keeps in patron_keep_conditions():
        patrons = patrons.exclude(keeps(OuterRef("pk")))
    return patrons


def patrons_purge(*, now: dt.datetime, months: int | None = None) -> int:
    """Delete inactive patrons (see ``purgeable_patrons``) and remove them from the
    journal. Their past loans, holds, fines and token lines stay, without them, for
    statistics (the links are ``SET_NULL``). Returns how many were deleted."""
    with transaction.atomic():
        ids = list(purgeable_patrons(now=now, months=months).values_list("pk", flat=True))
        if not ids:
            return 0
        Patron.objects.filter(pk__in=ids).delete()
        audit_forget_patrons(ids)
        audit_record(
            actor=JOB_ACTOR, action=AuditAction.PATRON_PURGE, now=now, data={"count": len(ids)}
        )
    return len(ids)


# --- export ---------------------------------------------------------------------------------

PATRON_FIELDS = [
    "card_number", "first_name", "last_name", "birth_date", "email", "phone", "street",
    "postcode", "city", "membership_expires_on", "suspended_until", "history_opt_in",
    "preferred_language", "notify_by_email", "created_at", "last_activity_at",
]  # fmt: skip


def _identity(patron: Patron) -> list[Row]:
    row: Row = {name: getattr(patron, name) for name in PATRON_FIELDS}
    row["categorie"] = patron.category.label
    row["bibliotheque_inscription"] = patron.home_library.name
    return [row]


def _cards(patron: Patron) -> list[Row]:
    return [
        {"numero": c.number, "delivree_le": c.issued_at, "remplacee_le": c.replaced_at,
         "motif": c.reason}
        for c in patron.cards.all()
    ]  # fmt: skip


def _blocks(patron: Patron) -> list[Row]:
    return [
        {"motif": b.reason, "pose_le": b.created_at, "leve_le": b.lifted_at}
        for b in patron.blocks.all()
    ]


def _federation(patron: Patron) -> list[Row]:
    """What Navette keeps of a member library's patron (never the PIN's digest)."""
    f = FederatedPatron.objects.filter(patron=patron).select_related("library").first()
    if f is None:
        return []
    return [
        {"bibliotheque": f.library.name, "categorie": f.remote_category,
         "tranche_d_age": f.age_band, "carte_valide": f.valid, "confirmee_par": f.method,
         "confirmee_le": f.confirmed_at}
    ]  # fmt: skip


PATRON_DATA = [
    PatronData("lecteur", [Patron], _identity),
    PatronData("cartes", [PatronCard], _cards),
    PatronData("blocages", [PatronBlock], _blocks),
    PatronData("bibliotheque_membre", [FederatedPatron], _federation),
]


def patron_data_export(patron: Patron) -> dict[str, Any]:
    """Everything held about ``patron``, as plain data (no PIN hash, no internal ids):
    one section per ``PatronData`` of every app; ``lecteur`` is a single entry."""
    data: dict[str, Any] = {}
    for section in patron_data_sections():
        rows = section.rows(patron)
        data[section.section] = rows[0] if section.section == "lecteur" else rows
    return data


def export_json(patron: Patron) -> str:
    return json.dumps(
        patron_data_export(patron), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2
    )


def export_csv(patron: Patron) -> str:
    """One row per value: section, entry number, field, value (opens in any spreadsheet)."""
    out = io.StringIO()
    writer = csv_writer(out)
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
