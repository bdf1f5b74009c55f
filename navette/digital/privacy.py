"""Privacy by default for the online media library: which title each patron launched
is forgotten ``NAVETTE_TOKEN_ENTRIES_ANONYMISE_AFTER_MONTHS`` after the launch.

- Token ledger lines lose their patron after the retention period (amounts, titles,
  home library and category stay for the accounts and statistics); the patron's
  monthly counters of those months are deleted; the journal's token events lose
  their patron on the same schedule.
- Single sign-on tickets, codes and access tokens (which name the title opened) are
  deleted once expired: nothing needs them afterwards.
- What the media library holds about a patron is declared for the data export.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction

from navette.core import clock
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_anonymise, audit_record
from navette.core.privacy import PatronData, Row
from navette.digital import policies
from navette.digital.formats import format_tokens
from navette.digital.models import (
    CasTicket,
    OidcAccessToken,
    OidcCode,
    PatronTokenMonth,
    TokenEntry,
)
from navette.patrons.services import add_months

JOB_ACTOR = Actor.system("privacy")
#: the journal's actions that name a patron's title (``tokens_spend``: who launched what)
TOKEN_ACTIONS = (AuditAction.TOKEN_SPEND, AuditAction.TOKEN_REFUND)


def token_entries_cutoff(now: dt.datetime, months: int | None = None) -> dt.datetime:
    """The instant before which ledger lines forget their patron (Paris calendar months)."""
    months = settings.NAVETTE_TOKEN_ENTRIES_ANONYMISE_AFTER_MONTHS if months is None else months
    local = clock.local(now)
    return clock.paris_datetime(
        add_months(local.date(), -months), local.timetz().replace(tzinfo=None)
    )


def token_entries_anonymise(*, now: dt.datetime, months: int | None = None) -> int:
    """Detach ledger lines older than the cutoff from their patron, delete the patrons'
    monthly counters of months wholly before it, and strip patrons from the journal's
    token events before it. Idempotent. Returns the number of ledger lines detached."""
    cutoff = token_entries_cutoff(now, months)
    with transaction.atomic():
        entries = TokenEntry.objects.filter(at__lt=cutoff, patron__isnull=False).update(patron=None)
        months_deleted, _by_model = PatronTokenMonth.objects.filter(
            month__lt=policies.month_key(cutoff)
        ).delete()
        events = audit_anonymise(before=cutoff, actions=TOKEN_ACTIONS)
        if entries or months_deleted or events:
            audit_record(
                actor=JOB_ACTOR, action=AuditAction.TOKEN_ENTRY_ANONYMISE, now=now,
                data={"entries": entries, "months": months_deleted, "journal": events,
                      "before": cutoff.isoformat()},
            )  # fmt: skip
    return entries


def sso_forget(*, now: dt.datetime) -> int:
    """Delete expired CAS tickets, OpenID Connect codes and access tokens. Returns how many."""
    with transaction.atomic():
        count = 0
        for model in (CasTicket, OidcCode, OidcAccessToken):
            deleted, _by_model = model.objects.filter(expires_at__lt=now).delete()
            count += deleted
    return count


# --- the patron's data export --------------------------------------------------------------


def _entries(patron: Any) -> list[Row]:
    return [
        {"le": e.at, "mouvement": e.get_kind_display(), "ressource": e.resource.name,
         "titre": e.title.title if e.title else "",
         "jetons": format_tokens(abs(e.amount_halves)), "motif": e.reason}
        for e in TokenEntry.objects.filter(patron=patron).select_related("resource", "title")
    ]  # fmt: skip


def _months(patron: Any) -> list[Row]:
    return [
        {"mois": m.month, "jetons_depenses": format_tokens(m.spent_halves)}
        for m in PatronTokenMonth.objects.filter(patron=patron).order_by("-month")
    ]


def _sign_ins(patron: Any) -> list[Row]:
    rows: list[Row] = []
    for model, protocol in ((CasTicket, "CAS"), (OidcCode, "OpenID Connect")):
        for grant in model.objects.filter(patron=patron).select_related("registration", "title"):
            rows.append({
                "protocole": protocol, "service": grant.registration.name,
                "le": grant.created_at, "titre": grant.title.title if grant.title else "",
                "utilise_le": grant.consumed_at,
            })  # fmt: skip
    for token in OidcAccessToken.objects.filter(patron=patron).select_related("registration"):
        rows.append({
            "protocole": "OpenID Connect (jeton d'accès)", "service": token.registration.name,
            "expire_le": token.expires_at,
        })  # fmt: skip
    return rows


PATRON_DATA = [
    PatronData("jetons", [TokenEntry], _entries),
    PatronData("jetons_par_mois", [PatronTokenMonth], _months),
    PatronData("connexions_fournisseurs", [CasTicket, OidcCode, OidcAccessToken], _sign_ins),
]
