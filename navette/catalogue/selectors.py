"""Catalogue reads for pages and other apps."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from navette.catalogue.models import Item, Record


def record_items(record: Record) -> QuerySet[Item]:
    return record.items.select_related("owning_library", "current_library").order_by(
        "owning_library__commune", "barcode"
    )


def marc_lines(marc: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The record as (tag, indicators, content) lines, subfields shown as $a ...."""
    lines = [("LDR", "", marc.get("leader", ""))]
    for field in marc.get("fields", []):
        ((tag, value),) = field.items()
        if isinstance(value, str):
            lines.append((tag, "", value))
        else:
            ind = (value.get("ind1", " ") + value.get("ind2", " ")).replace(" ", "_")
            text = " ".join(
                f"${code} {text}" for sub in value["subfields"] for code, text in sub.items()
            )
            lines.append((tag, ind, text))
    return lines
