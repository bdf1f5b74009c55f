"""A small catalogue factory for the search tests (records and copies straight through the ORM)."""

from __future__ import annotations

import itertools
from typing import Any

from navette.catalogue.models import Item, ItemStatus, Record
from navette.network.models import Library

_barcodes = itertools.count(1)


def make_record(**fields: Any) -> Record:
    authors = fields.pop("authors", [])
    values: dict[str, Any] = {
        "flavour": "unimarc",
        "marc": {"leader": "00000nam  2200000   4500", "fields": []},
        "title": "Sans titre",
        "authors": [{"name": a, "role": "auteur"} if isinstance(a, str) else a for a in authors],
        "languages": ["fre"],
        "doc_type": "book",
    }
    values.update(fields)
    return Record.objects.create(**values)


def make_item(record: Record, library: Library, *, status: str = ItemStatus.AVAILABLE,
              current: Library | None = None, call_number: str = "", **fields: Any) -> Item:  # fmt: skip
    return Item.objects.create(
        record=record, barcode=f"T{next(_barcodes):08d}", owning_library=library,
        current_library=current or library, status=status, call_number=call_number, **fields,
    )  # fmt: skip
