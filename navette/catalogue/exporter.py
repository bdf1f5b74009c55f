"""MARC export: stored records with their copies in the flavour's holdings field."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from typing import IO, Any

from navette.catalogue.marc import MarcError
from navette.catalogue.marc.holdings import HOLDINGS_TAG, holdings_field
from navette.catalogue.marc.iso2709 import write_record
from navette.catalogue.marc.marcxml import COLLECTION_HEAD, COLLECTION_TAIL, record_to_xml
from navette.catalogue.models import Item, Record


def record_marc_for_export(record: Record, items: Iterable[Item]) -> dict[str, Any]:
    """The record's MARC with holdings rebuilt from its copies, declared as UTF-8.

    Holdings fields of the flavour (952 or 995) are replaced by one field per
    copy, so an export always tells where the copies are now.
    """
    marc = copy.deepcopy(record.marc)
    tag = HOLDINGS_TAG.get(record.flavour, "952")
    fields = [f for f in marc["fields"] if next(iter(f)) != tag]
    fields.extend(holdings_field(item, record.flavour) for item in items)
    if record.flavour == "unimarc":
        for f in fields:
            value = f.get("100")
            if isinstance(value, dict):
                for sub in value["subfields"]:
                    if "a" in sub and len(sub["a"]) >= 30 and sub["a"][26:28] != "50":
                        sub["a"] = sub["a"][:26] + "50  " + sub["a"][30:]
                        break
    marc["fields"] = fields
    return marc


def iter_export(flavour: str | None = None, records: Iterable[Record] | None = None,
                chunk: int = 1000) -> Iterator[tuple[Record, dict[str, Any]]]:  # fmt: skip
    if records is None:
        qs = Record.objects.order_by("pk")
        if flavour:
            qs = qs.filter(flavour=flavour)
        records = qs.iterator(chunk_size=chunk)
    buffer: list[Record] = []

    def flush() -> Iterator[tuple[Record, dict[str, Any]]]:
        ids = [r.pk for r in buffer]
        by_record: dict[int, list[Item]] = {}
        for item in (
            Item.objects.filter(record_id__in=ids)
            .select_related("owning_library", "current_library")
            .order_by("pk")
        ):
            by_record.setdefault(item.record_id, []).append(item)
        for r in buffer:
            yield r, record_marc_for_export(r, by_record.get(r.pk, []))

    for record in records:
        buffer.append(record)
        if len(buffer) >= chunk:
            yield from flush()
            buffer = []
    if buffer:
        yield from flush()


def export_marc(out: IO[bytes], *, flavour: str | None = None, fmt: str = "iso2709",
                records: Iterable[Record] | None = None) -> tuple[int, list[str]]:  # fmt: skip
    """Write records to ``out`` (ISO 2709 or MARCXML, UTF-8); return (count, problems).

    A record too long for ISO 2709 (over 99,999 bytes) is left out and named in problems.
    """
    count = 0
    problems: list[str] = []
    if fmt == "marcxml":
        out.write(COLLECTION_HEAD.encode())
    for record, marc in iter_export(flavour, records):
        if fmt == "marcxml":
            out.write(record_to_xml(marc).encode("utf-8") + b"\n")
        else:
            try:
                out.write(write_record(marc))
            except MarcError as exc:
                problems.append(f"notice {record.pk} : {exc}")
                continue
        count += 1
    if fmt == "marcxml":
        out.write(COLLECTION_TAIL.encode())
    return count, problems
