"""OAI-PMH 2.0 provider: every verb, every error code, dates, sets, deletions, resumption.

Every response is checked against the official OAI-PMH, oai_dc, MARCXML and
MarcXchange schemas shipped in tests/opendata/schemas.
"""

from __future__ import annotations

import datetime as dt

import pytest

from navette.catalogue.models import DeletedRecord, Record
from navette.catalogue.services import RecordNotDeletable, item_add, record_delete
from navette.core.actors import Actor
from navette.opendata.oai import oai_identifier
from tests.opendata.conftest import NS, OAI, set_datestamp, unimarc_record, valid_oai

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def oai(client, **params):
    response = client.get("/oai", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    return valid_oai(response.content)


def error_code(doc) -> str:
    errors = doc.findall(f"{OAI}error")
    assert len(errors) == 1, "expected one error"
    return errors[0].get("code")


def identifiers(doc) -> list[str]:
    return [e.text for e in doc.iterfind(".//oai:header/oai:identifier", NS)]


def test_identify_announces_persistent_deletions_and_seconds(client, small_catalogue):
    """Identify names the network, the base URL, seconds granularity and persistent deletions."""
    set_datestamp(small_catalogue["guerre"], dt.datetime(2020, 5, 4, 3, 2, 1, 500, tzinfo=UTC))
    doc = oai(client, verb="Identify")
    ident = doc.find(f"{OAI}Identify")
    assert ident.findtext(f"{OAI}baseURL") == "http://testserver/oai"
    assert ident.findtext(f"{OAI}protocolVersion") == "2.0"
    assert ident.findtext(f"{OAI}deletedRecord") == "persistent"
    assert ident.findtext(f"{OAI}granularity") == "YYYY-MM-DDThh:mm:ssZ"
    assert ident.findtext(f"{OAI}earliestDatestamp") == "2020-05-04T03:02:01Z"
    assert ident.findtext(f"{OAI}repositoryName")
    # the request element echoes the verb
    assert doc.find(f"{OAI}request").get("verb") == "Identify"


def test_metadata_formats_for_the_repository_and_for_one_record(client, small_catalogue):
    """All three formats for the repository; a UNIMARC record offers oai_dc and unimarc only."""
    doc = oai(client, verb="ListMetadataFormats")
    prefixes = [e.text for e in doc.iterfind(".//oai:metadataPrefix", NS)]
    assert prefixes == ["oai_dc", "marcxml", "unimarc"]
    doc = oai(client, verb="ListMetadataFormats",
              identifier=oai_identifier(small_catalogue["etoile"].pk))  # fmt: skip
    assert [e.text for e in doc.iterfind(".//oai:metadataPrefix", NS)] == ["oai_dc", "unimarc"]
    doc = oai(client, verb="ListMetadataFormats", identifier="oai:elsewhere:1")
    assert error_code(doc) == "idDoesNotExist"


def test_list_sets_by_library_and_document_type(client, small_catalogue):
    """Sets: every library by code, every document type, and their two parents."""
    doc = oai(client, verb="ListSets")
    specs = [e.text for e in doc.iterfind(".//oai:setSpec", NS)]
    assert {"library", "library:lens", "library:harnes", "type", "type:comic"} <= set(specs)
    names = {
        s.findtext(f"{OAI}setSpec"): s.findtext(f"{OAI}setName")
        for s in doc.iterfind(".//oai:set", NS)
    }
    assert names["type:comic"] == "Bande dessinée"
    assert error_code(oai(client, verb="ListSets", resumptionToken="x")) == "badResumptionToken"


def test_get_record_in_each_format(client, small_catalogue):
    """oai_dc for any record; marcxml for MARC21 with 952 copies; unimarc (MarcXchange) with 995."""
    etoile, ghost = small_catalogue["etoile"], small_catalogue["ghost"]
    doc = oai(client, verb="GetRecord", identifier=oai_identifier(etoile.pk),
              metadataPrefix="oai_dc")  # fmt: skip
    dc = doc.find(".//oai:metadata", NS)
    assert dc.findtext(".//dc:title", namespaces=NS) == "L'Étoile mystérieuse"
    assert dc.findtext(".//dc:creator", namespaces=NS) == "Hergé"
    assert "urn:isbn:9782203001091" in [e.text for e in dc.iterfind(".//dc:identifier", NS)]
    assert f"http://testserver/notice/{etoile.pk}/" in [
        e.text for e in dc.iterfind(".//dc:identifier", NS)
    ]
    header = doc.find(".//oai:header", NS)
    assert sorted(e.text for e in header.iterfind("oai:setSpec", NS)) == [
        "library", "library:harnes", "library:lens", "type:comic",
    ]  # fmt: skip

    doc = oai(client, verb="GetRecord", identifier=oai_identifier(ghost.pk),
              metadataPrefix="marcxml")  # fmt: skip
    record = doc.find(".//marc:record", NS)
    assert record.find("marc:datafield[@tag='245']/marc:subfield", NS).text == "Ghost story"
    holdings = record.findall("marc:datafield[@tag='952']", NS)
    assert len(holdings) == 1
    assert holdings[0].find("marc:subfield[@code='a']", NS).text == "harnes"
    assert holdings[0].find("marc:subfield[@code='o']", NS).text == "R STR"

    doc = oai(client, verb="GetRecord", identifier=oai_identifier(etoile.pk),
              metadataPrefix="unimarc")  # fmt: skip
    record = doc.find(".//mx:record", NS)
    assert record.get("format") == "UNIMARC"
    assert sorted(
        f.find("mx:subfield[@code='b']", NS).text
        for f in record.iterfind("mx:datafield[@tag='995']", NS)
    ) == ["harnes", "lens"]

    doc = oai(client, verb="GetRecord", identifier=oai_identifier(etoile.pk),
              metadataPrefix="marcxml")  # fmt: skip
    assert error_code(doc) == "cannotDisseminateFormat"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "Harvest"}, "badVerb"),
        ({"verb": ["Identify", "Identify"]}, "badVerb"),
        ({"verb": "Identify", "set": "x"}, "badArgument"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": ["oai_dc", "marcxml"]}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2026-13-45"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2026-01-01T00:00:00"},
         "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2026-01-01",
          "until": "2026-02-01T00:00:00Z"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2026-02-01",
          "until": "2026-01-01"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "bad set"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": "abc"},
         "badArgument"),
        ({"verb": "GetRecord", "identifier": "oai:x:1"}, "badArgument"),
        ({"verb": "ListRecords", "resumptionToken": "not-a-token"}, "badResumptionToken"),
        ({"verb": "ListRecords", "metadataPrefix": "mods"}, "cannotDisseminateFormat"),
        ({"verb": "GetRecord", "identifier": "oai:x:1", "metadataPrefix": "dc"},
         "cannotDisseminateFormat"),
        ({"verb": "GetRecord", "identifier": "oai:x:1", "metadataPrefix": "oai_dc"},
         "idDoesNotExist"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2999-01-01"},
         "noRecordsMatch"),
        ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "library:nowhere"},
         "noRecordsMatch"),
    ],
)  # fmt: skip
def test_errors_use_the_specification_codes(client, small_catalogue, params, code):
    """Each malformed or unanswerable request gets the specification's error code, in a valid
    response; after badVerb or badArgument the request element carries the base URL only."""
    doc = oai(client, **params)
    assert error_code(doc) == code
    request = doc.find(f"{OAI}request")
    assert request.text == "http://testserver/oai"
    if code in ("badVerb", "badArgument"):
        assert dict(request.attrib) == {}


def test_a_token_of_one_list_is_refused_by_another(client, small_catalogue, settings):
    """A ListIdentifiers token given to ListRecords is a badResumptionToken."""
    settings.NAVETTE_OAI_HEADERS_PER_PAGE = 2
    doc = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = doc.findtext(".//oai:resumptionToken", namespaces=NS)
    assert token
    doc = oai(client, verb="ListRecords", resumptionToken=token)
    assert error_code(doc) == "badResumptionToken"
    doc = oai(client, verb="ListIdentifiers", resumptionToken=token[:-3] + "xyz")
    assert error_code(doc) == "badResumptionToken"


def test_from_and_until_are_inclusive_to_the_second(client, small_catalogue):
    """from and until include their own second; day granularity covers the whole day."""
    r = small_catalogue
    stamps = {
        "etoile": dt.datetime(2026, 3, 1, 9, 59, 59, 999_999, tzinfo=UTC),
        "guerre": dt.datetime(2026, 3, 1, 10, 0, 0, 0, tzinfo=UTC),
        "ghost": dt.datetime(2026, 3, 1, 10, 0, 0, 700_000, tzinfo=UTC),
        "film": dt.datetime(2026, 3, 1, 10, 0, 1, tzinfo=UTC),
        "orphan": dt.datetime(2026, 3, 2, 0, 0, 0, tzinfo=UTC),
        "atlas": dt.datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC),
    }
    for name, stamp in stamps.items():
        set_datestamp(r[name], stamp)

    def listed(**dates):
        doc = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **dates)
        return {int(i.rsplit(":", 1)[1]) for i in identifiers(doc)}

    ids = {name: rec.pk for name, rec in r.items()}
    assert listed(**{"from": "2026-03-01T10:00:00Z", "until": "2026-03-01T10:00:00Z"}) == {
        ids["guerre"], ids["ghost"],
    }  # fmt: skip
    assert listed(**{"from": "2026-03-01", "until": "2026-03-01"}) == {
        ids["etoile"], ids["guerre"], ids["ghost"], ids["film"],
    }  # fmt: skip
    assert listed(until="2026-02-28T23:59:59Z") == {ids["atlas"]}
    assert listed(**{"from": "2026-03-02"}) == {ids["orphan"]}
    doc = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "2026-03-02"})
    assert doc.findtext(".//oai:datestamp", namespaces=NS) == "2026-03-02T00:00:00Z"


def test_sets_select_records_by_library_and_type(client, small_catalogue):
    """library:<code> lists records with a copy owned there; type:<t> by document type;
    a format limited to one MARC flavour lists only that flavour's records."""
    r = small_catalogue

    def listed(**params):
        doc = oai(client, verb="ListIdentifiers", **params)
        return sorted(int(i.rsplit(":", 1)[1]) for i in identifiers(doc))

    assert listed(metadataPrefix="oai_dc", set="library:lens") == sorted(
        [r["etoile"].pk, r["guerre"].pk, r["film"].pk]
    )
    assert listed(metadataPrefix="oai_dc", set="library") == sorted(
        rec.pk for name, rec in r.items() if name != "orphan"
    )
    assert listed(metadataPrefix="oai_dc", set="type:comic") == [r["etoile"].pk]
    assert listed(metadataPrefix="marcxml") == sorted([r["ghost"].pk, r["film"].pk, r["atlas"].pk])
    assert listed(metadataPrefix="unimarc", set="library:harnes") == [r["etoile"].pk]


def test_a_deleted_record_stays_listed_as_deleted(client, small_catalogue):
    """record_delete leaves a tombstone: listed with status="deleted" and no metadata, in its
    type set and its flavour's format; GetRecord answers its header."""
    orphan = small_catalogue["orphan"]
    Record.objects.update(updated_at=dt.datetime(2020, 1, 1, tzinfo=UTC))
    now = dt.datetime(2026, 3, 5, 12, 0, 0, 250_000, tzinfo=UTC)
    record_delete(record=orphan, actor=Actor.system("test"), now=now)
    assert not Record.objects.filter(pk=orphan.pk).exists()

    doc = oai(client, verb="ListRecords", metadataPrefix="unimarc", set="type:book",
              **{"from": "2026-03-05T12:00:00Z"})  # fmt: skip
    records = doc.findall(".//oai:record", NS)
    assert len(records) == 1
    header = records[0].find("oai:header", NS)
    assert header.get("status") == "deleted"
    assert header.findtext("oai:identifier", namespaces=NS) == oai_identifier(orphan.pk)
    assert header.findtext("oai:datestamp", namespaces=NS) == "2026-03-05T12:00:00Z"
    assert records[0].find("oai:metadata", NS) is None

    doc = oai(client, verb="GetRecord", identifier=oai_identifier(orphan.pk),
              metadataPrefix="oai_dc")  # fmt: skip
    assert doc.find(".//oai:header", NS).get("status") == "deleted"
    doc = oai(client, verb="ListIdentifiers", metadataPrefix="marcxml",
              **{"from": "2026-03-05T12:00:00Z"})  # fmt: skip
    assert error_code(doc) == "noRecordsMatch"


def test_a_record_with_copies_cannot_be_deleted(small_catalogue):
    """record_delete refuses a record that still has copies; nothing changes."""
    etoile = small_catalogue["etoile"]
    with pytest.raises(RecordNotDeletable) as refused:
        record_delete(record=etoile, actor=Actor.system("test"),
                      now=dt.datetime(2026, 3, 5, tzinfo=UTC))  # fmt: skip
    assert refused.value.code == "record_not_deletable"
    assert Record.objects.filter(pk=etoile.pk).exists()
    assert not DeletedRecord.objects.exists()


def test_resumption_survives_changes_during_the_harvest(client, relire, settings):
    """Keyset resumption: with two records per page, a record changed and one deleted between
    pages are not in this harvest (they come in the next, from this responseDate); every other
    record comes exactly once, and completeListSize and cursor count what was announced."""
    settings.NAVETTE_OAI_HEADERS_PER_PAGE = 2
    base = dt.datetime(2026, 1, 1, tzinfo=UTC)
    records = [unimarc_record(f"Notice {n}") for n in range(7)]
    for n, rec in enumerate(records):
        set_datestamp(rec, base + dt.timedelta(seconds=n // 2))  # two records per second

    doc = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    started = doc.findtext(f"{OAI}responseDate")
    seen = identifiers(doc)
    token = doc.find(".//oai:resumptionToken", NS)
    assert (token.get("completeListSize"), token.get("cursor")) == ("7", "0")

    # between pages: a record not yet sent changes, another is deleted
    changed, deleted = records[4], records[5]
    Record.objects.filter(pk=changed.pk).update(title="Notice changée")
    set_datestamp(changed, dt.datetime.now(UTC))
    record_delete(record=deleted, actor=Actor.system("test"), now=dt.datetime.now(UTC))

    cursors = []
    while token is not None and token.text:
        doc = oai(client, verb="ListIdentifiers", resumptionToken=token.text)
        seen += identifiers(doc)
        token = doc.find(".//oai:resumptionToken", NS)
        cursors.append(token.get("cursor"))
    assert cursors[-1] is not None
    expected = [oai_identifier(r.pk) for r in records if r not in (changed, deleted)]
    assert seen == expected

    doc = oai(client, verb="ListRecords", metadataPrefix="oai_dc", **{"from": started})
    headers = {
        h.findtext("oai:identifier", namespaces=NS): h.get("status")
        for h in doc.iterfind(".//oai:header", NS)
    }
    assert headers == {oai_identifier(changed.pk): None, oai_identifier(deleted.pk): "deleted"}
    assert doc.findtext(".//dc:title", namespaces=NS) == "Notice changée"


def test_pages_cross_a_datestamp_shared_by_records_and_tombstones(client, relire, settings):
    """Seven records changed in the same second, two of them deleted then: pages of two walk
    them in identifier order, records and tombstones interleaved, each exactly once."""
    settings.NAVETTE_OAI_HEADERS_PER_PAGE = 2
    instant = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    records = [unimarc_record(f"Notice {n}") for n in range(7)]
    for rec in records:
        set_datestamp(rec, instant)
    for gone in (records[2], records[5]):
        record_delete(record=gone, actor=Actor.system("test"), now=instant)
    doc = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    seen = []
    while True:
        seen += [(h.findtext("oai:identifier", namespaces=NS), h.get("status"))
                 for h in doc.iterfind(".//oai:header", NS)]  # fmt: skip
        token = doc.find(".//oai:resumptionToken", NS)
        if token is None or not token.text:
            break
        doc = oai(client, verb="ListIdentifiers", resumptionToken=token.text)
    assert seen == [
        (oai_identifier(r.pk), "deleted" if n in (2, 5) else None) for n, r in enumerate(records)
    ]


def test_post_requests_are_answered_like_get(client, small_catalogue):
    """The protocol allows POST (form-encoded): same answer, no CSRF token needed."""
    response = client.post("/oai", {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"})
    doc = valid_oai(response.content)
    assert len(identifiers(doc)) == 6


def test_editing_a_copy_moves_the_record_datestamp(client, small_catalogue):
    """Copies are in the harvested record: adding one gives the record a new datestamp."""
    guerre = small_catalogue["guerre"]
    set_datestamp(guerre, dt.datetime(2020, 1, 1, tzinfo=UTC))
    now = dt.datetime(2026, 4, 1, 8, 30, tzinfo=UTC)
    item_add(record=guerre, barcode="NEW0001", owning_library=guerre.items.first().owning_library,
             actor=Actor.system("test"), now=now)  # fmt: skip
    guerre.refresh_from_db()
    assert guerre.updated_at == now
