"""Record editing services: create, edit, restore and overlay bibliographic records.

Each use case checks that the actor catalogues (``cataloguer_check``: records are shared
by the whole network, so any librarian or network administrator edits them), validates
the MARC against the format's rules (``navette.catalogue.marc.rules``), then in one
transaction: locks the record, stores the MARC and the fields extracted from it, its
identifiers, a new version in the record's history, an audit event, and a row in the
search outbox. Nothing is written when the record is invalid or was changed meanwhile.

Kept apart from ``catalogue.services`` (copies) so that each use case's module stays small.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import transaction
from django.db.models import Max

from navette.catalogue.heading_index import headings_refresh
from navette.catalogue.marc import MarcError
from navette.catalogue.marc.extract import Extracted, extract
from navette.catalogue.marc.rules import Problem, check_record, errors_of, normalise_record
from navette.catalogue.models import (
    MarcFlavour,
    Record,
    RecordIdentifier,
    RecordVersion,
    RecordVersionKind,
)
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_record
from navette.core.errors import DomainError
from navette.core.outbox import enqueue_record
from navette.network.scope import cataloguer_check

#: fields that carry copies: the copies' rows are the truth, these are kept as they were
HOLDINGS_TAGS = frozenset({"852", "952", "995"})
#: tags whose change is not worth naming in the history (005 changes on every save)
QUIET_TAGS = frozenset({"005"})


class RecordInvalid(DomainError):
    """The record breaks the format's rules: ``problems`` says where and why (codes)."""

    code = "record_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("record_invalid", problems=problems)
        self.problems = problems


class RecordEditConflict(DomainError):
    """The record was saved by someone else since the editor opened it."""

    code = "record_edit_conflict"


class VersionNotFound(DomainError):
    code = "version_not_found"


@dataclass(frozen=True)
class Saved:
    """A saved record, its new version and the warnings its MARC still carries."""

    record: Record
    version: RecordVersion
    warnings: list[Problem]


def marc_hash(marc: dict[str, Any]) -> str:
    """The sha1 the importer stores: a record saved here and re-imported is "unchanged".

    Keys are put in the order the importer writes them (PostgreSQL's jsonb gives them back
    in its own order), so a record read from the database hashes as it was saved.
    """
    fields = []
    for f in marc.get("fields", []):
        ((tag, value),) = f.items()
        if isinstance(value, dict):
            value = {"ind1": value.get("ind1", " "), "ind2": value.get("ind2", " "),
                     "subfields": value.get("subfields", [])}  # fmt: skip
        fields.append({tag: value})
    canonical = {"leader": marc.get("leader", ""), "fields": fields}
    return hashlib.sha1(orjson.dumps(canonical), usedforsecurity=False).hexdigest()


def _prepare(
    marc: dict[str, Any], flavour: str, now: dt.datetime,
    tolerated: frozenset[tuple[str, str]] = frozenset(),
) -> tuple[dict[str, Any], list[Problem]]:  # fmt: skip
    """Normalise, stamp 005 and validate; RecordInvalid when an error remains (but for the
    ``tolerated`` ones, as (code, tag): what the record carried before a heading change)."""
    if flavour not in MarcFlavour.values:
        raise RecordInvalid([Problem("flavour_unknown", params={"value": flavour})])
    try:
        clean = normalise_record(marc, flavour)
    except MarcError:
        raise RecordInvalid([Problem("record_too_long")]) from None
    # checked before 005 is stamped: a problem's field index is the caller's
    problems = check_record(clean, flavour)
    errors = [e for e in errors_of(problems) if (e.code, e.tag) not in tolerated]
    if errors:
        raise RecordInvalid(errors)
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S.0")
    fields = [f for f in clean["fields"] if "005" not in f]
    at = next((i for i, f in enumerate(fields) if next(iter(f)) > "005"), len(fields))
    fields.insert(at, {"005": stamp})
    clean["fields"] = fields
    try:
        clean = normalise_record(clean, flavour)  # the leader's length counts 005
    except MarcError:
        raise RecordInvalid([Problem("record_too_long")]) from None
    return clean, problems


def _apply(record: Record, marc: dict[str, Any], flavour: str) -> Extracted:
    """Set the record's MARC and the columns extracted from it (as the importer does)."""
    x = extract(marc, flavour)
    record.flavour = flavour
    record.marc = marc
    record.marc_hash = marc_hash(marc)
    record.control_number = x.control_number[:64]
    record.control_source = x.control_source[:64]
    record.title = x.title
    record.subtitle = x.subtitle
    record.responsibility = x.responsibility
    record.authors = x.authors
    record.subjects = x.subjects
    record.publisher = x.publisher[:255]
    record.year = x.year if x.year is not None and -32768 < x.year < 32768 else None
    record.languages = x.languages
    record.isbns = x.isbns
    record.issns = x.issns
    record.eans = x.eans
    record.series = x.series
    record.summary = x.summary
    record.audience = x.audience
    record.doc_type = x.doc_type
    return x


def _identifiers(record: Record, x: Extracted) -> None:
    """The keys a later import matches this record on (001+003, 035, ISBN), replaced."""
    keys: list[tuple[str, str]] = []
    if x.control_number:
        keys.append(("001+003", f"{x.control_source}|{x.control_number}"[:128]))
    keys += [("035", v[:128]) for v in x.system_numbers]
    keys += [("isbn", v) for v in x.isbns]
    RecordIdentifier.objects.filter(record=record).delete()
    RecordIdentifier.objects.bulk_create(
        RecordIdentifier(record=record, kind=k, value=v) for k, v in dict.fromkeys(keys)
    )


def _changed_tags(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    def by_tag(marc: dict[str, Any]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        leader = marc.get("leader", "")
        if leader:
            out["LDR"] = [leader[5:9] + leader[17:20]]  # the positions a cataloguer sets
        for f in marc.get("fields", []):
            ((tag, value),) = f.items()
            out.setdefault(tag, []).append(value)
        return out

    old, new = by_tag(before), by_tag(after)
    return sorted(
        t for t in set(old) | set(new) if old.get(t) != new.get(t) and t not in QUIET_TAGS
    )


def _version(record: Record, *, kind: str, marc: dict[str, Any], actor: Actor | None,
             now: dt.datetime, previous: dict[str, Any] | None, source: str = "") -> RecordVersion:  # fmt: skip
    last = record.versions.aggregate(n=Max("number"))["n"] or 0
    return RecordVersion.objects.create(
        record=record, number=last + 1, kind=kind, marc=marc, saved_at=now,
        actor_kind=str(actor.kind) if actor else "", actor_id=actor.id if actor else None,
        actor_label=actor.label[:150] if actor else "",
        changed_tags=_changed_tags(previous or {}, marc), source=source[:255],
    )  # fmt: skip


def _with_holdings_of(marc: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """``marc`` with the holdings fields of ``old`` in place of its own (copies are rows)."""
    kept = [f for f in old.get("fields", []) if next(iter(f)) in HOLDINGS_TAGS]
    fields = [f for f in marc["fields"] if next(iter(f)) not in HOLDINGS_TAGS]
    return {"leader": marc["leader"], "fields": fields + kept}


def record_create(*, marc: dict[str, Any], flavour: str, actor: Actor, now: dt.datetime,
                  source: str = "") -> Saved:  # fmt: skip
    """Create a record from ``marc`` (a template filled in, or a remote record copied from
    the target named ``source``). A record without 001 gets its Navette number as 001.

    Raises NotCataloguer (audited), RecordInvalid (nothing written).
    """
    cataloguer_check(actor=actor, action=AuditAction.RECORD_CREATE, now=now)
    clean, problems = _prepare(marc, flavour, now)
    # copies are added on the copy pages, never through a record's holdings fields
    clean["fields"] = [f for f in clean["fields"] if next(iter(f)) not in HOLDINGS_TAGS]
    with transaction.atomic():
        record = Record(title="")
        _apply(record, clean, flavour)
        record.source_file = f"catalogage : {source}"[:255] if source else "catalogage"
        record.save()
        if not record.control_number:
            at = next((i for i, f in enumerate(clean["fields"]) if next(iter(f)) > "001"),
                      len(clean["fields"]))  # fmt: skip
            clean["fields"].insert(at, {"001": str(record.pk)})
            clean = normalise_record(clean, flavour)
            _apply(record, clean, flavour)
            record.save()
        x = extract(clean, flavour)
        _identifiers(record, x)
        kind = RecordVersionKind.COPIED if source else RecordVersionKind.CREATED
        version = _version(record, kind=kind, marc=clean, actor=actor, now=now, previous=None,
                           source=source)  # fmt: skip
        audit_record(actor=actor, action=AuditAction.RECORD_CREATE, now=now, obj=record,
                     data={"title": record.title, "flavour": flavour, "source": source})  # fmt: skip
        headings_refresh([record.pk])
        enqueue_record(record.pk)
    return Saved(record, version, problems)


def _save(*, record: Record, marc: dict[str, Any], actor: Actor, now: dt.datetime,
          expected_hash: str | None, kind: str, action: AuditAction, source: str = "",
          extra: dict[str, Any] | None = None, batch: bool = False,
          verbatim: bool = False) -> Saved:  # fmt: skip
    """Save one record's new MARC (see the module's docstring). ``batch``: one change of
    many (a heading changed everywhere), audited and with its headings refreshed once by
    the caller; the errors the record already had do not refuse it. ``verbatim``: ``marc``
    is a state the record had (holdings included), put back exactly as it was."""
    with transaction.atomic():
        locked = Record.objects.select_for_update().filter(pk=record.pk).first()
        if locked is None:
            raise RecordEditConflict("record_deleted", record_id=record.pk)
        if expected_hash is not None and expected_hash != locked.marc_hash:
            raise RecordEditConflict("record_changed", record_id=record.pk)
        if verbatim:
            clean, problems = marc, list[Problem]()
        else:
            tolerated: frozenset[tuple[str, str]] = frozenset()
            if batch:
                tolerated = frozenset((p.code, p.tag) for p in errors_of(
                    check_record(locked.marc, locked.flavour)))  # fmt: skip
            clean, problems = _prepare(_with_holdings_of(marc, locked.marc), locked.flavour,
                                       now, tolerated)  # fmt: skip
        previous = locked.marc
        if not locked.versions.exists():
            # the record as it was imported: the first version restorable
            _version(locked, kind=RecordVersionKind.BEFORE_EDITING, marc=previous, actor=None,
                     now=locked.updated_at, previous=None)  # fmt: skip
        x = _apply(locked, clean, locked.flavour)
        locked.save()
        _identifiers(locked, x)
        version = _version(locked, kind=kind, marc=clean, actor=actor, now=now,
                           previous=previous, source=source)  # fmt: skip
        if not batch:
            audit_record(actor=actor, action=action, now=now, obj=locked,
                         data={"version": version.number, "changed": version.changed_tags,
                               **(extra or {})})  # fmt: skip
            headings_refresh([locked.pk])
        enqueue_record(locked.pk)
    return Saved(locked, version, problems)


def record_update(*, record: Record, marc: dict[str, Any], actor: Actor, now: dt.datetime,
                  expected_hash: str | None = None) -> Saved:  # fmt: skip
    """Save an edited record. ``expected_hash`` is the ``marc_hash`` the editor was opened
    on: when the record changed since, RecordEditConflict and nothing is written. The
    record's holdings fields (852, 952, 995) are kept as they were: copies change on the
    copy pages.

    Raises NotCataloguer (audited), RecordInvalid, RecordEditConflict.
    """
    cataloguer_check(actor=actor, action=AuditAction.RECORD_UPDATE, now=now, obj=record)
    return _save(record=record, marc=marc, actor=actor, now=now, expected_hash=expected_hash,
                 kind=RecordVersionKind.EDITED, action=AuditAction.RECORD_UPDATE)  # fmt: skip


def record_restore(*, record: Record, number: int, actor: Actor, now: dt.datetime) -> Saved:
    """Make version ``number`` of the record its current state again (a new version, so
    the restore itself can be undone). Raises NotCataloguer, VersionNotFound, RecordInvalid
    (a version the rules now refuse)."""
    cataloguer_check(actor=actor, action=AuditAction.RECORD_RESTORE, now=now, obj=record)
    version = RecordVersion.objects.filter(record=record, number=number).first()
    if version is None:
        raise VersionNotFound("version_not_found", record_id=record.pk, number=number)
    return _save(record=record, marc=version.marc, actor=actor, now=now, expected_hash=None,
                 kind=RecordVersionKind.RESTORED, action=AuditAction.RECORD_RESTORE,
                 extra={"restored": number})  # fmt: skip


def record_overlay(*, record: Record, marc: dict[str, Any], flavour: str, source: str,
                   actor: Actor, now: dt.datetime) -> Saved:  # fmt: skip
    """Replace a local record's description by a remote one (``source`` names the target),
    keeping its copies, holds and number. The remote record must be of the local record's
    format. Raises NotCataloguer, RecordInvalid (``flavour_mismatch`` among the problems).
    """
    cataloguer_check(actor=actor, action=AuditAction.RECORD_OVERLAY, now=now, obj=record)
    if flavour != record.flavour:
        raise RecordInvalid([Problem("flavour_mismatch", params={"value": flavour})])
    return _save(record=record, marc=marc, actor=actor, now=now, expected_hash=None,
                 kind=RecordVersionKind.OVERLAID, action=AuditAction.RECORD_OVERLAY,
                 source=source, extra={"source": source})  # fmt: skip


def record_versions(record: Record) -> list[RecordVersion]:
    """The record's history, newest first."""
    return list(record.versions.order_by("-number"))
