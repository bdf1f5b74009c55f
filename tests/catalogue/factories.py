"""Catalogue factories: bibliographic records and their copies, straight through the ORM."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from navette.catalogue.models import Item, ItemStatus, Record
from navette.network.models import Library

_seq = itertools.count(1)


def make_record(
    *,
    title: str = "Titre",
    doc_type: str = "book",
    authors: Iterable[str | dict[str, str]] = (),
    **fields: Any,
) -> Record:
    """A UNIMARC record; ``authors`` may be plain names (role "auteur")."""
    values: dict[str, Any] = {
        "flavour": "unimarc",
        "marc": {"leader": "00000nam  2200000   4500", "fields": []},
        "languages": ["fre"],
        **fields,
    }
    return Record.objects.create(
        title=title,
        doc_type=doc_type,
        authors=[{"name": a, "role": "auteur"} if isinstance(a, str) else a for a in authors],
        **values,
    )


def make_item(
    *,
    library: Library,
    record: Record | None = None,
    title: str = "Titre",
    doc_type: str = "book",
    barcode: str = "",
    current: Library | None = None,
    status: str = ItemStatus.AVAILABLE,
    call_number: str = "",
    **fields: Any,
) -> Item:
    """A copy owned by ``library`` (shelved at ``current``, by default the owner).

    Without ``record``, a new record titled ``title`` of type ``doc_type`` is created.
    """
    return Item.objects.create(
        record=record or make_record(title=title, doc_type=doc_type),
        barcode=barcode or f"3100{next(_seq):08d}",
        owning_library=library,
        current_library=current or library,
        status=status,
        call_number=call_number,
        **fields,
    )
