"""Headings across the catalogue: browse them, change one everywhere, undo the change, and
import authority records.

A heading change edits the MARC fields of every record carrying the heading, each through
the record editor's save (``editing._save``): the record, its identifiers, a new version in
its history and a search outbox row, all in one transaction with one audit event
(``heading.change``). The undo gives every record exactly the MARC it had before (a new
version each), refused when one of them was changed since. Cataloguers and network
administrators only (``catalogue_scope_check``, as merges of duplicates): the change
reaches records of every library.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from navette.catalogue import editing
from navette.catalogue.heading_index import (
    MAX_LABEL,
    heading_key,
    headings_link_authorities,
    headings_refresh,
    prefix_sort_key,
)
from navette.catalogue.marc import MarcError
from navette.catalogue.marc.charset import decode_marc8, decode_utf8
from navette.catalogue.marc.extract import clean
from navette.catalogue.marc.headings import authority_flavour, authority_forms, rename_in_marc
from navette.catalogue.marc.iso2709 import parse_structure, split_records, to_json_and_fields
from navette.catalogue.marc.marcxml import element_to_json, is_xml, iter_xml_records
from navette.catalogue.models import (
    Authority,
    AuthorityForm,
    Heading,
    HeadingChange,
    HeadingKind,
    Record,
    RecordHeading,
    RecordVersionKind,
)
from navette.core.actions import AuditAction
from navette.core.actors import Actor, ActorKind
from navette.core.audit import audit_record
from navette.core.errors import DomainError
from navette.core.outbox import enqueue_records
from navette.network.scope import catalogue_scope_check


class HeadingChangeRefused(DomainError):
    """``heading_label_required``, ``heading_label_unchanged``, ``heading_label_too_long``,
    ``heading_unused``, ``heading_record_invalid`` (with ``record_id``, ``title``)."""

    code = "heading_change_refused"


class HeadingUndoRefused(DomainError):
    """``already_undone``; ``records_changed_since`` (with ``titles`` and ``count``)."""

    code = "heading_undo_refused"


# --- browsing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadingPage:
    headings: list[Heading]
    total: int


def headings_browse(*, kind: str = "", prefix: str = "", offset: int = 0,
                    limit: int = 50) -> HeadingPage:  # fmt: skip
    """Headings carried by at least one record, in French order (accents and case count
    after the letters), of one ``kind`` or all, starting with ``prefix`` (accents, case and
    punctuation ignored)."""
    found = Heading.objects.filter(record_count__gt=0)
    if kind in HeadingKind.values:
        found = found.filter(kind=kind)
    start = prefix_sort_key(prefix)
    if start:
        found = found.filter(sort_key__startswith=start)
    total = found.count()
    rows = list(
        found.select_related("authority").order_by("sort_key", "kind", "label", "pk")[
            offset : offset + limit
        ]
    )
    return HeadingPage(rows, total)


def heading_records(heading: Heading, limit: int | None = None) -> list[Record]:
    """The records carrying ``heading`` (the preview of a change), by title."""
    found = Record.objects.filter(heading_links__heading=heading).only(
        "title", "year", "flavour", "doc_type"
    ).order_by("title", "pk")  # fmt: skip
    return list(found if limit is None else found[:limit])


def heading_for(kind: str, label: str) -> Heading | None:
    return Heading.objects.filter(kind=kind, label=label).first()


# --- changing a heading everywhere ---------------------------------------------------------


def _user_id(actor: Actor) -> int | None:
    return actor.id if actor.kind == ActorKind.STAFF else None


def heading_change(*, heading: Heading, new_label: str, actor: Actor,
                   now: dt.datetime) -> HeadingChange:  # fmt: skip
    """Give every record carrying ``heading`` the form ``new_label`` instead, in one
    transaction (see the module's docstring). Refused (``HeadingChangeRefused``, nothing
    written) for an empty, unchanged or too long form, a heading no record carries, or a
    record the change would make invalid; ``CatalogueRoleRequired`` (audited) for staff
    who are neither cataloguers nor network administrators."""
    catalogue_scope_check(actor=actor, library_ids=[], action=AuditAction.HEADING_CHANGE,
                          now=now, obj=heading)  # fmt: skip
    label = clean(new_label or "")
    if not label:
        raise HeadingChangeRefused(code="heading_label_required")
    if len(label) > MAX_LABEL:
        raise HeadingChangeRefused(code="heading_label_too_long", limit=MAX_LABEL)
    if label == heading.label:
        raise HeadingChangeRefused(code="heading_label_unchanged", label=label)
    with transaction.atomic():
        ids = list(RecordHeading.objects.filter(heading_id=heading.pk).order_by("record_id")
                   .values_list("record_id", flat=True))  # fmt: skip
        records = list(Record.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        entries: list[dict[str, Any]] = []
        for record in records:
            marc = rename_in_marc(record.marc, record.flavour, heading.kind, heading.label, label)
            if marc is None:
                continue  # the heading came from no field this record still has
            try:
                saved = editing._save(
                    record=record, marc=marc, actor=actor, now=now, expected_hash=None,
                    kind=RecordVersionKind.HEADING_CHANGED, action=AuditAction.RECORD_UPDATE,
                    batch=True,
                )  # fmt: skip
            except editing.RecordInvalid as exc:
                raise HeadingChangeRefused(
                    code="heading_record_invalid", record_id=record.pk, title=record.title,
                    problems=[p.code for p in exc.problems],
                ) from None  # fmt: skip
            entries.append({"id": record.pk, "before": record.marc,
                            "after": saved.record.marc_hash})  # fmt: skip
        if not entries:
            raise HeadingChangeRefused(code="heading_unused", label=heading.label)
        changed = [e["id"] for e in entries]
        headings_refresh(changed)
        change = HeadingChange.objects.create(
            kind=heading.kind, old_label=heading.label, new_label=label, records=entries,
            changed_at=now, changed_by_id=_user_id(actor),
        )  # fmt: skip
        audit_record(actor=actor, action=AuditAction.HEADING_CHANGE, now=now, obj=change,
                     data={"kind": heading.kind, "from": heading.label, "to": label,
                           "records": changed})  # fmt: skip
    return change


def heading_change_undo(*, change: HeadingChange, actor: Actor, now: dt.datetime) -> HeadingChange:
    """Give every record of ``change`` the MARC it had before, exactly (a new version each),
    in one transaction. Refused (``HeadingUndoRefused``, nothing written) when the change was
    undone already or a record was changed (or deleted) since."""
    catalogue_scope_check(actor=actor, library_ids=[], action=AuditAction.HEADING_CHANGE_UNDO,
                          now=now, obj=change)  # fmt: skip
    with transaction.atomic():
        current = HeadingChange.objects.select_for_update().get(pk=change.pk)
        if current.undone_at is not None:
            raise HeadingUndoRefused(code="heading_change_already_undone")
        ids = [e["id"] for e in current.records]
        rows = {
            r.pk: r for r in Record.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        }
        moved = [e for e in current.records
                 if e["id"] not in rows or rows[e["id"]].marc_hash != e["after"]]  # fmt: skip
        if moved:
            titles = [rows[e["id"]].title if e["id"] in rows else f"#{e['id']}" for e in moved]
            raise HeadingUndoRefused(code="heading_records_changed_since", titles=titles[:5],
                                     count=len(moved))  # fmt: skip
        for entry in current.records:
            editing._save(
                record=rows[entry["id"]], marc=entry["before"], actor=actor, now=now,
                expected_hash=entry["after"], kind=RecordVersionKind.HEADING_UNDONE,
                action=AuditAction.RECORD_UPDATE, batch=True, verbatim=True,
            )  # fmt: skip
        headings_refresh(ids)
        current.undone_at = now
        current.save(update_fields=["undone_at"])
        audit_record(actor=actor, action=AuditAction.HEADING_CHANGE_UNDO, now=now, obj=current,
                     data={"kind": current.kind, "from": current.new_label,
                           "to": current.old_label, "records": ids})  # fmt: skip
    return current


def recent_heading_changes(limit: int = 10) -> list[HeadingChange]:
    return list(HeadingChange.objects.order_by("-changed_at", "-pk")[:limit])


# --- authority records ---------------------------------------------------------------------


@dataclass
class AuthorityImport:
    read: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    linked: int = 0
    #: (position in the file, code)
    rejected: list[tuple[int, str]] | None = None


def authorities_import(*, path: Path, actor: Actor, now: dt.datetime) -> AuthorityImport:
    """Import the authority records of an ISO 2709 or MARCXML file (MARC21 or UNIMARC
    authority format, told apart per record): each keeps its authorised and see-from
    forms; a record whose 001 is already known replaces it. Then link every heading to
    the authority it matches, and queue the records of linked headings for the search
    index (their see-from forms are searchable). One transaction."""
    report = AuthorityImport(rejected=[])
    with transaction.atomic():
        for n, marc in read_authorities(path):
            report.read += 1
            if isinstance(marc, str):
                report.rejected.append((n, marc))  # type: ignore[union-attr]
                continue
            flavour = authority_flavour(marc)
            forms = authority_forms(marc, flavour)
            preferred = [f for f in forms if f.preferred]
            if not preferred:
                report.skipped += 1
                report.rejected.append((n, "no_heading"))  # type: ignore[union-attr]
                continue
            control = next((str(v).strip() for f in marc["fields"] for t, v in f.items()
                            if t == "001" and isinstance(v, str)), "")[:64]  # fmt: skip
            authority = (
                Authority.objects.select_for_update().filter(control_number=control).first()
                if control else None
            )  # fmt: skip
            if authority is None:
                authority = Authority(imported_at=now)
                report.created += 1
            else:
                report.updated += 1
                authority.forms.all().delete()
            authority.flavour = flavour
            authority.kind = preferred[0].kind
            authority.label = preferred[0].label[:MAX_LABEL]
            authority.control_number = control
            authority.marc = marc
            authority.source_file = path.name[:255]
            authority.imported_at = now
            authority.save()
            AuthorityForm.objects.bulk_create(
                AuthorityForm(authority=authority, kind=f.kind, label=f.label[:MAX_LABEL],
                              key=heading_key(f.label), preferred=f.preferred)
                for f in forms
            )  # fmt: skip
        report.linked = headings_link_authorities()
        enqueue_records(
            RecordHeading.objects.filter(heading__authority__isnull=False)
            .values_list("record_id", flat=True).distinct()
        )  # fmt: skip
        audit_record(actor=actor, action=AuditAction.AUTHORITY_IMPORT, now=now,
                     object_type="authority", object_id=path.name[:100],
                     data={"file": path.name, "created": report.created,
                           "updated": report.updated, "linked": report.linked})  # fmt: skip
    return report


def _decoded(data: bytes) -> dict[str, Any]:
    leader, fields = parse_structure(data)
    if leader[9:10] == "a" or all(_utf8(body) for _t, body in fields):
        decode = decode_utf8
    elif authority_flavour({"fields": [{t: ""} for t, _b in fields]}) == "marc21":
        decode = decode_marc8
    else:
        raise MarcError("charset")
    return to_json_and_fields(leader, fields, decode)[0]


def _utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def read_authorities(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(position, MARC-in-JSON) per record of an ISO 2709 or MARCXML file, or (position,
    why) for a record that cannot be read."""
    with path.open("rb") as stream:
        if is_xml(stream.peek(64)[:64]):
            try:
                for number, _line, elem in iter_xml_records(stream):
                    try:
                        yield number, element_to_json(elem)
                    except MarcError:
                        yield number, "unreadable"
            except MarcError:
                yield 0, "xml_malformed"
            return
        for raw in split_records(stream):
            if not raw.terminated:
                yield raw.number, "truncated"
                continue
            try:
                yield raw.number, _decoded(raw.data)
            except (MarcError, ValueError, UnicodeDecodeError):
                yield raw.number, "unreadable"
