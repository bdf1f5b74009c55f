"""Keys that make two records candidates for a merge, computed once per record.

A record's keys (identifiers normalised with python-stdnum, and a title-author-date key)
are rows of ``DuplicateKey``, written in the transaction that writes the record (the MARC
import per batch, the merge and its undo). Candidates are then pairs of records sharing a
key: one indexed self-join in the database (``selectors.duplicate_candidates``), never a
scan of the catalogue in Python.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Max

from navette.catalogue.marc.extract import Extracted, extract
from navette.catalogue.marc.identifiers import ean13
from navette.catalogue.models import (
    DuplicateCandidate,
    DuplicateKey,
    DuplicateKeyKind,
    DuplicateScan,
    Record,
)
from navette.core.actions import AuditAction
from navette.core.actors import Actor, ActorKind
from navette.core.audit import audit_record
from navette.network.scope import catalogue_scope_check

#: leading articles dropped from titles (French, English, German, Spanish, Italian)
ARTICLES = frozenset(
    "le la les l un une des the a an der die das ein eine el los las il lo gli i".split()
)
_NOT_WORD = re.compile(r"[\W_]+")
#: an article sent to the end, as catalogues file titles: "Peste (La)", "Horla (Le)"
_TRAILING_ARTICLE = re.compile(r"\(\s*(\w+)\s*['’]?\s*\)\s*$")

Key = tuple[str, str]


def fold(text: str) -> str:
    """Lower case, accents and punctuation gone, words separated by one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", bare.casefold()).split())


def title_key(*, title: str, authors: list[dict[str, Any]], year: int | None,
              doc_type: str) -> str:  # fmt: skip
    """'book|jeunesse des romantiques|dupuy|1905' for "La jeunesse des romantiques" by
    "Dupuy, Ernest, 1849-1918" (1905); '' when the title has no word left."""
    trailing = _TRAILING_ARTICLE.search(title)
    if trailing and fold(trailing.group(1)) in ARTICLES:
        title = title[: trailing.start()]
    words = fold(title).split()
    while len(words) > 1 and words[0] in ARTICLES:
        words.pop(0)
    if not words:
        return ""
    name = str(authors[0].get("name", "")) if authors and isinstance(authors[0], dict) else ""
    surname = " ".join(w for w in fold(name.split(",")[0]).split() if not w.isdigit())
    return f"{doc_type}|{' '.join(words)[:180]}|{surname[:40]}|{year if year is not None else ''}"


def duplicate_keys(x: Extracted) -> list[Key]:
    """The keys of a record read from MARC: ISBNs as ISBN-13 (an EAN of a book, 978 or
    979, is its ISBN), other EANs as EAN-13, ISSNs, 001+003, 035, LC and BnF numbers, and
    the title-author-date key."""
    keys: list[Key] = [(DuplicateKeyKind.ISBN, v) for v in x.isbns]
    for raw in x.eans:
        value = ean13(raw)
        if value:
            kind = DuplicateKeyKind.ISBN if value[:3] in ("978", "979") else DuplicateKeyKind.EAN
            keys.append((kind, value))
    keys += [(DuplicateKeyKind.ISSN, v) for v in x.issns]
    if x.control_number:
        keys.append((DuplicateKeyKind.CONTROL, f"{x.control_source}|{x.control_number}"[:255]))
    keys += [(DuplicateKeyKind.SYSTEM, v[:255]) for v in x.system_numbers]
    keys += [(DuplicateKeyKind.LCCN, v[:255]) for v in x.lccns]
    keys += [(DuplicateKeyKind.BNF, v) for v in x.bnf_numbers]
    key = title_key(title=x.title, authors=x.authors, year=x.year, doc_type=x.doc_type)
    if key:
        keys.append((DuplicateKeyKind.TITLE, key))
    return [(str(k), v) for k, v in dict.fromkeys(keys)]


def record_keys(record: Record) -> list[Key]:
    """The keys of a stored record, read again from its MARC (the import's reading)."""
    if not record.marc or not record.marc.get("fields"):
        x = Extracted(title=record.title, authors=record.authors or [], year=record.year,
                      doc_type=record.doc_type, isbns=list(record.isbns or []),
                      issns=list(record.issns or []), eans=list(record.eans or []),
                      control_number=record.control_number,
                      control_source=record.control_source)  # fmt: skip
    else:
        x = extract(record.marc, record.flavour)
        x.doc_type = record.doc_type
    return duplicate_keys(x)


def keys_refresh(record_ids: Iterable[int], *, batch: int = 2000) -> int:
    """Write again the keys of these records (in the caller's transaction); returns how
    many keys were written."""
    ids = sorted(set(record_ids))
    written = 0
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        DuplicateKey.objects.filter(record_id__in=chunk).delete()
        rows = [
            DuplicateKey(record_id=record.pk, kind=kind, value=value)
            for record in Record.objects.filter(pk__in=chunk).order_by("pk").iterator()
            for kind, value in record_keys(record)
        ]
        DuplicateKey.objects.bulk_create(rows, batch_size=5000)
        written += len(rows)
    return written


# -- The scan: pairs of records sharing keys, written for the review list ------------------

#: a key shared by more records than this says little (a series' ISSN, "Poèmes" without
#: author): its pairs are not proposed
MAX_GROUP = 30


def _pairs_sql() -> str:
    key = DuplicateKey._meta.db_table
    candidate = DuplicateCandidate._meta.db_table
    return f"""
        INSERT INTO {candidate} (first_id, second_id, strength)
        WITH shared AS (
            SELECT kind, value FROM {key} GROUP BY kind, value
            HAVING COUNT(*) BETWEEN 2 AND %s
        )
        SELECT a.record_id, b.record_id, COUNT(DISTINCT a.kind)
        FROM shared s
        JOIN {key} a ON a.kind = s.kind AND a.value = s.value
        JOIN {key} b ON b.kind = s.kind AND b.value = s.value AND a.record_id < b.record_id
        GROUP BY a.record_id, b.record_id
    """  # noqa: S608 (table names from _meta)


def duplicates_scan(*, actor: Actor, now: dt.datetime, force: bool = False) -> DuplicateScan | None:
    """Pair the records sharing a key (each key shared by 2 to ``MAX_GROUP`` records) into
    the candidates table the review list reads, in one statement and one transaction (the
    list shows the old pairs until the new ones are committed). Skipped, returning
    ``None``, when no key was written since the last scan, unless ``force``. Scans are
    serialised by a lock on the scan's row. A staff actor must be a cataloguer or a
    network administrator (``CatalogueRoleRequired``, audited); the scheduled job and the
    imports pass."""
    if actor.kind == ActorKind.STAFF:
        catalogue_scope_check(actor=actor, library_ids=[],
                              action=AuditAction.RECORD_DUPLICATES_SCAN, now=now)  # fmt: skip
    started = time.perf_counter()
    with transaction.atomic():
        scan, _created = DuplicateScan.objects.get_or_create(pk=1, defaults={"finished_at": now})
        scan = DuplicateScan.objects.select_for_update().get(pk=1)
        high = DuplicateKey.objects.aggregate(high=Max("id"))["high"] or 0
        if not force and not _created and scan.keys_high_water == high:
            return None
        DuplicateCandidate.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(_pairs_sql(), [MAX_GROUP])
        scan.finished_at = now
        scan.keys_high_water = high
        scan.pairs = DuplicateCandidate.objects.count()
        scan.seconds = round(time.perf_counter() - started, 3)
        scan.save()
        if actor.kind == ActorKind.STAFF:
            audit_record(actor=actor, action=AuditAction.RECORD_DUPLICATES_SCAN, now=now,
                         obj=scan, data={"pairs": scan.pairs})  # fmt: skip
    return scan
