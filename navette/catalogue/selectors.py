"""Catalogue reads for pages and other apps."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Exists, Min, OuterRef, Q, QuerySet

from navette.catalogue.marc.holdings import HOLDINGS_TAG, availability_field, holdings_field
from navette.catalogue.models import (
    DeletedRecord,
    DuplicateKey,
    Item,
    NotDuplicate,
    Record,
    RecordMerge,
)


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


# -- Harvesting (OAI-PMH): records and tombstones in (datestamp, id) order ------------------


@dataclass(frozen=True)
class HarvestFilter:
    """Which records a harvest covers.

    ``since`` is inclusive, ``before`` exclusive (both aware datetimes or None);
    ``flavour`` limits to one MARC flavour; ``library_code`` to records with a
    copy owned by that library ("" for any library, None for no condition);
    ``doc_type`` to one document type.
    """

    since: dt.datetime | None = None
    before: dt.datetime | None = None
    flavour: str | None = None
    library_code: str | None = None
    doc_type: str | None = None


@dataclass(frozen=True)
class HarvestEntry:
    """One record as a harvester sees it: alive (``record`` set) or deleted."""

    record_id: int
    datestamp: dt.datetime
    doc_type: str
    flavour: str
    record: Record | None = None
    library_codes: tuple[str, ...] = ()

    @property
    def deleted(self) -> bool:
        return self.record is None


def _records_matching(f: HarvestFilter) -> QuerySet[Record]:
    qs = Record.objects.all()
    if f.since is not None:
        qs = qs.filter(updated_at__gte=f.since)
    if f.before is not None:
        qs = qs.filter(updated_at__lt=f.before)
    if f.flavour:
        qs = qs.filter(flavour=f.flavour)
    if f.doc_type:
        qs = qs.filter(doc_type=f.doc_type)
    if f.library_code is not None:
        copies = Item.objects.filter(record_id=OuterRef("pk"))
        if f.library_code:
            copies = copies.filter(owning_library__code=f.library_code)
        qs = qs.filter(Exists(copies))
    return qs


def _tombstones_matching(f: HarvestFilter) -> QuerySet[DeletedRecord]:
    if f.library_code is not None:
        # a record is deleted only once it has no copy left: it is in no library's set
        return DeletedRecord.objects.none()
    qs = DeletedRecord.objects.all()
    if f.since is not None:
        qs = qs.filter(deleted_at__gte=f.since)
    if f.before is not None:
        qs = qs.filter(deleted_at__lt=f.before)
    if f.flavour:
        qs = qs.filter(flavour=f.flavour)
    if f.doc_type:
        qs = qs.filter(doc_type=f.doc_type)
    return qs


def harvest_count(f: HarvestFilter) -> int:
    """How many records and tombstones the harvest covers (two COUNT queries)."""
    return _records_matching(f).count() + _tombstones_matching(f).count()


def harvest_page(
    f: HarvestFilter,
    *,
    after: tuple[dt.datetime, int] | None,
    limit: int,
    with_records: bool = True,
) -> tuple[list[HarvestEntry], bool]:
    """The next ``limit`` entries after the (datestamp, id) key ``after``; and whether more follow.

    Keyset order, so a harvest resumed later neither skips nor repeats a
    record that did not change meanwhile. ``with_records`` False reads the
    headers' columns only (ListIdentifiers). Queries: records, tombstones,
    copies' libraries (and, with records, their copies for the holdings).
    """
    records = _records_matching(f)
    tombstones = _tombstones_matching(f)
    if after is not None:
        stamp, last_id = after
        records = records.filter(Q(updated_at__gt=stamp) | Q(updated_at=stamp, pk__gt=last_id))
        tombstones = tombstones.filter(
            Q(deleted_at__gt=stamp) | Q(deleted_at=stamp, record_id__gt=last_id)
        )
    if not with_records:
        records = records.only("id", "updated_at", "doc_type", "flavour")
    alive = list(records.order_by("updated_at", "id")[: limit + 1])
    gone = list(tombstones.order_by("deleted_at", "record_id")[: limit + 1])
    merged: list[tuple[dt.datetime, int, Record | DeletedRecord]] = [
        (r.updated_at, r.pk, r) for r in alive
    ] + [(t.deleted_at, t.record_id, t) for t in gone]
    merged.sort(key=lambda row: (row[0], row[1]))
    more = len(merged) > limit
    merged = merged[:limit]
    alive_ids = [pk for _stamp, pk, obj in merged if isinstance(obj, Record)]
    codes: dict[int, set[str]] = defaultdict(set)
    for record_id, code in Item.objects.filter(record_id__in=alive_ids).values_list(
        "record_id", "owning_library__code"
    ):
        codes[record_id].add(code)
    entries = []
    for stamp, pk, obj in merged:
        if isinstance(obj, Record):
            entries.append(HarvestEntry(pk, stamp, obj.doc_type, obj.flavour, obj,
                                        tuple(sorted(codes[pk]))))  # fmt: skip
        else:
            entries.append(HarvestEntry(pk, stamp, obj.doc_type, obj.flavour))
    return entries, more


def harvest_entry(record_id: int) -> HarvestEntry | None:
    """One record or its tombstone by id; None when it never existed."""
    record = Record.objects.filter(pk=record_id).first()
    if record is not None:
        codes = Item.objects.filter(record_id=record_id).values_list(
            "owning_library__code", flat=True
        )
        return HarvestEntry(record.pk, record.updated_at, record.doc_type, record.flavour,
                            record, tuple(sorted(set(codes))))  # fmt: skip
    tomb = DeletedRecord.objects.filter(record_id=record_id).first()
    if tomb is None:
        return None
    return HarvestEntry(tomb.record_id, tomb.deleted_at, tomb.doc_type, tomb.flavour)


def harvest_earliest_datestamp() -> dt.datetime | None:
    """The oldest datestamp a harvest can return (records and tombstones)."""
    stamps = [
        Record.objects.aggregate(m=Min("updated_at"))["m"],
        DeletedRecord.objects.aggregate(m=Min("deleted_at"))["m"],
    ]
    present = [s for s in stamps if s is not None]
    return min(present) if present else None


def harvest_doc_types() -> list[str]:
    """Document types present in the catalogue or among tombstones, sorted."""
    types = set(Record.objects.values_list("doc_type", flat=True).distinct())
    types |= set(DeletedRecord.objects.values_list("doc_type", flat=True).distinct())
    return sorted(types)


def records_with_holdings(records: list[Record]) -> dict[int, dict[str, Any]]:
    """Each record's MARC with its flavour's holdings fields (952 or 995) rebuilt from its
    copies, as the MARC export writes them (record id -> MARC-in-JSON). One query.

    The stored MARC is not copied: the fields kept are shared with ``records``, read only.
    """
    copies: dict[int, list[Item]] = defaultdict(list)
    for item in (
        Item.objects.filter(record_id__in=[r.pk for r in records])
        .select_related("owning_library", "current_library")
        .order_by("pk")
    ):
        copies[item.record_id].append(item)
    out = {}
    for record in records:
        tag = HOLDINGS_TAG.get(record.flavour, "952")
        fields = [f for f in record.marc.get("fields", []) if next(iter(f)) != tag]
        fields.extend(holdings_field(item, record.flavour) for item in copies[record.pk])
        out[record.pk] = {"leader": record.marc.get("leader", ""), "fields": fields}
    return out


#: fields that carry copies in the formats Navette reads
HOLDINGS_TAGS = frozenset({"852", "952", "995"})


def records_with_availability(
    record_ids: list[int], holdings_tag: str
) -> list[tuple[Record, dict[str, Any]]]:
    """The records in ``record_ids`` order (missing ones left out), each with its MARC where the
    holdings fields (852, 952 and 995) are replaced by one ``holdings_tag`` field per copy
    telling its library and status. Two queries."""
    records = Record.objects.in_bulk(record_ids)
    copies: dict[int, list[Item]] = defaultdict(list)
    for item in (
        Item.objects.filter(record_id__in=list(records))
        .select_related("owning_library", "current_library")
        .order_by("owning_library__code", "barcode")
    ):
        copies[item.record_id].append(item)
    out = []
    for record_id in record_ids:
        record = records.get(record_id)
        if record is None:  # deleted since indexing
            continue
        fields = [f for f in record.marc.get("fields", []) if next(iter(f)) not in HOLDINGS_TAGS]
        fields.extend(availability_field(item, holdings_tag) for item in copies[record_id])
        out.append((record, {"leader": record.marc.get("leader", ""), "fields": fields}))
    return out


def record_by_id(record_id: int) -> Record | None:
    """The record, or None when there is no such record."""
    return Record.objects.filter(pk=record_id).first()


# -- Duplicates: pairs of records sharing a key, for the cataloguers' review ---------------

#: a key shared by more records than this says little (a series' ISSN, "Poèmes" without
#: author): its pairs are not proposed
MAX_GROUP = 30


@dataclass(frozen=True)
class DuplicatePair:
    first_id: int
    second_id: int
    #: the kinds of key the two records share (``DuplicateKeyKind`` values)
    kinds: tuple[str, ...]


def _pairs_sql() -> str:
    key = DuplicateKey._meta.db_table
    refused = NotDuplicate._meta.db_table
    return f"""
        WITH shared AS (
            SELECT kind, value FROM {key} GROUP BY kind, value
            HAVING COUNT(*) BETWEEN 2 AND %s
        ), pairs AS (
            SELECT a.record_id AS first_id, b.record_id AS second_id,
                   COUNT(DISTINCT a.kind) AS strength
            FROM shared s
            JOIN {key} a ON a.kind = s.kind AND a.value = s.value
            JOIN {key} b ON b.kind = s.kind AND b.value = s.value AND a.record_id < b.record_id
            GROUP BY a.record_id, b.record_id
        )
        SELECT p.first_id, p.second_id, COUNT(*) OVER () FROM pairs p
        WHERE NOT EXISTS (
            SELECT 1 FROM {refused} n WHERE n.first_id = p.first_id AND n.second_id = p.second_id
        )
        ORDER BY p.strength DESC, p.first_id, p.second_id
    """  # noqa: S608 (table names from _meta)


def duplicate_pairs(*, offset: int = 0, limit: int = 50) -> tuple[list[DuplicatePair], int]:
    """A page of candidate pairs and how many there are: the pairs sharing most kinds of
    key (identifiers, the title-author-date key) first; pairs said distinct
    (``NotDuplicate``) left out. Computed by the database in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            _pairs_sql() + " LIMIT %s OFFSET %s",
            [MAX_GROUP, limit, offset],
        )
        rows = cursor.fetchall()
    if not rows:
        return [], 0 if offset == 0 else duplicate_pairs(offset=0, limit=1)[1]
    ids = {r[0] for r in rows} | {r[1] for r in rows}
    keys: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for rid, kind, value in DuplicateKey.objects.filter(record_id__in=ids).values_list(
        "record_id", "kind", "value"
    ):
        keys[rid].add((kind, value))
    pairs = [
        DuplicatePair(first, second, tuple(sorted({k for k, _v in keys[first] & keys[second]})))
        for first, second, _total in rows
    ]
    return pairs, rows[0][2]


@dataclass(frozen=True)
class PairSide:
    record: Record
    items: list[Item]


def duplicate_pair_sides(first_id: int, second_id: int) -> list[PairSide] | None:
    """The two records of a pair with their copies; ``None`` when one is gone (merged
    meanwhile)."""
    by_id = Record.objects.in_bulk([first_id, second_id])
    if len(by_id) != 2:
        return None
    return [PairSide(by_id[rid], list(record_items(by_id[rid]))) for rid in (first_id, second_id)]


def recent_merges(limit: int = 20) -> QuerySet[RecordMerge]:
    return RecordMerge.objects.select_related("kept").order_by("-merged_at", "-pk")[:limit]
