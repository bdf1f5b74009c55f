"""Load a programme of events from a CSV file (``navette import-events FILE.csv``).

One row per event. Columns (header names, French, case-insensitive):

``titre`` (required), ``bibliotheque`` (code, commune or name of the library;
or leave empty and give ``lieu``), ``debut`` (``AAAA-MM-JJ HH:MM``, Paris time),
``fin`` (``HH:MM`` the same day, or ``AAAA-MM-JJ HH:MM``), ``public``
(enfants, ados, adultes, famille, tout public), ``theme``, ``programme``
(title; created when missing), ``description``, ``inscription`` (oui/non),
``places``, ``tarif`` (empty or 'gratuit' for free), ``accessibilite``, ``lieu``,
``adresse``.

Each row is loaded in its own savepoint, and rows are committed by batches: a
bad row is reported with its line number and the others load. A row identical
to an event already there (same title, place and start) is left as it is, so
the same file can be imported twice.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import ngettext

from navette.core.actors import Actor
from navette.core.clock import PARIS
from navette.events.errors import EventInvalid
from navette.events.models import Audience, Event, Programme, Theme
from navette.events.services import event_create
from navette.network.models import Library

BATCH = 100
REQUIRED = ("titre", "debut")
_AUDIENCES = {
    "enfants": Audience.CHILDREN, "enfant": Audience.CHILDREN, "jeunesse": Audience.CHILDREN,
    "ados": Audience.TEENS, "adolescents": Audience.TEENS,
    "adultes": Audience.ADULTS, "adulte": Audience.ADULTS,
    "famille": Audience.FAMILY, "familles": Audience.FAMILY,
    "tout public": Audience.EVERYONE, "tout_public": Audience.EVERYONE, "tous": Audience.EVERYONE,
    "": Audience.EVERYONE,
}  # fmt: skip
_YES = {"oui", "o", "yes", "y", "1", "vrai"}
_NO = {"non", "n", "no", "0", "faux", ""}


class ImportFileError(Exception):
    """The file cannot be read at all (missing columns, not a CSV file)."""


class RowError(Exception):
    pass


@dataclass
class ImportReport:
    created: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    programmes: set[str] = field(default_factory=set)

    def __str__(self) -> str:
        n_errors = len(self.errors)
        return ", ".join(
            (
                ngettext("%(n)d événement créé", "%(n)d événements créés", self.created)
                % {"n": self.created},
                ngettext("%(n)d déjà présent", "%(n)d déjà présents", self.unchanged)
                % {"n": self.unchanged},
                ngettext("%(n)d ligne refusée", "%(n)d lignes refusées", n_errors)
                % {"n": n_errors},
            )
        )


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in text if not unicodedata.combining(c))


class _Libraries:
    def __init__(self) -> None:
        self.by_key: dict[str, Library | None] = {}
        for lib in Library.objects.all():
            for key in (lib.code, lib.name, lib.commune):
                folded = _fold(key)
                # A commune with several libraries is ambiguous: it must be named by code.
                self.by_key[folded] = (
                    None if folded in self.by_key and self.by_key[folded] != lib else lib
                )

    def find(self, raw: str) -> Library | None:
        if not raw.strip():
            return None
        folded = _fold(raw)
        if folded not in self.by_key:
            raise RowError(f"bibliothèque inconnue « {raw} »")
        lib = self.by_key[folded]
        if lib is None:
            raise RowError(f"« {raw} » désigne plusieurs bibliothèques : donnez son code")
        return lib


def _datetime(raw: str, column: str) -> dt.datetime:
    raw = raw.strip().replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            naive = dt.datetime.strptime(raw, fmt)
        except ValueError:
            continue
        return naive.replace(tzinfo=PARIS)
    raise RowError(
        f"colonne {column} : date et heure « {raw} » illisible (attendu AAAA-MM-JJ HH:MM)"
    )


def _end(raw: str, start: dt.datetime) -> dt.datetime:
    raw = raw.strip()
    if not raw:
        return start + dt.timedelta(hours=1)
    if len(raw) <= 5:
        try:
            at = dt.time.fromisoformat(raw.replace("h", ":").zfill(5))
        except ValueError:
            raise RowError(f"colonne fin : heure « {raw} » illisible (attendu HH:MM)")
        end = dt.datetime.combine(start.date(), at, PARIS)
        return end
    return _datetime(raw, "fin")


def _row_fields(row: dict[str, str], libraries: _Libraries) -> dict[str, Any]:
    title = row.get("titre", "").strip()
    if not title:
        raise RowError("colonne titre vide")
    if not row.get("debut", "").strip():
        raise RowError("colonne debut vide")
    start = _datetime(row["debut"], "debut")
    end = _end(row.get("fin", ""), start)
    if end < start:
        raise RowError("la fin précède le début")
    library = libraries.find(row.get("bibliotheque", ""))
    place = row.get("lieu", "").strip()
    if library is None and not place:
        raise RowError("ni bibliothèque ni lieu")
    audience_raw = _fold(row.get("public", ""))
    if audience_raw not in _AUDIENCES:
        raise RowError(
            f"colonne public : « {row.get('public')} » inconnu (enfants, ados, adultes, famille, tout public)"
        )
    registration_raw = _fold(row.get("inscription", ""))
    if registration_raw not in _YES | _NO:
        raise RowError(f"colonne inscription : « {row.get('inscription')} » (attendu oui ou non)")
    capacity_raw = row.get("places", "").strip()
    capacity = None
    if capacity_raw:
        if not capacity_raw.isdigit() or int(capacity_raw) == 0:
            raise RowError(f"colonne places : « {capacity_raw} » n'est pas un nombre positif")
        capacity = int(capacity_raw)
    price = row.get("tarif", "").strip()
    theme = None
    theme_label = row.get("theme", "").strip()
    if theme_label:
        theme, _created = Theme.objects.get_or_create(
            code=slugify(theme_label)[:60], defaults={"label": theme_label}
        )
    return {
        "title": title,
        "description": row.get("description", "").strip(),
        "library": library,
        "place_name": place,
        "place_address": row.get("adresse", "").strip(),
        "starts_at": start,
        "ends_at": end,
        "audience": _AUDIENCES[audience_raw],
        "theme": theme,
        "is_free": not price or _fold(price) == "gratuit",
        "price": "" if _fold(price) == "gratuit" else price,
        "accessibility": row.get("accessibilite", "").strip(),
        "registration_required": registration_raw in _YES,
        "capacity": capacity,
    }


def _programme(title: str, cache: dict[str, Programme], day: dt.date) -> Programme:
    slug = slugify(title)[:80]
    if slug not in cache:
        programme, _c = Programme.objects.get_or_create(
            slug=slug, defaults={"title": title, "starts_on": day, "ends_on": day}
        )
        cache[slug] = programme
    programme = cache[slug]
    if day < programme.starts_on or day > programme.ends_on:
        programme.starts_on = min(programme.starts_on, day)
        programme.ends_on = max(programme.ends_on, day)
        programme.save(update_fields=["starts_on", "ends_on"])
    return programme


def import_events_csv(source: Path | IO[str], *, actor: Actor, now: dt.datetime) -> ImportReport:
    """Load events from CSV. Raises ``ImportFileError`` if the file is unusable;
    bad rows are listed in the report with their line number."""
    if isinstance(source, Path):
        try:
            text = source.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ImportFileError(f"{source} : fichier illisible ({exc})")
        handle: IO[str] = io.StringIO(text)
    else:
        handle = source
    sample = handle.read(4096)
    handle.seek(0)
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(handle, dialect=dialect)
    if reader.fieldnames is None:
        raise ImportFileError("fichier vide")
    reader.fieldnames = [_fold(name).replace("é", "e") for name in reader.fieldnames]
    missing = [c for c in REQUIRED if c not in reader.fieldnames]
    if missing:
        raise ImportFileError(
            ngettext("colonne manquante : %(cols)s", "colonnes manquantes : %(cols)s",
                     len(missing)) % {"cols": ", ".join(missing)}
        )  # fmt: skip

    report = ImportReport()
    libraries = _Libraries()
    programmes: dict[str, Programme] = {}
    rows = list(enumerate_rows(reader))
    for start in range(0, len(rows), BATCH):
        with transaction.atomic():
            for line, row in rows[start : start + BATCH]:
                try:
                    with transaction.atomic():
                        fields = _row_fields(row, libraries)
                        title = row.get("programme", "").strip()
                        if title:
                            programme = _programme(title, programmes, fields["starts_at"].date())
                            fields["programme"] = programme
                            report.programmes.add(programme.slug)
                        if Event.objects.filter(
                            title=fields["title"], library=fields["library"],
                            place_name=fields["place_name"], starts_at=fields["starts_at"],
                        ).exists():  # fmt: skip
                            report.unchanged += 1
                            continue
                        event_create(fields=fields, actor=actor, now=now)
                        report.created += 1
                except (RowError, EventInvalid) as exc:
                    report.errors.append((line, str(exc)))
    return report


def enumerate_rows(reader: csv.DictReader) -> Any:
    """(line number, row) pairs; the number is the file line where the row starts."""
    line = 1
    for row in reader:
        first = line + 1
        line = reader.line_num
        yield first, {k: (v or "") for k, v in row.items() if k is not None}
