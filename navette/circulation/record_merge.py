"""Holds follow a record merged into another (a ``MergeParticipant`` of the catalogue).

Every hold of the merged record (history included) moves to the kept record with its
``placed_at``, so the kept record's queue, ordered by (placed_at, id), gives each patron
the place their hold had. A patron with an active hold on both records keeps one: the one
with a copy set aside if exactly one has, else the earlier; the other is cancelled (and
comes back if the merge is undone).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from navette.catalogue.merging import MergeRefused
from navette.circulation import locks
from navette.circulation.models import Hold, HoldStatus
from navette.circulation.models.loans import ACTIVE_HOLD_STATUSES, TRAPPED_HOLD_STATUSES


def _trapped(hold: Hold) -> bool:
    return hold.status in TRAPPED_HOLD_STATUSES


class HoldsFollowRecords:
    name = "holds"
    handles: tuple[str, ...] = ("circulation.Hold",)

    def move(self, *, kept_id: int, merged_id: int, item_ids: list[int],
             now: dt.datetime) -> dict[str, Any]:  # fmt: skip
        holds = list(locks.lock_holds(Q(record_id__in=[kept_id, merged_id])))
        active = [h for h in holds if h.status in ACTIVE_HOLD_STATUSES and h.patron_id]
        on_kept = {h.patron_id: h for h in active if h.record_id == kept_id}
        cancelled = []
        for hold in (h for h in active if h.record_id == merged_id):
            other = on_kept.get(hold.patron_id)
            if other is None:
                continue
            if _trapped(hold) and _trapped(other):
                raise MergeRefused(
                    _("Un lecteur a un document mis de côté sur chacune des deux notices : "
                      "attendez qu'il en retire un."),
                    code="holds_both_trapped", patron_id=hold.patron_id,
                )  # fmt: skip
            if _trapped(hold) != _trapped(other):
                keep = hold if _trapped(hold) else other
            else:
                keep = min(hold, other, key=lambda h: (h.placed_at, h.pk))
            drop = other if keep is hold else hold
            cancelled.append({"id": drop.pk, "status": drop.status})
            Hold.objects.filter(pk=drop.pk).update(status=HoldStatus.CANCELLED, closed_at=now)
        moved = [h.pk for h in holds if h.record_id == merged_id]
        Hold.objects.filter(pk__in=moved).update(record_id=kept_id)
        return {"moved": moved, "cancelled": cancelled}

    def undo_problem(self, *, data: dict[str, Any], kept_id: int, merged_id: int,
                     item_ids: list[int]) -> tuple[str, dict[str, Any]] | None:  # fmt: skip
        moved = set(data.get("moved", []))
        going_back = set(item_ids)
        holds = list(locks.lock_holds(Q(record_id=kept_id) | Q(pk__in=moved)))
        for hold in holds:
            if hold.pk in moved:
                if hold.record_id != kept_id:
                    return "hold_moved", {"hold_id": hold.pk}
                if hold.status in ACTIVE_HOLD_STATUSES:
                    for item_id in (hold.item_id, hold.trapped_item_id):
                        if item_id is not None and item_id not in going_back:
                            return "hold_on_kept_copy", {"hold_id": hold.pk}
            elif hold.status in ACTIVE_HOLD_STATUSES and hold.record_id == kept_id:
                for item_id in (hold.item_id, hold.trapped_item_id):
                    if item_id is not None and item_id in going_back:
                        return "copy_held_for_kept", {"hold_id": hold.pk}
        for entry in data.get("cancelled", []):
            dropped = Hold.objects.filter(pk=entry["id"]).first()
            if dropped is None or dropped.status != HoldStatus.CANCELLED:
                return "hold_changed", {"hold_id": entry["id"]}
            # after the undo, its record holds the moved holds (merged) or the others (kept)
            others = Hold.objects.active().filter(patron=dropped.patron_id).exclude(pk=dropped.pk)
            if dropped.pk in moved:
                others = others.filter(pk__in=moved)
            else:
                others = others.filter(record_id=kept_id).exclude(pk__in=moved)
            if others.exists():
                return "hold_changed", {"hold_id": entry["id"]}
        return None

    def undo(self, *, data: dict[str, Any], kept_id: int, merged_id: int,
             merged_at: dt.datetime, now: dt.datetime) -> None:  # fmt: skip
        Hold.objects.filter(pk__in=data.get("moved", [])).update(record_id=merged_id)
        for entry in data.get("cancelled", []):
            Hold.objects.filter(pk=entry["id"], status=HoldStatus.CANCELLED).update(
                status=entry["status"], closed_at=None
            )
