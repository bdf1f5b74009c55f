"""Append audit events (call inside the service's transaction), and forget the patrons
in them when the privacy jobs say so."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from django.db.models import Q, QuerySet

from navette.core.actions import AuditAction
from navette.core.actors import Actor, ActorKind
from navette.core.models import AuditEvent
from navette.core.rows import append


def audit_record(
    *,
    actor: Actor,
    action: AuditAction,
    now: dt.datetime,
    library_id: int | None = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    data: dict[str, Any] | None = None,
) -> None:
    """Append one audit event (who, where, when, what). Its key is not read back and no
    instance is built: nothing refers to an audit event, and every loan and return appends
    one. ``action`` is one of the journal's names."""
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or obj.pk
    # a plain INSERT (navette.core.rows): appended on every loan and return
    append(
        AuditEvent,
        {
            "at": now,
            "actor_kind": str(actor.kind),
            "actor_id": actor.id,
            "actor_label": actor.label[:150],
            "library_id": library_id,
            "action": AuditAction(action).value,
            "object_type": object_type,
            "object_id": str(object_id),
            "data": data or {},
        },
    )


# --- privacy -----------------------------------------------------------------------------

#: The label left on an event whose actor was a patron, once anonymised.
ANONYMOUS_PATRON_LABEL = "patron"
_BATCH = 2000


def _patron_links(patron_ids: Collection[int] | None = None) -> Q:
    """Events that point at a patron: as actor, as object, or in their details."""
    if patron_ids is None:
        return (
            Q(actor_kind=ActorKind.PATRON, actor_id__isnull=False)
            | (Q(object_type="patron") & ~Q(object_id=""))
            | Q(data__has_key="patron")
        )
    ids = list(patron_ids)
    return (
        Q(actor_kind=ActorKind.PATRON, actor_id__in=ids)
        | Q(object_type="patron", object_id__in=[str(i) for i in ids])
        | Q(data__patron__in=ids)
    )


def _forget(events: QuerySet[AuditEvent]) -> int:
    """Strip every patron link from ``events``, in batches; returns how many changed."""
    changed = 0
    last = 0
    while True:
        batch = list(events.filter(pk__gt=last).order_by("pk")[:_BATCH])
        if not batch:
            return changed
        last = batch[-1].pk
        for event in batch:
            if event.actor_kind == ActorKind.PATRON:
                event.actor_id = None
                event.actor_label = ANONYMOUS_PATRON_LABEL
            if event.object_type == "patron":
                # details about a patron's account (card numbers, reasons) go with the link
                event.object_id = ""
                event.data = {}
            elif isinstance(event.data, dict):
                event.data.pop("patron", None)
        AuditEvent.objects.bulk_update(batch, ["actor_id", "actor_label", "object_id", "data"])
        changed += len(batch)


def audit_anonymise(*, before: dt.datetime, actions: Collection[str] | None = None) -> int:
    """Remove the patron from journal events older than ``before`` (only ``actions`` when
    given): a patron actor loses id and label, an event about a patron loses its object and
    details, other details lose their ``patron``. Who on the staff did what, where and when
    stays. Idempotent; call inside the job's transaction. Returns how many events changed."""
    events = AuditEvent.objects.filter(_patron_links(), at__lt=before)
    if actions is not None:
        events = events.filter(action__in=list(actions))
    return _forget(events)


def audit_forget_patrons(patron_ids: Collection[int]) -> int:
    """Remove these patrons (being deleted) from every journal event, whatever its age."""
    if not patron_ids:
        return 0
    return _forget(AuditEvent.objects.filter(_patron_links(patron_ids)))


def audit_patron_events(patron_id: int) -> QuerySet[AuditEvent]:
    """The journal events that still point at one patron (for the patron's data export)."""
    return AuditEvent.objects.filter(_patron_links([patron_id])).order_by("-at", "-pk")
