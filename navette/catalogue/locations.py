"""Each library's locations (and shelf-mark convention), kept by its own librarians; copy
searches saved for batch changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from navette.catalogue.models import DocType, ItemStatus, Location, SavedCopySearch
from navette.core.actions import AuditAction
from navette.core.actors import Actor, ActorKind
from navette.core.audit import audit_record
from navette.core.errors import ValidationFailed
from navette.network.models import Library
from navette.network.scope import cataloguer_check, scope_check

#: the criteria a saved copy search may hold (see ``SavedCopySearch``)
CRITERIA = ("library", "location", "status", "doc_type", "title", "call_number_from",
            "call_number_to", "acquired_before", "acquired_after")  # fmt: skip


def location_save(*, library: Library, code: str, name: str, actor: Actor, now: dt.datetime,
                  call_number_prefix: str = "", is_active: bool = True) -> Location:  # fmt: skip
    """Add a location to ``library``'s list, or change the one with that ``code``. A staff
    actor must work at ``library`` (``OutOfScope``, audited). Raises ValidationFailed
    (``location_code_required``, ``location_name_required``). Audited (``location.add``,
    ``location.change``)."""
    scope_check(actor=actor, library_ids=[library.pk], action="location.save", now=now)
    code, name = code.strip().lower(), name.strip()
    if not code:
        raise ValidationFailed(code="location_code_required")
    if not name:
        raise ValidationFailed(code="location_name_required")
    with transaction.atomic():
        location, created = Location.objects.select_for_update().get_or_create(
            library=library, code=code[:40],
            defaults={"name": name[:100], "call_number_prefix": call_number_prefix.strip()[:20],
                      "is_active": is_active},
        )  # fmt: skip
        before: dict[str, Any] = {}
        if not created:
            before = {"name": location.name, "call_number_prefix": location.call_number_prefix,
                      "is_active": location.is_active}  # fmt: skip
            location.name = name[:100]
            location.call_number_prefix = call_number_prefix.strip()[:20]
            location.is_active = is_active
            location.save()
        audit_record(
            actor=actor, now=now, library_id=library.pk, obj=location,
            action=AuditAction.LOCATION_ADD if created else AuditAction.LOCATION_CHANGE,
            data={"code": location.code, "name": location.name, "before": before},
        )  # fmt: skip
    return location


def copy_search_save(*, name: str, criteria: dict[str, Any], actor: Actor,
                     now: dt.datetime) -> SavedCopySearch:  # fmt: skip
    """Keep copy search ``criteria`` under ``name`` (empty criteria dropped). Raises
    NotCataloguer (audited), ValidationFailed (``search_name_required``,
    ``search_criteria_required``, ``status_not_editable``/``bad_doc_type`` for an unknown
    value). Audited (``copy_search.save``)."""
    cataloguer_check(actor=actor, action="copy_search.save", now=now)
    name = name.strip()
    if not name:
        raise ValidationFailed(code="search_name_required")
    kept = {k: v for k, v in criteria.items() if k in CRITERIA and v not in (None, "")}
    if not kept:
        raise ValidationFailed(code="search_criteria_required")
    if "status" in kept and kept["status"] not in ItemStatus.values:
        raise ValidationFailed(code="status_not_editable", status=str(kept["status"]))
    if "doc_type" in kept and kept["doc_type"] not in DocType.values:
        raise ValidationFailed(code="bad_doc_type", doc_type=str(kept["doc_type"]))
    kept = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in kept.items()}
    with transaction.atomic():
        search = SavedCopySearch.objects.create(
            name=name[:100], criteria=kept, created_at=now,
            created_by_id=actor.id if actor.kind == ActorKind.STAFF else None,
        )  # fmt: skip
        audit_record(actor=actor, action=AuditAction.COPY_SEARCH_SAVE, now=now, obj=search,
                     data={"name": search.name, "criteria": kept})  # fmt: skip
    return search
