"""Merging two patrons who are one person (registered in two libraries before go-live)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from navette.circulation.models import Fine, FinePayment, Hold, HoldStatus, Loan
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_record
from navette.core.errors import DomainError
from navette.golive.models import MergeDecision
from navette.network.scope import scope_check
from navette.patrons.models import Patron, PatronBlock, PatronCard


class MergeRefused(DomainError):
    """The two patrons cannot be merged (the same patron twice, or one is gone)."""

    code = "merge_refused"


def patron_merge(*, keep: Patron, other: Patron, actor: Actor, now: dt.datetime) -> Patron:
    """Merge ``other`` into ``keep``: its loans, holds, fines, payments, blocks and cards
    move to ``keep``, its current card becoming an alias that still works at the desk and
    at kiosks; ``other`` is deleted. Of two active holds on one title, the one placed first
    stays (with its place in the queue) and the other is cancelled.

    Network administrators only (``OutOfScope``); ``MergeRefused`` for the same patron.
    Audited. Rows are locked patron by patron in key order, then the holds.
    """
    if keep.pk == other.pk:
        raise MergeRefused(_("Un lecteur ne peut être fusionné avec lui-même."))
    scope_check(actor=actor, library_ids=(None,), action=AuditAction.PATRON_MERGE, now=now,
                obj=keep)  # fmt: skip
    with transaction.atomic():
        locked = {
            p.pk: p
            for p in Patron.objects.select_for_update().filter(pk__in=[keep.pk, other.pk])
            .order_by("pk")
        }  # fmt: skip
        if len(locked) != 2:
            raise MergeRefused(_("Ce lecteur n’existe plus."))
        kept, gone = locked[keep.pk], locked[other.pk]
        Loan.objects.filter(patron=gone).update(patron=kept)
        Fine.objects.filter(patron=gone).update(patron=kept)
        FinePayment.objects.filter(patron=gone).update(patron=kept)
        PatronBlock.objects.filter(patron=gone).update(patron=kept)
        holds = list(
            Hold.objects.active().select_for_update().filter(patron__in=[kept, gone])
            .order_by("placed_at", "pk")
        )  # fmt: skip
        seen: set[int] = set()
        for hold in holds:
            if hold.record_id in seen:
                hold.status = HoldStatus.CANCELLED
                hold.closed_at = now
                hold.save(update_fields=["status", "closed_at"])
            seen.add(hold.record_id)
        Hold.objects.filter(patron=gone).update(patron=kept)
        PatronCard.objects.filter(patron=gone, replaced_at__isnull=True).update(
            patron=kept, is_alias=True
        )
        PatronCard.objects.filter(patron=gone).update(patron=kept)
        if not PatronCard.objects.filter(number=gone.card_number).exists():
            PatronCard.objects.create(patron=kept, number=gone.card_number, issued_at=now,
                                      is_alias=True)  # fmt: skip
        if gone.history_opt_in and not kept.history_opt_in:
            kept.history_opt_in = True
            kept.save(update_fields=["history_opt_in"])
        audit_record(
            actor=actor, action=AuditAction.PATRON_MERGE, now=now, obj=kept,
            data={"merged": gone.pk, "card": gone.card_number},
        )  # fmt: skip
        gone.delete()
    return kept


def merge_decide(
    *, source_a: str, card_a: str, source_b: str, card_b: str, merge: bool, actor: Actor,
    now: dt.datetime,
) -> MergeDecision:  # fmt: skip
    """Record a librarian's decision on two cards that may be one person: the next apply
    merges them (``merge``) or keeps them apart, whatever the mapping's rule. Network
    administrators only (``OutOfScope``)."""
    scope_check(actor=actor, library_ids=(None,), action=AuditAction.PATRON_MERGE, now=now)
    with transaction.atomic():
        decision, _created = MergeDecision.objects.update_or_create(
            source_a=source_a, card_a=card_a, source_b=source_b, card_b=card_b,
            defaults={"merge": merge, "decided_by": actor.label, "decided_at": now},
        )  # fmt: skip
    return decision
