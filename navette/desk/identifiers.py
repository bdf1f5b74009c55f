"""Barcodes and card numbers as typed or scanned, normalised once, and the lookups by them."""

from __future__ import annotations

from navette.catalogue.models import Item, Record
from navette.core.rows import RowQuery
from navette.network.models import Library
from navette.patrons.models import Patron, PatronCard

#: a record's long fields, never read when a copy is scanned (read later if ever needed)
_RECORD_UNREAD = ("marc", "summary", "authors", "subjects", "series")


def normal_barcode(raw: str | None) -> str:
    """A copy's barcode as stored: without the spaces a scanner or a hand adds around it."""
    return (raw or "").strip()


def normal_card(raw: str | None) -> str:
    """A card number as stored: without any white space (cards are printed in groups)."""
    return "".join((raw or "").split())


def item_by_barcode(raw: str | None) -> Item | None:
    """The copy with this barcode (its record and libraries joined), or None."""
    barcode = normal_barcode(raw)
    if not barcode:
        return None
    return (
        Item.objects.select_related("record", "owning_library", "current_library")
        .defer(*(f"record__{name}" for name in _RECORD_UNREAD))
        .filter(barcode=barcode)
        .first()
    )


def alias_owner(card: str) -> int | None:
    """The patron whose alias (a card kept from a merged patron) is ``card``, or None.

    Read only once the card is not a patron's current card: the common case costs nothing.
    """
    return (
        PatronCard.objects.filter(number=card, is_alias=True, replaced_at__isnull=True)
        .values_list("patron_id", flat=True)
        .first()
    )


def record_by_id(raw: str | None) -> Record | None:
    """The record a title identifier (its number) names, or None."""
    text = (raw or "").strip()
    if not text.isdigit():
        return None
    return Record.objects.filter(pk=int(text)).first()


def library_by_code(raw: str | None) -> Library | None:
    """The library with this code (as printed on the kiosk's settings), or None."""
    code = (raw or "").strip()
    return Library.objects.filter(code=code).first() if code else None


def patron_by_card(raw: str | None) -> Patron | None:
    """The patron holding this card, their current one or an alias kept from a merge
    (category and home library joined), or None."""
    card = normal_card(raw)
    if not card:
        return None
    patrons = Patron.objects.select_related("category", "home_library__network")
    patron = patrons.filter(card_number=card).first()
    if patron is None:
        owner = alias_owner(card)
        patron = patrons.filter(pk=owner).first() if owner is not None else None
    return patron


#: what a kiosk's answers say of a library (its address and contact details are read only if
#: ever used)
_LIBRARY_BRIEF = ("network", "code", "name", "commune")
#: a card's patron with category and home library, read at every kiosk message: the SQL is
#: built once per process from the models' metadata, not compiled by the ORM at each call
_KIOSK_PATRON = RowQuery(
    Patron, "t.card_number = %s", related=("category", ("home_library", _LIBRARY_BRIEF))
)
#: the same patron found by key (after a card alias gave it)
_KIOSK_PATRON_BY_ID = RowQuery(
    Patron, "t.id = %s", related=("category", ("home_library", _LIBRARY_BRIEF))
)
#: a copy with its title's type and title (not the MARC) and its libraries, likewise
_KIOSK_ITEM = RowQuery(
    Item, "t.barcode = %s",
    related=(("record", ("doc_type", "title")), ("owning_library", _LIBRARY_BRIEF),
             ("current_library", _LIBRARY_BRIEF)),
)  # fmt: skip


def kiosk_item_by_barcode(raw: str | None) -> Item | None:
    """``item_by_barcode`` for self-service machines: the same copy, the same
    normalisation, with only what a kiosk's answer reads loaded at once (any other field
    is read by the ORM if used)."""
    barcode = normal_barcode(raw)
    return _KIOSK_ITEM.first(barcode) if barcode else None


def kiosk_patron_by_card(raw: str | None) -> Patron | None:
    """``patron_by_card`` for self-service machines, as ``kiosk_item_by_barcode``: one
    statement when the card is a current card, the alias read only when it is not."""
    card = normal_card(raw)
    if not card:
        return None
    patron = _KIOSK_PATRON.first(card)
    if patron is None:
        owner = alias_owner(card)
        patron = _KIOSK_PATRON_BY_ID.first(owner) if owner is not None else None
    return patron
