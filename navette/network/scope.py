"""Library scope: may this actor act at this library? One policy, checked by every use case.

A network administrator acts everywhere; a librarian only at the libraries attached to the
account; any other staff role (statistician, inactive account) nowhere. ``None`` for a
library means the whole network (a network-wide event): network administrators only.

Kiosks, patrons, system jobs and vendors are not staff: a kiosk acts at the library it stands
in (the SIP2 server passes it), a patron on the portal acts on their own account, jobs and
vendors act for the network. The policy only restricts staff actors.

Where a librarian acts: at a desk use case (check-out, return, renewal, hold, payment,
receiving a copy) it is the desk's library when the interface names one, else the library
the loan, hold or patron belongs to; when managing a thing (editing a copy, declaring a
transit lost, setting a patron's PIN) it is the library the thing belongs to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from navette.core.actions import AuditAction
from navette.core.actors import Actor, ActorKind
from navette.core.audit import audit_record
from navette.core.errors import worded
from navette.core.models import DESK_ROLES, Role, User
from navette.network.models import Library

#: the audit action of a refusal
REFUSED = AuditAction.SCOPE_REFUSED


class OutOfScope(PermissionDenied):
    """The actor may not act at this library. A ``PermissionDenied``: left unhandled, Django
    answers 403; interfaces map ``code`` like any domain refusal."""

    code = "forbidden_library"

    def __init__(self, *, library_ids: tuple[int | None, ...], action: str) -> None:
        self.library_ids = library_ids
        self.action = action
        names = dict(
            Library.objects.filter(pk__in=[i for i in library_ids if i]).values_list(
                "pk", "commune"
            )
        )
        #: the communes refused, in the order asked (none: the whole network)
        self.context = {"libraries": [names[i] for i in library_ids if i in names]}
        super().__init__(self.code)

    @property
    def message(self) -> str:
        """Worded by ``network.messages`` in the language active when read."""
        return worded(self.code, self.context) or self.code

    def __str__(self) -> str:
        return self.message


def staff_libraries(user: Any) -> QuerySet[Library]:
    """The libraries where a staff user may act (all of them for a network administrator)."""
    if getattr(user, "is_network_admin", False):
        return Library.objects.all()
    if getattr(user, "is_librarian", False):
        return Library.objects.filter(staff=user)
    return Library.objects.none()


def statistics_libraries(user: Any) -> QuerySet[Library] | None:
    """The libraries whose circulation statistics a staff user reads: ``None`` for every
    library and the network's totals (network administrators, statisticians, whose work is
    the whole network), a librarian's own libraries otherwise."""
    if getattr(user, "is_network_admin", False) or getattr(user, "is_statistician", False):
        return None
    return staff_libraries(user)


def user_may_act_at(user: Any, library_id: int | None) -> bool:
    """Whether a staff user may act at ``library_id`` (``None``: the whole network)."""
    if library_id is None:
        return bool(getattr(user, "is_network_admin", False))
    return bool(getattr(user, "can_work_at", None) and user.can_work_at(library_id))


def actor_may_act_at(actor: Actor, library_ids: Iterable[int | None]) -> bool:
    """Whether ``actor`` may act at one of ``library_ids`` (one query for a staff actor)."""
    if actor.kind != ActorKind.STAFF:
        return True
    if actor.id is None:
        return False
    ids = set(library_ids)
    allowed = Q(role=Role.NETWORK_ADMIN)
    concrete = {i for i in ids if i is not None}
    if concrete:
        allowed |= Q(role__in=DESK_ROLES, libraries__in=concrete)
    return User.objects.filter(allowed, pk=actor.id, is_active=True).exists()


def scope_check(
    *,
    actor: Actor,
    library_ids: Iterable[int | None],
    action: str,
    now: dt.datetime,
    obj: Any = None,
) -> None:
    """Refuse, with an audit entry, a staff actor who may act at none of ``library_ids``.

    Call at the top of a use case, before its transaction opens, so that the refusal's
    audit entry is kept. Raises ``OutOfScope``.
    """
    ids = tuple(dict.fromkeys(library_ids))
    if actor_may_act_at(actor, ids):
        return
    audit_record(
        actor=actor, action=REFUSED, now=now, library_id=ids[0] if ids else None, obj=obj,
        data={"attempted": action, "libraries": list(ids)},
    )  # fmt: skip
    raise OutOfScope(library_ids=ids, action=action)


class CatalogueRoleRequired(PermissionDenied):
    """Only cataloguers and network administrators change the shared catalogue's records
    (merges of duplicates). A ``PermissionDenied``, like ``OutOfScope``."""

    code = "forbidden_role"

    def __init__(self, *, action: str) -> None:
        self.action = action
        self.context: dict[str, Any] = {}
        super().__init__(self.code)

    @property
    def message(self) -> str:
        """Worded by ``network.messages`` in the language active when read."""
        return worded(self.code, self.context) or self.code

    def __str__(self) -> str:
        return self.message


class NotCataloguer(CatalogueRoleRequired):
    """The actor may not edit the catalogue's records (a ``PermissionDenied``: 403 when left
    unhandled)."""

    code = "not_cataloguer"


def catalogue_scope_check(
    *, actor: Actor, library_ids: Iterable[int], action: str, now: dt.datetime, obj: Any = None
) -> None:
    """Refuse, with an audit entry, a staff actor who is neither a network administrator nor a
    cataloguer working at *every* library of ``library_ids`` (the owners of the copies the
    change moves). Raises ``CatalogueRoleRequired`` or ``OutOfScope``; other actors (system
    jobs) pass."""
    if actor.kind != ActorKind.STAFF:
        return
    ids = tuple(sorted(set(library_ids)))
    user = User.objects.filter(pk=actor.id or 0, is_active=True).first()
    if user is not None and user.role == Role.NETWORK_ADMIN:
        return
    if user is None or user.role != Role.CATALOGUER:
        audit_record(actor=actor, action=REFUSED, now=now, obj=obj,
                     data={"attempted": action, "role": user.role if user else ""})  # fmt: skip
        raise CatalogueRoleRequired(action=action)
    mine = set(user.libraries.filter(pk__in=ids).values_list("pk", flat=True))
    missing = tuple(i for i in ids if i not in mine)
    if missing:
        audit_record(
            actor=actor, action=REFUSED, now=now, library_id=missing[0], obj=obj,
            data={"attempted": action, "libraries": list(missing)},
        )  # fmt: skip
        raise OutOfScope(library_ids=missing, action=action)


#: the staff roles that edit records: records are shared by the whole network, so a
#: cataloguer or librarian of any library edits any record (copies stay with their library,
#: see scope_check; merging duplicates stays with cataloguers, see catalogue_scope_check)
CATALOGUER_ROLES = (Role.NETWORK_ADMIN, Role.CATALOGUER, Role.LIBRARIAN)


def cataloguer_check(*, actor: Actor, action: str, now: dt.datetime, obj: Any = None) -> None:
    """Refuse, with an audit entry, a staff actor who may not edit records (an inactive
    account, a statistician). Jobs and other non-staff actors pass. Call it before the use
    case's transaction opens, so that the refusal's audit entry is kept. Raises
    ``NotCataloguer``."""
    if actor.kind != ActorKind.STAFF:
        return
    if (
        actor.id is not None
        and User.objects.filter(pk=actor.id, is_active=True, role__in=CATALOGUER_ROLES).exists()
    ):
        return
    audit_record(actor=actor, action=REFUSED, now=now, obj=obj,
                 data={"attempted": action, "libraries": []})  # fmt: skip
    raise NotCataloguer(action=action)
