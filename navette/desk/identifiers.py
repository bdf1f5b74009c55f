"""Barcodes and card numbers as typed or scanned, normalised once, and the lookups by them."""

from __future__ import annotations

from navette.catalogue.models import Item
from navette.patrons.models import Patron

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


def patron_by_card(raw: str | None) -> Patron | None:
    """The patron holding this card (category and home library joined), or None."""
    card = normal_card(raw)
    if not card:
        return None
    return (
        Patron.objects.select_related("category", "home_library__network")
        .filter(card_number=card)
        .first()
    )
