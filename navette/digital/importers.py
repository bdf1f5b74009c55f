"""Import a vendor's catalogue: each title becomes an online catalogue record.

MARC files (ISO 2709 or MARCXML) are read with the catalogue's MARC reader and
keep the vendor's record, with an 856 link to the title added.

CSV (UTF-8, comma or semicolon separated, one header line). Columns, French
or English names: ``reference``/``ref`` (required), ``titre``/``title``
(required), ``annee``/``year`` (release year), ``duree``/``duration``
(minutes), ``realisateurs``/``auteurs``/``people`` (separated by ``;`` or
``|``), ``resume``/``summary``, ``langue``/``language``, ``editeur``/``publisher``.

Each title gets a MARC21 record (MARC-in-JSON) of type ``online`` with an 856
link to its portal page, so exports and search treat it like any record.
Re-importing updates titles matched on (resource, reference). Commits per
batch; every rejected line is reported with its number and reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from navette.catalogue.importer import Parsed, read_file
from navette.catalogue.models import DocType, MarcFlavour, Record
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_record
from navette.core.outbox import enqueue_records
from navette.digital.models import Resource, ResourceKind, VendorTitle

BATCH = 500

ALIASES = {
    "reference": "ref", "ref": "ref", "référence": "ref", "id": "ref",
    "titre": "title", "title": "title",
    "annee": "year", "année": "year", "year": "year", "annee_sortie": "year",
    "duree": "duration", "durée": "duration", "duration": "duration",
    "realisateurs": "people", "réalisateurs": "people", "auteurs": "people", "people": "people",
    "directors": "people", "authors": "people",
    "resume": "summary", "résumé": "summary", "summary": "summary", "description": "summary",
    "langue": "language", "language": "language",
    "editeur": "publisher", "éditeur": "publisher", "publisher": "publisher",
}  # fmt: skip

ROLE_BY_KIND = {ResourceKind.VOD: "réalisateur", ResourceKind.COURSES: "formateur"}


@dataclass
class TitleRow:
    line: int
    ref: str
    title: str
    year: int | None = None
    duration: int | None = None
    people: list[str] = field(default_factory=list)
    summary: str = ""
    language: str = ""
    publisher: str = ""
    #: the vendor's own record (MARC supplied): kept as is, with our 856 link added
    marc: dict[str, Any] | None = None
    flavour: str = MarcFlavour.MARC21


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


def _int(value: str, what: str, low: int, high: int) -> int | None:
    value = value.strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValueError(_("%(what)s « %(v)s » n'est pas un nombre") % {"what": what, "v": value})
    if not low <= number <= high:
        raise ValueError(_("%(what)s %(v)s hors limites") % {"what": what, "v": number})
    return number


def read_csv(text: str, report: ImportReport) -> Iterator[TitleRow]:
    """Parse CSV text; rejected lines go to ``report.rejected``."""
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    columns = {
        name: ALIASES.get((name or "").strip().lower(), "") for name in reader.fieldnames or []
    }
    if "ref" not in columns.values() or "title" not in columns.values():
        report.rejected.append((1, _("en-tête : colonnes « reference » et « titre » obligatoires")))
        return
    for raw in reader:
        line = reader.line_num
        row = {columns[k]: (v or "").strip() for k, v in raw.items() if k and columns.get(k)}
        try:
            if not row.get("ref"):
                raise ValueError(_("référence vide"))
            if not row.get("title"):
                raise ValueError(_("titre vide"))
            people = [p.strip() for p in row.get("people", "").replace("|", ";").split(";")]
            yield TitleRow(
                line=line, ref=row["ref"][:100], title=row["title"][:500],
                year=_int(row.get("year", ""), _("année"), 1880, 2200),
                duration=_int(row.get("duration", ""), _("durée"), 0, 100_000),
                people=[p for p in people if p], summary=row.get("summary", ""),
                language=row.get("language", "")[:3], publisher=row.get("publisher", "")[:255],
            )  # fmt: skip
        except ValueError as exc:
            report.rejected.append((line, str(exc)))


def read_marc(path: Path, report: ImportReport) -> Iterator[TitleRow]:
    """Read a vendor's MARC file (ISO 2709 or MARCXML, MARC21 or UNIMARC) with the
    catalogue's reader; the record's 001 (else its first 035) is the vendor reference."""
    for item in read_file(path, None):
        if not isinstance(item, Parsed):
            report.rejected.append((item.number, item.reason))
            continue
        x = item.x
        ref = x.control_number or (x.system_numbers[0] if x.system_numbers else "")
        if not ref:
            report.rejected.append((item.number, _("notice sans numéro (001 ou 035)")))
            continue
        if not x.title:
            report.rejected.append((item.number, _("notice sans titre")))
            continue
        yield TitleRow(
            line=item.number, ref=ref[:100], title=x.title[:500], year=x.year,
            people=[a["name"] for a in x.authors], summary=x.summary,
            language=(x.languages[0] if x.languages else "")[:3], publisher=x.publisher[:255],
            marc=item.marc or json.loads(item.marc_text), flavour=item.flavour,
        )  # fmt: skip


def _link_field(resource: Resource, row: TitleRow) -> dict[str, Any]:
    return {"856": {"ind1": "4", "ind2": "0", "subfields": [
        {"u": resource.access_url.replace("{ref}", row.ref)}, {"y": resource.name}]}}  # fmt: skip


def _marc(resource: Resource, row: TitleRow, role: str) -> dict[str, Any]:
    if row.marc is not None:
        kept = [fl for fl in row.marc.get("fields", []) if "856" not in fl]
        return {"leader": row.marc.get("leader", ""), "fields": [*kept, _link_field(resource, row)]}

    def df(tag: str, subfields: list[dict[str, str]], ind1: str = " ", ind2: str = " ") -> dict:
        return {tag: {"ind1": ind1, "ind2": ind2, "subfields": subfields}}

    kind_code = "g" if resource.kind == ResourceKind.VOD else "m"
    fields: list[dict[str, Any]] = [
        {"001": row.ref},
        {"003": resource.vendor.code},
        {"007": "cr"},
    ]
    for i, person in enumerate(row.people):
        fields.append(df("100" if i == 0 else "700", [{"a": person}, {"e": role}], "1"))
    fields.append(df("245", [{"a": row.title}], "1" if row.people else "0", "0"))
    pub = [{"b": row.publisher or resource.vendor.name}]
    if row.year:
        pub.append({"c": str(row.year)})
    fields.append(df("264", pub, " ", "1"))
    if row.duration:
        fields.append(df("300", [{"a": f"1 ressource en ligne ({row.duration} min)"}]))
    if row.summary:
        fields.append(df("520", [{"a": row.summary}]))
    fields.append(_link_field(resource, row))
    return {"leader": f"00000n{kind_code}m a22000007i 4500", "fields": fields}


def _apply(
    resource: Resource, row: TitleRow, existing: VendorTitle | None, now: dt.datetime
) -> VendorTitle:
    role = ROLE_BY_KIND.get(resource.kind, "auteur")  # type: ignore[call-overload]
    values = {
        "flavour": row.flavour, "marc": _marc(resource, row, role),
        "control_number": row.ref, "control_source": resource.vendor.code,
        "title": row.title, "authors": [{"name": p, "role": role} for p in row.people],
        "publisher": row.publisher or resource.vendor.name, "year": row.year,
        "languages": [row.language] if row.language else [], "summary": row.summary,
        "doc_type": DocType.ONLINE,
    }  # fmt: skip
    if existing is None:
        record = Record.objects.create(**values)
        return VendorTitle.objects.create(
            resource=resource, record=record, vendor_ref=row.ref, title=row.title,
            release_year=row.year, duration_minutes=row.duration, people=row.people,
        )  # fmt: skip
    # update() skips auto_now: the datestamp harvesters follow is set here
    Record.objects.filter(pk=existing.record_id).update(**values, updated_at=now)
    existing.title, existing.release_year = row.title, row.year
    existing.duration_minutes, existing.people, existing.is_active = row.duration, row.people, True
    existing.save(
        update_fields=["title", "release_year", "duration_minutes", "people", "is_active"]
    )
    return existing


def titles_import(
    *, resource: Resource, rows: Iterable[TitleRow], report: ImportReport, actor: Actor,
    now: dt.datetime,
) -> ImportReport:  # fmt: skip
    """Create or update the resource's titles and their catalogue records.

    Commits every ``BATCH`` rows (each batch re-indexes its records in the same
    transaction through the search outbox). A line repeated within the file
    is rejected, not applied twice.
    """
    seen: set[str] = set()
    batch: list[TitleRow] = []

    def flush() -> None:
        if not batch:
            return
        with transaction.atomic():
            existing = {
                t.vendor_ref: t
                for t in VendorTitle.objects.filter(
                    resource=resource, vendor_ref__in=[r.ref for r in batch]
                )
            }
            ids = []
            for row in batch:
                title = _apply(resource, row, existing.get(row.ref), now)
                ids.append(title.record_id)
                if row.ref in existing:
                    report.updated += 1
                else:
                    report.created += 1
            enqueue_records(ids)
        batch.clear()

    for row in rows:
        if row.ref in seen:
            report.rejected.append((row.line, _("référence « %(r)s » en double") % {"r": row.ref}))
            continue
        seen.add(row.ref)
        batch.append(row)
        if len(batch) >= BATCH:
            flush()
    flush()
    with transaction.atomic():
        audit_record(
            actor=actor, action=AuditAction.RESOURCE_IMPORT_TITLES, now=now, obj=resource,
            data={"created": report.created, "updated": report.updated,
                  "rejected": len(report.rejected)},
        )  # fmt: skip
    return report
