"""Row locks, always taken in one order: patron, then items, then holds.

Each helper re-reads the row under lock (``SELECT ... FOR UPDATE``) so the
caller re-checks what it decided on. On SQLite the whole transaction already
holds the write lock (``transaction_mode=IMMEDIATE``) and FOR UPDATE is a no-op.
The patron and copy locks run on every loan: their SQL is built once
(``navette.core.rows``), not compiled by the ORM at each call.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from navette.catalogue.models import Item
from navette.circulation.models import Hold
from navette.core.rows import RowQuery
from navette.patrons.models import Patron

PATRON = RowQuery(Patron, "t.id = %s", related=("category",), lock=True)
#: what a loan or a return reads of its patron (the rest, contact details and login state
#: above all, is read only if used; postcode and city are the statistics' commune)
LOAN_PATRON_FIELDS = (
    "card_number", "first_name", "last_name", "birth_date", "category", "home_library",
    "membership_expires_on", "suspended_until", "history_opt_in", "preferred_language",
    "postcode", "city",
)  # fmt: skip
#: the patron, locked, for a loan
PATRON_FOR_LOAN = RowQuery(
    Patron, "t.id = %s", related=("category",), lock=True, only=LOAN_PATRON_FIELDS
)
#: the copy with its title's type and title (the rest of the record, its MARC above all, is
#: read only if used)
ITEM = RowQuery(Item, "t.id = %s", related=(("record", ("doc_type", "title")),), lock=True)


def lock_patron(patron_id: int) -> Patron:
    """The patron, with its category, locked. Raises ``Patron.DoesNotExist``."""
    return PATRON.get(patron_id)


def lock_item(item_id: int) -> Item:
    """The copy, with its record, locked. Raises ``Item.DoesNotExist``."""
    return ITEM.get(item_id)


def lock_items(item_ids: Iterable[int]) -> list[Item]:
    return list(
        Item.objects.select_for_update().filter(pk__in=sorted(set(item_ids))).order_by("pk")
    )


def lock_holds(query: Q) -> QuerySet[Hold]:
    """Holds matching ``query``, locked in id order (call after patron and items)."""
    return Hold.objects.select_for_update(of=("self",)).filter(query).order_by("pk")
