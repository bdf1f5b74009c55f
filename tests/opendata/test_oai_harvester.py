"""A real harvester (sickle, from PyPI) harvests the whole catalogue from a live server.

Between pages, one record is deleted and one changed; the harvest still gets every other
record exactly once, and the next incremental harvest brings the change and the deletion.
Every response sickle receives is validated against the official schemas.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sickle import Sickle
from sickle.oaiexceptions import CannotDisseminateFormat, IdDoesNotExist

from navette.catalogue.models import Record
from navette.catalogue.services import record_delete
from navette.core.actors import Actor
from navette.opendata.oai import oai_identifier
from tests.catalogue.factories import make_item
from tests.opendata.conftest import marc21_record, unimarc_record, valid_oai

UTC = dt.UTC


class ValidatingSickle(Sickle):
    """Sickle that checks each response against the OAI-PMH and metadata schemas."""

    responses = 0

    def harvest(self, **kwargs):  # type: ignore[no-untyped-def]
        response = super().harvest(**kwargs)
        valid_oai(response.http_response.content)
        ValidatingSickle.responses += 1
        return response


@pytest.fixture
def harvested_catalogue(relire):
    """Twelve records in both flavours, one already deleted; the datestamps spread over days."""
    lens = relire["lens"]
    records = []
    for n in range(12):
        make = unimarc_record if n % 3 else marc21_record
        rec = make(f"Titre numéro {n}", authors=[f"Auteur {n}"], year=2000 + n)
        if n not in (9,):
            make_item(record=rec, library=lens)
        Record.objects.filter(pk=rec.pk).update(
            updated_at=dt.datetime(2025, 1, 1 + n, 12, 0, tzinfo=UTC)
        )
        records.append(rec)
    gone = unimarc_record("Notice supprimée avant la moisson")
    record_delete(record=gone, actor=Actor.system("test"),
                  now=dt.datetime(2025, 2, 1, tzinfo=UTC))  # fmt: skip
    return records, gone


def test_sickle_harvests_everything_while_records_change(
    live_server, harvested_catalogue, settings
):
    """Full oai_dc harvest in pages of three: the record changed and the record deleted
    mid-harvest are left to the next incremental harvest; the others come once each, in
    datestamp order, with the tombstone deleted before the harvest; the incremental harvest
    from the first responseDate brings the new title and the deletion."""
    settings.NAVETTE_OAI_RECORDS_PER_PAGE = 3
    records, gone = harvested_catalogue
    harvester = ValidatingSickle(live_server.url + "/oai")
    ident = harvester.Identify()
    assert ident.deletedRecord == "persistent"
    assert ident.granularity == "YYYY-MM-DDThh:mm:ssZ"

    started = dt.datetime.now(UTC).replace(microsecond=0)
    harvest = harvester.ListRecords(metadataPrefix="oai_dc")
    got = []
    already, changed, deleted = records[1], records[10], records[9]
    for n, record in enumerate(harvest):
        got.append(record)
        if n == 1:  # the first page is in; the later ones are still to come
            for rec in (already, changed):
                Record.objects.filter(pk=rec.pk).update(
                    title=f"{rec.title} (corrigé)", updated_at=dt.datetime.now(UTC)
                )
            record_delete(record=deleted, actor=Actor.system("test"), now=dt.datetime.now(UTC))

    live = [r for r in got if not r.header.deleted]
    dead = [r.header.identifier for r in got if r.header.deleted]
    assert dead == [oai_identifier(gone.pk)]
    assert [r.header.identifier for r in live] == [
        oai_identifier(r.pk) for r in records if r not in (changed, deleted)
    ]
    assert live[0].metadata["title"] == ["Titre numéro 0"]
    assert live[1].metadata["title"] == ["Titre numéro 1"]  # sent before it changed
    assert live[3].metadata["creator"] == ["Auteur 3"]
    assert ValidatingSickle.responses >= 5  # Identify and the pages of three

    later = list(harvester.ListRecords(metadataPrefix="oai_dc", **{"from": _stamp(started)}))
    by_id = {r.header.identifier: r for r in later}
    assert set(by_id) == {oai_identifier(r.pk) for r in (already, changed, deleted)}
    assert by_id[oai_identifier(deleted.pk)].header.deleted
    assert by_id[oai_identifier(changed.pk)].metadata["title"] == ["Titre numéro 10 (corrigé)"]
    assert by_id[oai_identifier(already.pk)].metadata["title"] == ["Titre numéro 1 (corrigé)"]


def test_sickle_lists_identifiers_sets_formats_and_gets_records(live_server, harvested_catalogue):
    """ListIdentifiers per format, ListSets, ListMetadataFormats and GetRecord through sickle,
    with the specification's errors raised as sickle's exceptions."""
    records, gone = harvested_catalogue
    harvester = ValidatingSickle(live_server.url + "/oai")
    marc21 = [h.identifier for h in harvester.ListIdentifiers(metadataPrefix="marcxml")]
    assert marc21 == [oai_identifier(r.pk) for n, r in enumerate(records) if n % 3 == 0]
    unimarc = list(harvester.ListIdentifiers(metadataPrefix="unimarc", set="library:lens"))
    assert len(unimarc) == 8  # the eight UNIMARC records, all with a copy in Lens
    specs = {s.setSpec for s in harvester.ListSets()}
    assert {"library:lens", "type:book"} <= specs
    assert [f.metadataPrefix for f in harvester.ListMetadataFormats()] == [
        "oai_dc", "marcxml", "unimarc",
    ]  # fmt: skip
    record = harvester.GetRecord(identifier=oai_identifier(records[0].pk), metadataPrefix="marcxml")
    assert "Titre numéro 0" in record.raw
    with pytest.raises(CannotDisseminateFormat):
        harvester.GetRecord(identifier=oai_identifier(records[1].pk), metadataPrefix="marcxml")
    with pytest.raises(IdDoesNotExist):
        harvester.GetRecord(identifier="oai:ailleurs:1", metadataPrefix="oai_dc")


def _stamp(instant: dt.datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
