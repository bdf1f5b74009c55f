"""Catalogue reads for pages and other apps."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson
from django.db.models import Count, Exists, F, Max, Min, OuterRef, QuerySet, TextField, Value
from django.db.models.functions import Cast, Coalesce, NullIf

from navette.catalogue.marc.holdings import availability_field
from navette.catalogue.models import (
    DeletedRecord,
    DuplicateCandidate,
    DuplicateKey,
    DuplicateScan,
    Item,
    ItemStatus,
    MemberHolding,
    NotDuplicate,
    Record,
    RecordMerge,
)
from navette.network.models import Library


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
class HarvestCopy:
    """One copy as a harvest writes it in the record's holdings field (plain values)."""

    owning_code: str
    current_code: str
    barcode: str
    call_number: str
    shelving_location: str
    doc_type_override: str
    notes: str
    acquired_on: dt.date | None
    status: str


@dataclass(frozen=True)
class HarvestRecord:
    """A live record's columns a harvest writes, read as plain values (no ORM object):
    ``marc`` for the MARC formats, the display columns for Dublin Core (empty otherwise)."""

    pk: int
    flavour: str
    doc_type: str
    marc: dict[str, Any]
    title: str = ""
    subtitle: str = ""
    authors: list[Any] = dataclasses.field(default_factory=list)
    subjects: list[Any] = dataclasses.field(default_factory=list)
    summary: str = ""
    publisher: str = ""
    year: int | None = None
    isbns: list[str] = dataclasses.field(default_factory=list)
    issns: list[str] = dataclasses.field(default_factory=list)
    languages: list[str] = dataclasses.field(default_factory=list)
    series: list[Any] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class HarvestEntry:
    """One record as a harvester sees it: alive (``record`` set) or deleted."""

    record_id: int
    datestamp: dt.datetime
    doc_type: str
    flavour: str
    record: HarvestRecord | None = None
    library_codes: tuple[str, ...] = ()
    copies: tuple[HarvestCopy, ...] = ()

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


#: what a harvest page reads of each live record: headers only, the MARC, or Dublin Core's
HARVEST_CONTENTS = ("headers", "marc", "dc")
_HEAD_COLUMNS = ("id", "updated_at", "doc_type", "flavour")
#: Dublin Core's columns: (name, JSON or not); JSON is read as text and decoded by orjson
_DC_COLUMNS = (
    ("title", False), ("subtitle", False), ("authors", True), ("subjects", True),
    ("summary", False), ("publisher", False), ("year", False), ("isbns", True),
    ("issns", True), ("languages", True), ("series", True),
)  # fmt: skip


def _json_text(name: str) -> Cast:
    return Cast(name, output_field=TextField())


def _harvest_rows(records: QuerySet[Record], content: str, limit: int) -> list[tuple[Any, ...]]:
    """The page's live records as tuples: the header columns, then (content "marc") the MARC or
    (content "dc") Dublin Core's columns, JSON decoded. One query, no model instances: the
    stored JSON is read as text and decoded by orjson (Django's per-value converters and model
    building were most of a page's time)."""
    ordered = records.order_by("updated_at", "id")
    if content == "headers":
        return list(ordered.values_list(*_HEAD_COLUMNS)[: limit + 1])
    if content == "marc":
        marc_rows = ordered.annotate(marc_text=_json_text("marc")).values_list(
            *_HEAD_COLUMNS, "marc_text"
        )[: limit + 1]
        return [(*row[:4], orjson.loads(row[4])) for row in marc_rows]
    annotations = {f"{name}_text": _json_text(name) for name, is_json in _DC_COLUMNS if is_json}
    names = [f"{name}_text" if is_json else name for name, is_json in _DC_COLUMNS]
    rows = ordered.annotate(**annotations).values_list(*_HEAD_COLUMNS, *names)[: limit + 1]
    json_at = [4 + i for i, (_name, is_json) in enumerate(_DC_COLUMNS) if is_json]
    out = []
    for row in rows:
        values = list(row)
        for i in json_at:
            values[i] = orjson.loads(values[i]) if values[i] else []
        out.append(tuple(values))
    return out


def _harvest_record(row: tuple[Any, ...], content: str) -> HarvestRecord:
    pk, _stamp, doc_type, flavour = row[:4]
    if content == "marc":
        return HarvestRecord(pk, flavour, doc_type, row[4])
    (title, subtitle, authors, subjects, summary, publisher, year, isbns, issns, languages,
     series) = row[4:]  # fmt: skip
    return HarvestRecord(
        pk, flavour, doc_type, {}, title=title, subtitle=subtitle, authors=authors,
        subjects=subjects, summary=summary, publisher=publisher, year=year, isbns=isbns,
        issns=issns, languages=languages, series=series,
    )  # fmt: skip


def _harvest_copies(record_ids: list[int]) -> dict[int, list[HarvestCopy]]:
    """The copies of ``record_ids`` in creation order, as plain values (one query)."""
    copies: dict[int, list[HarvestCopy]] = defaultdict(list)
    rows = (
        Item.objects.filter(record_id__in=record_ids)
        .order_by("pk")
        .values_list(
            "record_id",
            "owning_library__code",
            "current_library__code",
            "barcode",
            "call_number",
            "shelving_location",
            "doc_type_override",
            "notes",
            "acquired_on",
            "status",
        )  # fmt: skip
    )
    for record_id, owning, current, barcode, call, where, doc_type, notes, acquired, status in rows:
        copies[record_id].append(
            HarvestCopy(owning, current, barcode, call, where, doc_type, notes, acquired, status)
        )
    return copies


def harvest_page(
    f: HarvestFilter,
    *,
    after: tuple[dt.datetime, int] | None,
    limit: int,
    content: str = "marc",
) -> tuple[list[HarvestEntry], bool]:
    """The next ``limit`` entries after the (datestamp, id) key ``after``; and whether more follow.

    Keyset order on the (updated_at, id) index, so a harvest resumed later neither skips nor
    repeats a record that did not change meanwhile. ``content`` (HARVEST_CONTENTS) says what
    is read of a live record besides its header. Queries: records and tombstones (two each
    after a key), copies.
    """
    if content not in HARVEST_CONTENTS:
        raise ValueError(f"content is one of {HARVEST_CONTENTS}, not {content!r}")
    records = _records_matching(f)
    tombstones = _tombstones_matching(f)
    # After a key, the rest of its datestamp then the later ones: two index range scans. One
    # query with "(stamp = s and id > i) or stamp > s" reads the index from the start of s
    # and filters, which made a harvest of records sharing a datestamp quadratic.
    record_parts, tomb_parts = [records], [tombstones]
    if after is not None:
        stamp, last_id = after
        record_parts = [records.filter(updated_at=stamp, pk__gt=last_id),
                        records.filter(updated_at__gt=stamp)]  # fmt: skip
        tomb_parts = [tombstones.filter(deleted_at=stamp, record_id__gt=last_id),
                      tombstones.filter(deleted_at__gt=stamp)]  # fmt: skip
    alive: list[tuple[Any, ...]] = []
    for part in record_parts:
        alive += _harvest_rows(part, content, limit - len(alive))
        if len(alive) > limit:
            break
    gone: list[tuple[Any, ...]] = []
    for tomb_part in tomb_parts:
        gone += tomb_part.order_by("deleted_at", "record_id").values_list(
            "deleted_at", "record_id", "doc_type", "flavour"
        )[: limit + 1 - len(gone)]
        if len(gone) > limit:
            break
    merged: list[tuple[dt.datetime, int, bool, tuple[Any, ...]]] = [
        (row[1], row[0], True, row) for row in alive
    ] + [(row[0], row[1], False, row) for row in gone]
    merged.sort(key=lambda row: (row[0], row[1]))
    more = len(merged) > limit
    merged = merged[:limit]
    copies = _harvest_copies([pk for _stamp, pk, is_alive, _row in merged if is_alive])
    entries = []
    for stamp, pk, is_alive, row in merged:
        if is_alive:
            own = copies.get(pk, [])
            codes = tuple(sorted({c.owning_code for c in own}))
            record = _harvest_record(row, content) if content != "headers" else None
            entries.append(
                HarvestEntry(pk, stamp, row[2], row[3], record or _HEADER_ONLY, codes, tuple(own))
            )
        else:
            entries.append(HarvestEntry(pk, stamp, row[2], row[3]))
    return entries, more


#: the ``record`` of a live entry read for its header only (ListIdentifiers)
_HEADER_ONLY = HarvestRecord(0, "", "", {})


def harvest_entry(record_id: int, content: str = "headers") -> HarvestEntry | None:
    """One record (read as ``harvest_page`` reads it) or its tombstone by id; None when it
    never existed."""
    rows = _harvest_rows(Record.objects.filter(pk=record_id), content, 0)
    if rows:
        row = rows[0]
        own = _harvest_copies([record_id]).get(record_id, [])
        record = _harvest_record(row, content) if content != "headers" else _HEADER_ONLY
        return HarvestEntry(record_id, row[1], row[2], row[3], record,
                            tuple(sorted({c.owning_code for c in own})), tuple(own))  # fmt: skip
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


#: fields that carry copies in the formats Navette reads
HOLDINGS_TAGS = frozenset({"852", "952", "995"})


def records_with_availability(
    record_ids: list[int], holdings_tag: str | dict[str, str]
) -> list[tuple[Record, dict[str, Any]]]:
    """The records in ``record_ids`` order (missing ones left out), each with its MARC where the
    holdings fields (852, 952 and 995) are replaced by one ``holdings_tag`` field per copy
    telling its library and status; ``holdings_tag`` is one tag, or one per MARC flavour
    (``{"unimarc": "995", "": "852"}``: "" for the others). Two queries."""
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
        tag = (
            holdings_tag
            if isinstance(holdings_tag, str)
            else holdings_tag.get(record.flavour, holdings_tag.get("", "852"))
        )
        fields.extend(availability_field(item, tag) for item in copies[record_id])
        out.append((record, {"leader": record.marc.get("leader", ""), "fields": fields}))
    return out


def record_by_id(record_id: int) -> Record | None:
    """The record, or None when there is no such record."""
    return Record.objects.filter(pk=record_id).first()


# -- Duplicates: pairs of records sharing a key, for the cataloguers' review ---------------


@dataclass(frozen=True)
class DuplicatePair:
    first_id: int
    second_id: int
    #: the kinds of key the two records share (``DuplicateKeyKind`` values)
    kinds: tuple[str, ...]


def duplicate_pairs(*, offset: int = 0, limit: int = 50) -> tuple[list[DuplicatePair], int]:
    """A page of candidate pairs as the last scan found them (``duplicates_scan``), and how
    many there are: the pairs sharing most kinds of key (identifiers, the
    title-author-date key) first; pairs said distinct (``NotDuplicate``) since left out.
    One indexed read of the candidates table, whatever the catalogue's size."""
    candidates = DuplicateCandidate.objects.exclude(
        Exists(NotDuplicate.objects.filter(first_id=OuterRef("first_id"),
                                           second_id=OuterRef("second_id")))
    )  # fmt: skip
    rows = list(
        candidates.order_by("-strength", "first_id", "second_id").values_list(
            "first_id", "second_id"
        )[offset : offset + limit]
    )
    total = candidates.count()
    ids = {r[0] for r in rows} | {r[1] for r in rows}
    keys: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for rid, kind, value in DuplicateKey.objects.filter(record_id__in=ids).values_list(
        "record_id", "kind", "value"
    ):
        keys[rid].add((kind, value))
    pairs = [
        DuplicatePair(first, second, tuple(sorted({k for k, _v in keys[first] & keys[second]})))
        for first, second in rows
    ]
    return pairs, total


def last_duplicates_scan() -> DuplicateScan | None:
    return DuplicateScan.objects.filter(pk=1).first()


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


# -- New arrivals: records whose copies were acquired lately -------------------------------

#: how long a copy counts as a new arrival
NEW_ARRIVAL_DAYS = 90
#: copies no longer on the shelves are not shown as new
_GONE = (ItemStatus.LOST, ItemStatus.WITHDRAWN)


def _newly_acquired(since: dt.date) -> QuerySet[Item]:
    """The copies acquired on ``since`` or later and still held. The one place that says
    what a new arrival is: the copy's acquisition date."""
    return Item.objects.filter(acquired_on__gte=since).exclude(status__in=_GONE)


def _media() -> Coalesce:
    """A copy's document type: its own, else its record's."""
    return Coalesce(NullIf(F("doc_type_override"), Value("")), F("record__doc_type"))


@dataclass(frozen=True)
class NewArrival:
    record: Record
    arrived_on: dt.date


def new_arrivals(
    *, since: dt.date, library_id: int | None = None, doc_type: str = "", limit: int = 24
) -> list[NewArrival]:
    """Records with a copy acquired since ``since`` (at one library, of one document type
    when given), the latest arrival first. Two queries."""
    items = _newly_acquired(since)
    if library_id is not None:
        items = items.filter(owning_library_id=library_id)
    if doc_type:
        items = items.annotate(media=_media()).filter(media=doc_type)
    rows = list(
        items.values("record_id")
        .annotate(arrived=Max("acquired_on"))
        .order_by("-arrived", "-record_id")[:limit]
    )
    records = Record.objects.in_bulk([row["record_id"] for row in rows])
    return [
        NewArrival(records[row["record_id"]], row["arrived"])
        for row in rows
        if row["record_id"] in records
    ]


def new_arrival_counts(*, since: dt.date, library_id: int | None = None) -> dict[str, int]:
    """How many records arrived since ``since`` (at one library when given), by document
    type, the most numerous first."""
    items = _newly_acquired(since)
    if library_id is not None:
        items = items.filter(owning_library_id=library_id)
    rows = (
        items.annotate(media=_media())
        .values("media")
        .annotate(n=Count("record_id", distinct=True))
        .order_by("-n", "media")
    )
    return {row["media"]: row["n"] for row in rows}


# --- the union catalogue: member libraries' copies ---------------------------------------------


@dataclass(frozen=True)
class MemberCopy:
    """A copy held by a member library (a ``MemberHolding``) as pages show it."""

    holding_id: int
    record_id: int
    library: Library
    source_id: int
    barcode: str
    call_number: str
    shelving_location: str
    #: its state may be asked of the member's system (SIP2 Item Information)
    live: bool
    #: the record in the member's own catalogue ("" when the member gave no address)
    catalogue_url: str


def member_catalogue_url(template: str, local_id: str, isbns: list[Any]) -> str:
    """The member's own page for a record: ``{id}`` and ``{isbn}`` filled in (URL-quoted);
    "" without a template, or when the template needs an ISBN the record lacks."""
    if not template:
        return ""
    isbn = str(isbns[0]) if isbns else ""
    if "{isbn}" in template and not isbn:
        return ""
    return template.replace("{id}", quote(local_id, safe="")).replace(
        "{isbn}", quote(isbn, safe="")
    )


def member_copies(record_ids: list[int]) -> dict[int, list[MemberCopy]]:
    """Member libraries' copies of these records, by record, by library then call number.
    One query."""
    rows = (
        MemberHolding.objects.filter(record_id__in=record_ids)
        .select_related("library", "member_record__source", "record")
        .only(
            "record__isbns",
            "barcode",
            "call_number",
            "shelving_location",
            "library__code",
            "library__name",
            "library__commune",
            "library__is_active",
            "member_record__local_id",
            "member_record__source__record_url_template",
            "member_record__source__live_availability",
            "member_record__source__is_active",
        )  # fmt: skip
        .order_by("library__commune", "library__name", "call_number", "barcode", "pk")
    )
    out: dict[int, list[MemberCopy]] = defaultdict(list)
    for h in rows:
        member = h.member_record
        source = member.source
        out[h.record_id].append(
            MemberCopy(
                h.pk,
                h.record_id,
                h.library,
                source.pk,
                h.barcode,
                h.call_number,
                h.shelving_location,
                source.live_availability and source.is_active,
                member_catalogue_url(
                    source.record_url_template, member.local_id, h.record.isbns or []
                ),
            )  # fmt: skip
        )
    return out
