"""The union catalogue: member libraries' catalogues harvested into the network's.

A ``HarvestSource`` is read either over OAI-PMH (sickle, from PyPI: incremental from the
repository's own clock, deletions included) or from MARC files a member drops in a
directory. Each harvested record becomes, or joins, a network ``Record`` (see
``MemberRecord``), with the member's copies as ``MemberHolding`` rows, which Navette's
circulation never lends. Records are written a page at a time, each page one transaction
with its search outbox rows: a harvest cut short leaves whole pages, and the next harvest
asks again from where the last complete one ended (records already there are "unchanged").

One harvest per source at a time (a job lock); the harvest of every due source is the
``member-harvest`` job (``navette jobs``) and ``navette harvest-members``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import requests
from django.db import transaction
from django.db.models import Q
from lxml import etree
from sickle import Sickle
from sickle.oaiexceptions import NoRecordsMatch, OAIError

from navette.catalogue.importer import Parsed, Reject, parse_marc_json, read_file
from navette.catalogue.marc import MarcError
from navette.catalogue.marc.marcxml import element_to_json
from navette.catalogue.models import (
    HarvestProtocol,
    HarvestSource,
    HarvestState,
    Item,
    MemberHolding,
    MemberRecord,
    Record,
    RecordIdentifier,
)
from navette.catalogue.services import RecordNotDeletable, record_delete
from navette.core.actors import Actor
from navette.core.dblocks import JobLockBusy, job_lock
from navette.core.errors import DomainError
from navette.core.outbox import enqueue_records

log = logging.getLogger("navette.harvest")

#: records written per transaction
PAGE = 200
#: the tags a member's copies are read from, dropped from the stored description
HOLDINGS_TAGS = frozenset({"852", "952", "995"})
MARC_SUFFIXES = (".mrc", ".marc", ".iso", ".iso2709", ".xml", ".marcxml", ".gz")
OAI_NS = "{http://www.openarchives.org/OAI/2.0/}"
#: a harvest "running" for longer than this was cut short (a killed process)
STALE_RUN = dt.timedelta(hours=6)


class HarvestFailed(DomainError):
    """The member's repository could not be read (unreachable, an OAI-PMH error, a bad
    directory). Context: ``source`` (name), ``why`` (a code) and ``detail``."""

    code = "harvest_failed"


class HarvestBusy(DomainError):
    """Another process is harvesting this source."""

    code = "harvest_busy"


@dataclass
class HarvestReport:
    source: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0
    #: (identifier or position, reason) of each record that could not be read
    rejects: list[tuple[str, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "deleted": self.deleted, "rejected": self.rejected}  # fmt: skip


@dataclass
class Harvested:
    """One record as the member's repository gave it: its description, or its deletion."""

    identifier: str
    local_id: str
    parsed: Parsed | None
    datestamp: dt.datetime | None = None


# --- writing ----------------------------------------------------------------------------------


def _record_values(p: Parsed, source: HarvestSource) -> dict[str, Any]:
    x = p.x
    marc = {
        "leader": p.marc["leader"],
        "fields": [f for f in p.marc["fields"] if next(iter(f)) not in HOLDINGS_TAGS],
    }
    year = x.year if x.year is not None and -32768 < x.year < 32768 else None
    return {
        "flavour": p.flavour, "marc": marc, "control_number": x.control_number[:64],
        "control_source": x.control_source[:64], "title": x.title, "subtitle": x.subtitle,
        "responsibility": x.responsibility, "authors": x.authors, "subjects": x.subjects,
        "publisher": x.publisher[:255], "year": year, "languages": x.languages,
        "isbns": x.isbns, "issns": x.issns, "eans": x.eans, "series": x.series,
        "summary": x.summary, "audience": x.audience, "doc_type": x.doc_type,
        "marc_hash": p.marc_hash, "source_file": source.name[:255],
    }  # fmt: skip


def _identifiers(record_id: int, p: Parsed) -> list[RecordIdentifier]:
    return [
        RecordIdentifier(record_id=record_id, kind=kind, value=value)
        for kind, value in dict.fromkeys(p.keys)
    ]


def _holdings(member: MemberRecord, p: Parsed, source: HarvestSource) -> list[MemberHolding]:
    """The member's copies of ``p``: every copy of its holdings fields, at the source's
    library (a member system's branches are one library of the network)."""
    return [
        MemberHolding(
            member_record=member,
            record_id=member.record_id,
            library_id=source.library_id,
            barcode=c.barcode[:64],
            call_number=c.call_number[:100],
            shelving_location=c.shelving_location[:100],
            source_status=c.status[:20],
        )  # fmt: skip
        for c in p.copies
        if c.status not in ("withdrawn", "lost")
    ]


def _matching_record(p: Parsed) -> int | None:
    """A record of the union catalogue with one of ``p``'s ISBNs (the same edition)."""
    isbns = [value for kind, value in p.keys if kind == "isbn"]
    if not isbns:
        return None
    return (
        RecordIdentifier.objects.filter(kind="isbn", value__in=isbns)
        .order_by("record_id")
        .values_list("record_id", flat=True)
        .first()
    )


def _drop(member: MemberRecord, now: dt.datetime) -> None:
    """Forget a member's record: its copies go; the record too when nothing else shows it
    (the harvest created it, no other member holds it, no copy of the network's)."""
    record_id = member.record_id
    owned = member.owns_record
    member.delete()
    if not owned:
        return
    heir = MemberRecord.objects.filter(record_id=record_id).order_by("pk").first()
    if heir is not None:
        MemberRecord.objects.filter(pk=heir.pk).update(owns_record=True)
        return
    record = Record.objects.filter(pk=record_id).first()
    if record is None or Item.objects.filter(record_id=record_id).exists():
        return
    try:
        with transaction.atomic():
            record_delete(record=record, actor=Actor.system("member-harvest"), now=now)
    except RecordNotDeletable:
        log.info("harvested record %s kept: the network refers to it", record_id)


def _apply(source: HarvestSource, h: Harvested, now: dt.datetime, report: HarvestReport) -> int:
    """Write one harvested record (in the caller's transaction); the record id to re-index."""
    member = (
        MemberRecord.objects.select_for_update()
        .filter(source=source, identifier=h.identifier)
        .first()
    )
    p = h.parsed
    if p is None:
        if member is None:
            return 0  # deleted before we ever saw it
        record_id = member.record_id
        _drop(member, now)
        report.deleted += 1
        return record_id
    if member is not None and member.marc_hash == p.marc_hash:
        report.unchanged += 1
        return 0
    if member is None:
        matching = _matching_record(p)
        owns = matching is None
        if matching is None:
            record_id = Record.objects.create(**_record_values(p, source)).pk
            RecordIdentifier.objects.bulk_create(_identifiers(record_id, p))
        else:
            record_id = matching
        member = MemberRecord.objects.create(
            source=source, identifier=h.identifier[:255], local_id=h.local_id[:255],
            record_id=record_id, owns_record=owns, datestamp=h.datestamp,
            marc_hash=p.marc_hash, harvested_at=now,
        )  # fmt: skip
        report.created += 1
    else:
        if member.owns_record:
            Record.objects.filter(pk=member.record_id).update(
                **_record_values(p, source), updated_at=now
            )
            RecordIdentifier.objects.filter(record_id=member.record_id).delete()
            RecordIdentifier.objects.bulk_create(_identifiers(member.record_id, p))
        member.holdings.all().delete()
        MemberRecord.objects.filter(pk=member.pk).update(
            local_id=h.local_id[:255], datestamp=h.datestamp, marc_hash=p.marc_hash,
            harvested_at=now,
        )  # fmt: skip
        report.updated += 1
    MemberHolding.objects.bulk_create(_holdings(member, p, source))
    return member.record_id


def _write(
    source: HarvestSource, records: Iterable[Harvested | Reject], now: dt.datetime,
    report: HarvestReport,
) -> None:  # fmt: skip
    """Write records a page at a time, each page one transaction with its outbox rows."""
    page: list[Harvested] = []

    def flush() -> None:
        with transaction.atomic():
            changed = {_apply(source, h, now, report) for h in page}
            enqueue_records(changed - {0})
        page.clear()

    for item in records:
        if isinstance(item, Reject):
            report.rejected += 1
            report.rejects.append((f"{item.file} #{item.number}", item.reason))
            continue
        page.append(item)
        if len(page) >= PAGE:
            flush()
    if page:
        flush()


# --- OAI-PMH ----------------------------------------------------------------------------------


def _oai_stamp(instant: dt.datetime, granularity: str) -> str:
    instant = instant.astimezone(dt.UTC)
    if granularity == "YYYY-MM-DD":
        return instant.strftime("%Y-%m-%d")
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_stamp(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    text = text.strip()
    try:
        if len(text) == 10:
            return dt.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=dt.UTC)
        return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def _local_id(identifier: str) -> str:
    """The member's own record number in an OAI identifier (``oai:host:123`` -> ``123``)."""
    return identifier.rsplit(":", 1)[-1]


def _oai_records(source: HarvestSource, items: Iterator[Any]) -> Iterator[Harvested | Reject]:
    for number, item in enumerate(items, start=1):
        header = item.header
        identifier = header.identifier or ""
        stamp = _parse_stamp(header.datestamp)
        if header.deleted:
            yield Harvested(identifier, _local_id(identifier), None, stamp)
            continue
        metadata = item.xml.find(f"{OAI_NS}metadata")
        marc_elem = metadata[0] if metadata is not None and len(metadata) else None
        try:
            if marc_elem is None:
                raise MarcError("metadata absente")
            marc = element_to_json(marc_elem)
            parsed = parse_marc_json(marc, source.flavour or None, name=source.name, number=number)
        except MarcError as exc:
            yield Reject(identifier, number, 0, str(exc), kind="xml")
            continue
        yield Harvested(identifier, _local_id(identifier), parsed, stamp)


def _harvest_oai(source: HarvestSource, now: dt.datetime, report: HarvestReport) -> None:
    client = Sickle(source.url, max_retries=2, default_retry_after=2, timeout=source.timeout)
    try:
        identify = client.Identify()
        granularity = getattr(identify, "granularity", "YYYY-MM-DDThh:mm:ssZ")
        # the repository's clock when this harvest starts: what changes from then on is
        # asked for by the next harvest
        response_date = identify.xml.find(f".//{OAI_NS}responseDate")
        until = _parse_stamp(response_date.text if response_date is not None else None) or now
        args: dict[str, str] = {"metadataPrefix": source.metadata_prefix}
        if source.set_spec:
            args["set"] = source.set_spec
        if source.harvested_until is not None:
            args["from"] = _oai_stamp(source.harvested_until, granularity)
        try:
            items = client.ListRecords(ignore_deleted=False, **args)
        except NoRecordsMatch:
            items = iter(())
        _write(source, _oai_records(source, items), now, report)
    except OAIError as exc:
        raise HarvestFailed(source=source.name, why="oai_error", detail=str(exc)[:300]) from exc
    except (requests.RequestException, etree.XMLSyntaxError) as exc:
        raise HarvestFailed(source=source.name, why="unreachable", detail=str(exc)[:300]) from exc
    HarvestSource.objects.filter(pk=source.pk).update(harvested_until=until)


# --- MARC files -------------------------------------------------------------------------------


def _file_records(source: HarvestSource, path: Path) -> Iterator[Harvested | Reject]:
    for item in read_file(path, source.flavour or None):
        if isinstance(item, Reject):
            yield item
            continue
        if not item.marc:  # ISO 2709 parsing keeps the text only
            item.marc = orjson.loads(item.marc_text)
        x = item.x
        identifier = x.control_number or (x.system_numbers[0] if x.system_numbers else "")
        if not identifier:
            yield Reject(str(path), item.number, item.offset, "numéro de notice (001) absent")
            continue
        deleted = item.marc["leader"][5:6] == "d"
        yield Harvested(identifier, identifier, None if deleted else item)


def _harvest_files(source: HarvestSource, now: dt.datetime, report: HarvestReport) -> None:
    directory = Path(source.directory)
    if not directory.is_dir():
        raise HarvestFailed(source=source.name, why="no_directory", detail=str(directory))
    seen = dict(source.files_seen or {})
    files = sorted(
        (p for p in directory.iterdir() if p.is_file() and p.name.lower().endswith(MARC_SUFFIXES)),
        key=lambda p: (p.stat().st_mtime_ns, p.name),
    )
    for path in files:
        stat = path.stat()
        signature = f"{stat.st_size}:{stat.st_mtime_ns}"
        if seen.get(path.name) == signature:
            continue
        _write(source, _file_records(source, path), now, report)
        seen[path.name] = signature
        HarvestSource.objects.filter(pk=source.pk).update(files_seen=seen)


# --- the use case -----------------------------------------------------------------------------


def source_harvest(*, source: HarvestSource, now: dt.datetime) -> HarvestReport:
    """Harvest ``source`` once: new and changed records written, deleted ones removed.

    Raises ``HarvestBusy`` when another process harvests it, ``HarvestFailed`` when the
    repository cannot be read (the source is left in state "failed" with the reason; the
    pages written before the failure stay, and the next harvest asks again from the last
    complete one)."""
    report = HarvestReport(source.name)
    try:
        with job_lock(f"catalogue.harvest.{source.pk}", wait=False):
            HarvestSource.objects.filter(pk=source.pk).update(
                state=HarvestState.RUNNING, started_at=now, last_error=""
            )
            source.refresh_from_db()
            try:
                if source.protocol == HarvestProtocol.MARC_FILES:
                    _harvest_files(source, now, report)
                else:
                    _harvest_oai(source, now, report)
            except HarvestFailed as exc:
                HarvestSource.objects.filter(pk=source.pk).update(
                    state=HarvestState.FAILED, finished_at=now, last_counts=report.counts(),
                    last_error=f"{exc.context.get('why')}: {exc.context.get('detail')}",
                )  # fmt: skip
                raise
            HarvestSource.objects.filter(pk=source.pk).update(
                state=HarvestState.OK, finished_at=now, last_counts=report.counts()
            )
    except JobLockBusy as exc:
        raise HarvestBusy(source=source.name) from exc
    log.info("member harvest %s: %s", source.name, report.counts())
    return report


def due_sources(now: dt.datetime) -> list[HarvestSource]:
    """Active sources never harvested, or whose last harvest began ``every_minutes`` ago."""
    sources = HarvestSource.objects.filter(is_active=True).filter(
        Q(started_at__isnull=True) | ~Q(state=HarvestState.RUNNING)
        | Q(started_at__lt=now - STALE_RUN)
    )  # fmt: skip
    return [
        s for s in sources
        if s.started_at is None or s.started_at + dt.timedelta(minutes=s.every_minutes) <= now
    ]  # fmt: skip


def harvest_due(now: dt.datetime) -> list[tuple[HarvestSource, HarvestReport | DomainError]]:
    """Harvest every due source; a failing source does not stop the others."""
    out: list[tuple[HarvestSource, HarvestReport | DomainError]] = []
    for source in due_sources(now):
        try:
            out.append((source, source_harvest(source=source, now=now)))
        except DomainError as exc:
            out.append((source, exc))
    return out
