"""Demo catalogue: real records from ../shared/data/marc with copies over the 27 libraries.

Loads 18,000 Library of Congress books, the French-language ones first, plus the Evergreen variety
(CDs, DVDs, scores, maps, French books) and the UNIMARC samples, then gives
each record one to four demo copies; the larger libraries (Lens, Liévin,
Avion, Harnes) hold more; then merges the records the sample files hold twice
(``deduplicate``). Without the shared data the committed test fixtures are
loaded instead. Idempotent: a second run adds nothing.
"""

from __future__ import annotations

import gzip
import os
import random
import re
import unicodedata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from navette.catalogue.duplicates import duplicates_scan
from navette.catalogue.importer import import_marc_files
from navette.catalogue.merging import record_merge
from navette.catalogue.models import DuplicateKeyKind, Item, Record
from navette.catalogue.selectors import duplicate_pairs
from navette.core import clock
from navette.core.actors import Actor
from navette.core.outbox import enqueue_records
from navette.network.models import Library

REPO = Path(__file__).resolve().parents[2]


def loc_sample() -> int:
    """How many LoC books the demo loads; NAVETTE_DEMO_LOC_RECORDS lowers it (the quick-start
    test uses a smaller catalogue to stay fast; the demo itself loads the full sample)."""
    return int(settings.NAVETTE_DEMO_LOC_RECORDS)


BIG = {"lens": 5, "lievin-desrousseaux": 3, "lievin-gambetta": 3, "avion-emile-zola": 3,
       "avion-miss-robin": 2, "harnes": 4}  # fmt: skip
EVERGREEN = [
    "evergreen/Open-ILS/tests/datasets/jazz_1k.mrc",
    "evergreen/Open-ILS/tests/datasets/lul_fre_500.mrc",
    "evergreen/Open-ILS/tests/datasets/map_data.mrc",
    "evergreen/Open-ILS/tests/datasets/FSL.marc",
    "evergreen/extracted/bibs_concerto.marcxml.xml",
    "evergreen/extracted/bibs_fre.marcxml.xml",
    "evergreen/extracted/bibs_fic.marcxml.xml",
    "evergreen/extracted/bibs_rda.marcxml.xml",
    "evergreen/extracted/bibs_maps.marcxml.xml",
    "evergreen/extracted/concerto_enhanced.biblio.record_entry.marcxml.xml",
    "evergreen/extracted/concerto_enhanced.vandelay.queued_bib_record.marcxml.xml",
    "pan2bq-unimarc/Exemples_fichier_pan/serie-HarryPotter.pan",
    "opacce-afi/extracted/KohaFixtures.unimarc.marcxml.xml",
]


def shared_data() -> Path | None:
    path = Path(settings.NAVETTE_SHARED_DATA)
    return path if (path / "marc").is_dir() else None


#: MARC21 008 positions 35-37: the language of the text
LANGUAGE_AT = slice(35, 38)
RECORD_END = b"\x1d"


def _language(record: bytes) -> bytes:
    """The 008 language code of a raw ISO 2709 MARC21 record (b"" when unreadable)."""
    try:
        base = int(record[12:17])
        for start in range(24, base - 1, 12):
            entry = record[start : start + 12]
            if entry[:3] == b"008":
                offset = base + int(entry[7:12])
                return record[offset : offset + int(entry[3:7])][LANGUAGE_AT]
    except ValueError:
        pass
    return b""


def french_first(source: Path, limit: int, cache: Path) -> Path:
    """A sample of ``limit`` records of the Library of Congress file, the French-language
    ones first (about 12,700 of its 250,000), then the others in file order: an ISO 2709
    file written once into ``cache`` and reused. Records are copied byte for byte (the
    language is read from the directory and 008, without decoding the records)."""
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"loc-french-first-{limit}.mrc"
    if target.exists():
        return target
    french: list[bytes] = []
    others: list[bytes] = []
    with gzip.open(source, "rb") as stream:
        rest = b""
        while len(french) < limit:
            chunk = stream.read(1 << 22)
            if not chunk:
                break
            *records, rest = (rest + chunk).split(RECORD_END)
            for record in records:
                if _language(record) == b"fre":
                    french.append(record + RECORD_END)
                elif len(others) < limit:
                    others.append(record + RECORD_END)
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(b"".join((french + others)[:limit]))
    os.replace(tmp, target)
    return target


def load(ctx: Any) -> None:
    now = clock.now()
    if not Record.objects.filter(is_demo=True).exists():
        data = shared_data()
        if data is None:
            ctx.log(
                "catalogue : données partagées absentes, chargement des notices de test du dépôt"
            )
            fixtures = sorted((REPO / "tests" / "catalogue" / "fixtures").glob("*.[mx][rm][cl]"))
            report = import_marc_files(fixtures, now=now, is_demo=True, default_library="lens")
        else:
            marc = data / "marc"
            loc = marc / "loc-booksall-2016-part01" / "BooksAll.2016.part01.utf8.gz"
            sample = french_first(loc, loc_sample(), Path(ctx.home) / "demo-cache")
            report = import_marc_files(
                [sample], now=now, is_demo=True, limit=loc_sample(), default_library="lens"
            )
            rda = sorted((marc / "evergreen/Open-ILS/tests/datasets/RDA").glob("*.mrc"))
            others = [marc / p for p in EVERGREEN if (marc / p).exists()] + rda
            more = import_marc_files(others, now=now, is_demo=True, default_library="lens")
            report.created += more.created
            report.rejected += more.rejected
        ctx.log(
            f"catalogue : {report.created} notices de démonstration, {report.rejected} rejetées"
        )
        _add_copies(seed=2026)
    merged = deduplicate(now=now)
    if merged:
        said = "notice en double fusionnée" if merged == 1 else "notices en double fusionnées"
        ctx.log(f"catalogue : {merged} {said}")
    ctx.before_write.append(_list_sample_copies)


def _list_sample_copies(ctx: Any) -> None:
    """Ten sample copies with their status once the whole demo has loaded (its desk day lends
    and reserves some of them after the catalogue is in)."""
    ctx.accounts["copies"] = [
        {"barcode": item.barcode, "title": item.record.title, "record": item.record_id,
         "library": item.owning_library.name, "status": item.get_status_display()}
        for item in Item.objects.filter(is_demo=True)
        .select_related("record", "owning_library")
        .order_by("pk")[:10]
    ]  # fmt: skip


def deduplicate(*, now: Any) -> int:
    """Merge the records loaded twice (the same book in two of the sample files, e.g. the
    Evergreen French and Concerto sets): every candidate pair sharing the title-author-date
    key, into the record loaded first. Pairs sharing only an identifier (a set's ISBN
    printed in each volume) are left to the review page. Returns how many were merged."""
    actor = Actor.system("demo")
    duplicates_scan(actor=actor, now=now, force=True)
    pairs, _total = duplicate_pairs(offset=0, limit=1_000_000)
    gone: set[int] = set()
    merged = 0
    for pair in pairs:
        if DuplicateKeyKind.TITLE not in pair.kinds or {pair.first_id, pair.second_id} & gone:
            continue
        records = Record.objects.in_bulk([pair.first_id, pair.second_id])
        record_merge(kept=records[pair.first_id], merged=records[pair.second_id], actor=actor,
                     now=now)  # fmt: skip
        gone.add(pair.second_id)
        merged += 1
    return merged


#: shelf-mark prefixes by document type, as French public libraries label their shelves
CALL_PREFIX = {
    "comic": "BD", "magazine": "REV", "video": "DVD", "music": "CD", "audiobook": "LA",
    "video_game": "JV", "score": "PART", "map": "CARTE", "online": "WEB",
}  # fmt: skip
#: MARC classification fields holding a Dewey number: MARC21 082, UNIMARC 676
DEWEY_TAGS = ("082", "676")


def _dewey(marc: dict[str, Any]) -> str:
    """The first three digits of the record's Dewey number, or ''."""
    for field in marc.get("fields", []):
        for tag, value in field.items():
            if tag in DEWEY_TAGS and isinstance(value, dict):
                for sub in value.get("subfields", []):
                    digits = "".join(c for c in str(sub.get("a", "")) if c.isdigit())
                    if len(digits) >= 3:
                        return digits[:3]
    return ""


def _letters(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    return "".join(c for c in folded if c.isalpha() and c.isascii())[:3].upper()


ARTICLES = {"le", "la", "les", "l", "un", "une", "des", "the", "a", "an"}


def _filing_title(title: str) -> str:
    """The title without its leading article and numbers ("2001 : l'odyssée" -> "odyssée")."""
    words = re.findall(r"\w+", title)
    while words and (words[0].lower() in ARTICLES or not any(c.isalpha() for c in words[0])):
        words.pop(0)
    return " ".join(words)


def call_number(record: Record) -> str:
    """A plausible shelf mark (cote) for a demo copy of ``record``: a prefix by document type
    (or the Dewey class for non-fiction books, R for other books), 'J' before it for children's
    documents, then the first three letters of the main author (of the title without one).
    E.g. 'R GUI', '944 DUB', 'J BD GOS', 'DVD KUB'."""
    prefix = CALL_PREFIX.get(record.doc_type, "")
    if not prefix:
        prefix = _dewey(record.marc or {}) or "R"
    if record.audience == "children":
        prefix = f"J {prefix}"
    authors = record.authors or []
    name = authors[0].get("name", "") if authors and isinstance(authors[0], dict) else ""
    letters = (
        _letters(name)
        or _letters(_filing_title(record.title))
        or "".join(c for c in record.title if c.isalnum())[:3].upper()  # "1984"
        or str(record.pk or "")
    )
    return f"{prefix} {letters}"


def _add_copies(seed: int) -> int:
    """One to four copies for each demo record that has none, spread by library size."""
    rng = random.Random(seed)
    libraries = list(Library.objects.order_by("code"))
    weights = [BIG.get(lib.code, 1) for lib in libraries]
    created = 0
    ids = list(Record.objects.filter(is_demo=True, items__isnull=True).values_list("pk", flat=True))
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        items: list[Item] = []
        records = Record.objects.only("doc_type", "audience", "authors", "title", "marc")
        for record in records.filter(pk__in=chunk).order_by("pk"):
            rid, cote = record.pk, call_number(record)
            for lib in rng.choices(libraries, weights, k=rng.choice((1, 1, 2, 2, 3, 4))):
                roll = rng.random()
                status = "available" if roll < 0.93 else ("damaged" if roll < 0.97 else "lost")
                items.append(Item(
                    record_id=rid, barcode=f"D{rid:07d}{len(items) % 10}{lib.pk:02d}",
                    owning_library=lib, current_library=lib, status=status, is_demo=True,
                    call_number=cote,
                ))  # fmt: skip
        with transaction.atomic():
            Item.objects.bulk_create(items, batch_size=2000, ignore_conflicts=True)
            enqueue_records(chunk)
        created += len(items)
    return created
