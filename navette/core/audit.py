"""Append audit events. Call inside the service's transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from navette.core.actors import Actor
from navette.core.models import AuditEvent
from navette.core.rows import insert


def audit_record(
    *,
    actor: Actor,
    action: str,
    now: dt.datetime,
    library_id: int | None = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event (who, where, when, what) and return it (its key is not read
    back: nothing refers to an audit event)."""
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or obj.pk
    # a plain INSERT (navette.core.rows): appended on every loan and return
    event = AuditEvent(
        at=now,
        actor_kind=str(actor.kind),
        actor_id=actor.id,
        actor_label=actor.label[:150],
        library_id=library_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        data=data or {},
    )
    insert([event], keys=False)
    return event
