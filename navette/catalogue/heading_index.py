"""The index of headings: authors, subjects and series as the records carry them, each with
how many records carry it, kept up to date by the services that write records.

Derived data: ``Record.authors``, ``Record.subjects`` and ``Record.series`` are the truth,
``headings_refresh`` writes again the links of the records it is given (the record editor,
merges, deletion and the MARC import call it in their transaction), ``headings_rebuild``
recomputes everything (``navette headings-rebuild``, after an upgrade).

Counts change by increments (``record_count + n``) under the heading's row lock, so two
transactions linking the same heading both count; a record's own links are written by one
transaction at a time because its writers lock the record first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count, F

from navette.catalogue.marc.extract import clean
from navette.catalogue.models import AuthorityForm, Heading, HeadingKind, Record, RecordHeading
from navette.core.collation import collation_key

#: longest label kept (a heading is a name, a subject string, a series title)
MAX_LABEL = 500
BATCH = 2000


def heading_key(label: str) -> str:
    """The label without case, accents or punctuation (``Hugo, Victor`` = ``HUGO Victor``)."""
    return collation_key(label)[0][:255]


def _hex(text: str) -> str:
    return "".join(f"{min(ord(c), 0xFFFF):04x}" for c in text)


def heading_sort_key(label: str) -> str:
    """French order (letters first, then accents) as hexadecimal digits: the same order
    under SQLite's and any PostgreSQL collation."""
    primary, secondary, _tertiary = collation_key(label)
    return f"{_hex(primary[:150])}0000{_hex(secondary[:60])}"


def prefix_sort_key(prefix: str) -> str:
    """What the sort keys of headings starting with ``prefix`` start with."""
    return _hex(collation_key(prefix)[0][:150])


def heading_label(text: str) -> str:
    """A heading's label as stored: the text as the MARC fields read (trailing punctuation
    and spaces off, NFC), cut at ``MAX_LABEL``."""
    return clean(str(text))[:MAX_LABEL]


def _names(values: Any, key: str) -> list[str]:
    out = []
    for value in values or ():
        if isinstance(value, dict):
            value = value.get(key) or value.get("title") or ""
        text = heading_label(value)
        if text:
            out.append(text)
    return out


def record_heading_labels(authors: Any, subjects: Any, series: Any) -> set[tuple[str, str]]:
    """The (kind, label) pairs of one record, from its extracted columns."""
    return (
        {(HeadingKind.AUTHOR.value, n) for n in _names(authors, "name")}
        | {(HeadingKind.SUBJECT.value, n) for n in _names(subjects, "label")}
        | {(HeadingKind.SERIES.value, n) for n in _names(series, "title")}
    )


def _authority_ids(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(kind, key) -> authority id, for the keys that match an authority's form (its
    authorised form first, then a see-from form)."""
    wanted = defaultdict(set)
    for kind, key in pairs:
        wanted[kind].add(key)
    found: dict[tuple[str, str], int] = {}
    for kind, keys in wanted.items():
        rows = (
            AuthorityForm.objects.filter(kind=kind, key__in=keys)
            .order_by("-preferred", "authority_id")
            .values_list("key", "authority_id")
        )
        for key, authority_id in rows:
            found.setdefault((kind, key), authority_id)
    return found


def _heading_ids(pairs: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The ids of these headings, created when missing (linked to a matching authority)."""
    by_kind = defaultdict(set)
    for kind, label in pairs:
        by_kind[kind].add(label)

    def lookup() -> dict[tuple[str, str], int]:
        ids = {}
        for kind, labels in by_kind.items():
            found = Heading.objects.filter(kind=kind, label__in=labels).values_list("label", "pk")
            ids.update({(kind, label): pk for label, pk in found})
        return ids

    ids = lookup()
    missing = pairs - set(ids)
    if missing:
        authorities = _authority_ids({(k, heading_key(label)) for k, label in missing})
        Heading.objects.bulk_create(
            [Heading(kind=kind, label=label, sort_key=heading_sort_key(label),
                     key=heading_key(label),
                     authority_id=authorities.get((kind, heading_key(label))))
             for kind, label in sorted(missing)],
            ignore_conflicts=True,  # another transaction created it meanwhile
        )  # fmt: skip
        ids = lookup()
    return ids


def _count(deltas: dict[int, int]) -> None:
    by_delta = defaultdict(list)
    for heading_id, delta in deltas.items():
        if delta:
            by_delta[delta].append(heading_id)
    for delta, heading_ids in sorted(by_delta.items()):
        Heading.objects.filter(pk__in=sorted(heading_ids)).update(
            record_count=F("record_count") + delta
        )


def headings_refresh(record_ids: Iterable[int]) -> None:
    """Write again the heading links of these records (in the caller's transaction) and
    move the counts of the headings they gained or lost. Records gone lose their links."""
    ids = sorted(set(record_ids))
    for start in range(0, len(ids), BATCH):
        _refresh(ids[start : start + BATCH])


def _refresh(ids: list[int]) -> None:
    with transaction.atomic():
        wanted: dict[int, set[tuple[str, str]]] = {rid: set() for rid in ids}
        for rid, authors, subjects, series in Record.objects.filter(pk__in=ids).values_list(
            "pk", "authors", "subjects", "series"
        ):
            wanted[rid] = record_heading_labels(authors, subjects, series)
        have: dict[int, dict[int, int]] = defaultdict(dict)  # record -> heading -> link id
        for link_id, rid, heading_id in RecordHeading.objects.filter(record_id__in=ids).values_list(
            "pk", "record_id", "heading_id"
        ):
            have[rid][heading_id] = link_id
        heading_ids = _heading_ids(set().union(*wanted.values()))
        deltas: dict[int, int] = defaultdict(int)
        drop: list[int] = []
        add: list[RecordHeading] = []
        for rid in ids:
            target = {heading_ids[pair] for pair in wanted[rid]}
            for heading_id, link_id in have[rid].items():
                if heading_id not in target:
                    drop.append(link_id)
                    deltas[heading_id] -= 1
            for heading_id in sorted(target - set(have[rid])):
                add.append(RecordHeading(record_id=rid, heading_id=heading_id))
                deltas[heading_id] += 1
        if drop:
            RecordHeading.objects.filter(pk__in=drop).delete()
        if add:
            RecordHeading.objects.bulk_create(add, batch_size=5000)
        _count(deltas)


def headings_detach(record_ids: Iterable[int]) -> None:
    """Remove the links of records about to be deleted (their headings count one less)."""
    ids = sorted(set(record_ids))
    links = RecordHeading.objects.filter(record_id__in=ids)
    deltas: dict[int, int] = defaultdict(int)
    for heading_id in links.values_list("heading_id", flat=True):
        deltas[heading_id] -= 1
    links.delete()
    _count(deltas)


def headings_rebuild() -> int:
    """Every record's links written again, counts recomputed, unused headings removed.
    Returns how many headings the catalogue has."""
    last = 0
    while True:
        chunk = list(
            Record.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH]
        )
        if not chunk:
            break
        _refresh(chunk)
        last = chunk[-1]
    with transaction.atomic():
        RecordHeading.objects.exclude(record_id__in=Record.objects.values("pk")).delete()
        counts = dict(
            RecordHeading.objects.values("heading_id").annotate(n=Count("pk"))
            .values_list("heading_id", "n")
        )  # fmt: skip
        for pk, stored in (
            Heading.objects.select_for_update().order_by("pk").values_list("pk", "record_count")
        ):
            if counts.get(pk, 0) != stored:
                Heading.objects.filter(pk=pk).update(record_count=counts.get(pk, 0))
        Heading.objects.filter(record_count=0).delete()
    return Heading.objects.count()


def headings_link_authorities() -> int:
    """Link every heading to the authority whose authorised or see-from form it matches
    (or to none); returns how many headings are linked."""
    with transaction.atomic():
        rows = list(Heading.objects.values_list("pk", "kind", "key", "authority_id"))
        matches = _authority_ids({(kind, key) for _pk, kind, key, _a in rows})
        changes: dict[int | None, list[int]] = defaultdict(list)
        for pk, kind, key, current in rows:
            target = matches.get((kind, key))
            if target != current:
                changes[target].append(pk)
        for target, pks in changes.items():
            Heading.objects.filter(pk__in=pks).update(authority_id=target)
    return Heading.objects.filter(authority__isnull=False).count()


def record_heading_ids(record_id: int) -> dict[tuple[str, str], int]:
    """(kind, label) -> heading id, for the headings of one record (its page's links)."""
    rows = RecordHeading.objects.filter(record_id=record_id).values_list(
        "heading__kind", "heading__label", "heading_id"
    )
    return {(kind, label): pk for kind, label, pk in rows}


def record_heading_id(headings: dict[tuple[str, str], int], kind: str, text: str) -> int | None:
    """The id of the heading ``text`` of ``kind`` among a record's ``headings``."""
    return headings.get((kind, heading_label(text)))


def see_from_forms(record_ids: list[int]) -> dict[int, list[str]]:
    """record id -> the see-from forms of the authorities its headings are linked to (what
    the search index adds, so a rejected form finds the record)."""
    found: dict[int, list[str]] = {}
    rows = (
        RecordHeading.objects.filter(record_id__in=record_ids, heading__authority__isnull=False)
        .filter(heading__authority__forms__preferred=False)
        .values_list("record_id", "heading__authority__forms__label")
    )  # fmt: skip
    for record_id, label in rows:
        found.setdefault(record_id, []).append(label)
    return found
