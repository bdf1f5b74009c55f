"""Row locks, always taken in one order: patron, then items, then holds.

Each helper re-reads the row under lock (``SELECT ... FOR UPDATE``) so the
caller re-checks what it decided on. On SQLite the whole transaction already
holds the write lock (``transaction_mode=IMMEDIATE``) and FOR UPDATE is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from navette.catalogue.models import Item
from navette.circulation.models import Hold
from navette.patrons.models import Patron


def lock_patron(patron_id: int) -> Patron:
    return (
        Patron.objects.select_for_update(of=("self",)).select_related("category").get(pk=patron_id)
    )


def lock_item(item_id: int) -> Item:
    return Item.objects.select_for_update(of=("self",)).select_related("record").get(pk=item_id)


def lock_items(item_ids: Iterable[int]) -> list[Item]:
    return list(
        Item.objects.select_for_update().filter(pk__in=sorted(set(item_ids))).order_by("pk")
    )


def lock_holds(query: Q) -> QuerySet[Hold]:
    """Holds matching ``query``, locked in id order (call after patron and items)."""
    return Hold.objects.select_for_update(of=("self",)).filter(query).order_by("pk")
