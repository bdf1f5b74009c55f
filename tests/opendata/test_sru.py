"""SRU server: CQL mapped onto the portal's search engine, record schemas with copies and
their status, paging, scan, and a diagnostic with its standard URI for every error.

SRU 1.2 responses are checked against the SRW response and diagnostic schemas, and the
MARCXML, MarcXchange and Dublin Core schemas of the records (tests/opendata/schemas)."""

from __future__ import annotations

import subprocess

import pytest
from lxml import etree

from navette.opendata.checks import check_opendata_settings
from navette.search import engine
from tests.opendata.conftest import NS, schema

pytestmark = pytest.mark.django_db


def sru(client, **params):
    params.setdefault("version", "1.2")
    params.setdefault("operation", "searchRetrieve")
    response = client.get("/sru", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    doc = etree.fromstring(response.content)
    if params["version"] != "2.0":
        checker = schema("sru-response.xsd")
        assert checker.validate(doc), f"{checker.error_log}\n{response.content[:2000]!r}"
    return doc


def sru2(client, **params):
    """An SRU 2.0 request (no version, no operation: the parameters tell which), its response
    checked against the OASIS SRU 2.0 schemas and the record schemas."""
    response = client.get("/sru", params)
    assert response.status_code == 200
    doc = etree.fromstring(response.content)
    checker = schema("sru2-response.xsd")
    assert checker.validate(doc), f"{checker.error_log}\n{response.content[:2000]!r}"
    return doc


def titles(doc) -> list[str]:
    return [e.text for e in doc.iterfind(".//srw_dc:dc/dc:title", NS)]


def diagnostic(doc, ns: str = "diag") -> tuple[str, str]:
    diags = doc.findall(f".//{ns}:diagnostic", NS)
    assert len(diags) == 1, etree.tostring(doc)
    return diags[0].findtext(f"{ns}:uri", namespaces=NS), diags[0].findtext(
        f"{ns}:details", default="", namespaces=NS
    )


def test_results_come_in_the_portal_relevance_order(client, sru_catalogue):
    """A CQL query of plain words finds the portal's records in the portal's order."""
    portal = engine.search(engine.SearchParams(q="guerre paix", per_page=20, facets=False))
    doc = sru(client, query="guerre and paix", recordSchema="dc")
    by_id = {r.pk: r.title for r in sru_catalogue.values()}
    assert titles(doc) == [by_id[i] for i in portal.record_ids]
    assert len(portal.record_ids) == 2
    doc = sru(client, query='cql.serverChoice all "guerre paix"', recordSchema="dc")
    assert titles(doc) == [by_id[i] for i in portal.record_ids]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('dc.title = "guerre et paix"', ["Guerre et paix"]),
        ("dc.title adj \"paix et la guerre\"", ["La paix et la guerre"]),
        ("dc.title any \"ghost journaux\"", ["Ghost story", "Les journaux de guerre"]),
        ("dc.creator = tolst*", ["Guerre et paix"]),
        ("dc.creator = h?rge", ["L'Étoile mystérieuse"]),
        ("dc.subject = histoire not dc.creator = dubois", ["Guerre et paix"]),
        ("dc.title = ghost or bath.author = aron", ["Ghost story", "La paix et la guerre"]),
        ("dc.date > 1900 and dc.date <= 1979", ["L'Étoile mystérieuse", "Ghost story", "La paix et la guerre"]),
        ("dc.date within \"1800 1900\"", ["Revue des deux mondes", "Guerre et paix"]),
        ("bath.isbn = 2-203-00109-7", ["L'Étoile mystérieuse"]),
        ("bath.issn = 07509278", ["Revue des deux mondes"]),
        ("dc.identifier = rdm1829", ["Revue des deux mondes"]),
        ("> d = \"info:srw/cql-context-set/1/dc-v1.1\" d.title = ghost", ["Ghost story"]),
        ("mystérieuse", ["L'Étoile mystérieuse"]),
    ],
)  # fmt: skip
def test_cql_indexes_relations_booleans_and_truncation(client, sru_catalogue, query, expected):
    """dc, bath, rec and cql indexes; =, adj, any, ranges, within; and/or/not; * and ?."""
    doc = sru(client, query=query, recordSchema="dc", maximumRecords="20")
    assert sorted(titles(doc)) == sorted(expected)
    assert doc.findtext("srw:numberOfRecords", namespaces=NS) == str(len(expected))


def test_rec_identifier_finds_one_record(client, sru_catalogue):
    ghost = sru_catalogue["ghost"]
    doc = sru(client, query=f"rec.identifier = {ghost.pk}", recordSchema="dc")
    assert titles(doc) == ["Ghost story"]


def test_marcxml_records_carry_copies_and_status_in_852(client, sru_catalogue):
    """MARC21 records in MARCXML, copies as 852 with library, call number and status code;
    a UNIMARC record asked in MARCXML is a surrogate diagnostic 67."""
    doc = sru(client, query="dc.title = ghost", recordSchema="marcxml")
    record = doc.find(".//marc:record", NS)
    field = record.find("marc:datafield[@tag='852']", NS)
    subfields = {s.get("code"): s.text for s in field}
    assert subfields["a"] == "harnes" and subfields["h"] == "R STR"
    assert subfields["z"] == "available"
    doc = sru(client, query="dc.title = journaux", recordSchema="marcxml")
    assert (
        doc.findtext(".//srw:recordSchema", namespaces=NS) == "info:srw/schema/1/diagnostics-v1.1"
    )
    assert diagnostic(doc)[0] == "info:srw/diagnostic/1/67"


def test_unimarc_records_carry_copies_in_995_with_status(client, sru_catalogue, settings):
    """UNIMARC as MarcXchange with 995 $b library and $o status; the setting can ask 852."""
    doc = sru(client, query="dc.creator = herge", recordSchema="unimarc")
    record = doc.find(".//mx:record", NS)
    assert record.get("format") == "UNIMARC"
    copies = sorted(
        (f.findtext("mx:subfield[@code='b']", namespaces=NS),
         f.findtext("mx:subfield[@code='o']", namespaces=NS))
        for f in record.iterfind("mx:datafield[@tag='995']", NS)
    )  # fmt: skip
    assert copies == [("harnes", "on_loan"), ("lens", "available")]
    settings.NAVETTE_SRU_HOLDINGS_FIELD = "852"
    doc = sru(client, query="dc.creator = herge", recordSchema="unimarc")
    assert len(doc.findall(".//mx:datafield[@tag='852']", NS)) == 2
    assert not doc.findall(".//mx:datafield[@tag='995']", NS)


def test_start_record_and_maximum_records_page_through(client, sru_catalogue):
    """startRecord and maximumRecords page the same ranked list; nextRecordPosition follows."""
    everything = titles(sru(client, query="guerre", recordSchema="dc", maximumRecords="10"))
    assert len(everything) == 3
    first = sru(client, query="guerre", recordSchema="dc", maximumRecords="2")
    assert titles(first) == everything[:2]
    assert first.findtext("srw:nextRecordPosition", namespaces=NS) == "3"
    last = sru(client, query="guerre", recordSchema="dc", startRecord="3", maximumRecords="2")
    assert titles(last) == everything[2:]
    assert last.find("srw:nextRecordPosition", NS) is None
    assert [e.text for e in last.iterfind(".//srw:recordPosition", NS)] == ["3"]
    none = sru(client, query="guerre", maximumRecords="0")
    assert none.findtext("srw:numberOfRecords", namespaces=NS) == "3"
    assert none.find("srw:records", NS) is None


@pytest.mark.parametrize(
    ("params", "number", "details"),
    [
        ({"query": "(guerre"}, 10, None),
        ({"query": "dc.format = livre"}, 16, "dc.format"),
        ({"query": "marc.title = guerre"}, 15, "marc"),
        ({"query": "dc.title < guerre"}, 19, "<"),
        ({"query": "dc.title =/stem guerre"}, 20, "stem"),
        ({"query": "dc.title = \"\""}, 27, None),
        ({"query": "dc.title = g*"}, 29, None),
        ({"query": "bath.isbn = 978*"}, 28, None),
        ({"query": "dc.date = demain"}, 36, None),
        ({"query": "guerre prox paix"}, 37, None),
        ({"query": "guerre sortby dc.date"}, 80, None),
        ({"query": "guerre", "sortKeys": "date"}, 80, None),
        ({"query": "guerre", "recordSchema": "mods"}, 66, "mods"),
        ({"query": "guerre", "startRecord": "0"}, 6, "startRecord"),
        ({"query": "guerre", "startRecord": "9"}, 61, "9"),
        ({"query": "guerre", "recordPacking": "json"}, 71, "json"),
        ({}, 7, "query"),
        ({"query": "guerre", "colour": "red"}, 8, "colour"),
        ({"query": "guerre", "version": "3.0"}, 5, None),
        ({"operation": "update"}, 4, "update"),
    ],
)  # fmt: skip
def test_every_error_is_a_standard_diagnostic(client, sru_catalogue, params, number, details):
    """Each refusal is one diagnostic info:srw/diagnostic/1/N naming the part refused."""
    doc = sru(client, **params)
    uri, got_details = diagnostic(doc)
    assert uri == f"info:srw/diagnostic/1/{number}"
    if details is not None:
        assert got_details == details


def test_sru_2_0_uses_its_namespaces_and_names(client, sru_catalogue):
    """SRU 2.0: no operation parameter, the OASIS namespaces, recordXMLEscaping, no version
    element; every response valid against the SRU 2.0 schemas."""
    doc = sru2(client, query="ghost", recordSchema="dc", recordXMLEscaping="string")
    assert doc.tag == "{http://docs.oasis-open.org/ns/search-ws/sruResponse}searchRetrieveResponse"
    assert doc.find("sru2:version", NS) is None
    data = doc.findtext(".//sru2:recordData", namespaces=NS)
    assert "<dc:title>Ghost story</dc:title>" in data  # escaped as a string
    doc = sru2(client, query="guerre", recordSchema="unimarc", maximumRecords="2")
    assert len(doc.findall(".//sru2:recordData/mx:record", NS)) == 2
    assert doc.findtext("sru2:nextRecordPosition", namespaces=NS) == "3"
    doc = sru2(client, query="ghost", recordSchema="marcxml")
    assert doc.find(".//sru2:recordData/marc:record", NS) is not None
    doc = sru2(client, query="dc.nothing = x")
    assert diagnostic(doc, "diag2")[0] == "info:srw/diagnostic/1/16"
    doc = sru2(client, scanClause="dc.title = gh")
    assert doc.tag == "{http://docs.oasis-open.org/ns/search-ws/scan}scanResponse"
    assert [t.text for t in doc.iterfind(".//scan2:term/scan2:value", NS)][:1] == ["ghost"]
    doc = sru2(client, scanClause="dc.date = 1900")
    assert diagnostic(doc, "diag2")[0] == "info:srw/diagnostic/1/16"
    doc = sru2(client)
    assert doc.tag == "{http://docs.oasis-open.org/ns/search-ws/sruResponse}explainResponse"
    assert doc.find(".//zr:explain", NS) is not None


def test_explain_describes_indexes_and_schemas(client, sru_catalogue):
    """explain: a ZeeRex record listing context sets, indexes, schemas and limits."""
    doc = sru(client, operation="explain")
    explain = doc.find(".//zr:explain", NS)
    indexes = [e.text for e in explain.iterfind(".//zr:index/zr:title", NS)]
    assert {"dc.title", "dc.creator", "bath.isbn", "rec.identifier"} <= set(indexes)
    schemas = [s.get("name") for s in explain.iterfind(".//zr:schema", NS)]
    assert schemas == ["marcxml", "unimarc", "dc"]


def test_scan_lists_terms_in_order_with_counts(client, sru_catalogue):
    """scan: index terms from the given one, in order, with how many records hold each."""
    doc = sru(client, operation="scan", scanClause="dc.title = guerre", maximumTerms="3")
    terms = [(t.findtext("srw:value", namespaces=NS), t.findtext("srw:numberOfRecords", namespaces=NS))
             for t in doc.iterfind(".//srw:term", NS)]  # fmt: skip
    assert terms == [("guerre", "3"), ("journaux", "1"), ("l", "1")]
    doc = sru(client, operation="scan", scanClause="dc.creator = p", maximumTerms="2",
              responsePosition="2")  # fmt: skip
    assert [t.text for t in doc.iterfind(".//srw:term/srw:value", NS)] == ["leon", "paul"]
    doc = sru(client, operation="scan", scanClause="dc.date = 1900")
    assert diagnostic(doc)[0] == "info:srw/diagnostic/1/16"


def _yaz(script: str) -> str:
    done = subprocess.run(["yaz-client"], input=script, capture_output=True, text=True,
                          timeout=60, check=True)  # fmt: skip
    return done.stdout


def test_yaz_client_searches_and_scans_a_live_server(live_server, sru_catalogue):
    """Debian's yaz-client (SRU 1.2 over GET): find in CQL, show the records, scan."""
    out = _yaz(
        f"sru get 1.2\nopen {live_server.url}/sru\nquerytype cql\nformat xml\nschema dc\n"
        "find dc.title = guerre\nshow 1+3\nfind dc.creator = tolst* and dc.date < 1900\n"
        "show 1\nscan dc.title=gu\nquit\n"
    )
    assert "Number of hits: 3" in out
    assert out.count("schema=info:srw/schema/1/dc-v1.1") == 4
    assert "<dc:title>Les journaux de guerre</dc:title>" in out
    assert "Number of hits: 1" in out and "<dc:title>Guerre et paix</dc:title>" in out
    assert "Received SRW Scan Response" in out
    assert "guerre: 3" in out


def test_yaz_client_reads_marcxml_with_copies(live_server, sru_catalogue):
    """yaz-client decodes the MARCXML record and shows the 852 copy with its status."""
    out = _yaz(
        f"sru get 2.0\nopen {live_server.url}/sru\nquerytype cql\nschema marcxml\n"
        "find bath.author = straub\nshow 1\nquit\n"
    )
    assert "Number of hits: 1" in out
    assert "Ghost story" in out
    assert "available" in out and "harnes" in out


@pytest.mark.parametrize(
    ("name", "value", "check_id"),
    [
        ("NAVETTE_SRU_HOLDINGS_FIELD", "952", "navette.E101"),
        ("NAVETTE_SRU_DEFAULT_SCHEMA", "mods", "navette.E102"),
        ("NAVETTE_OAI_RECORDS_PER_PAGE", 0, "navette.E103"),
    ],
)
def test_misconfigured_settings_are_caught_at_start_up(settings, name, value, check_id):
    """A wrong holdings field, default schema or page size is a system check error."""
    setattr(settings, name, value)
    assert [e.id for e in check_opendata_settings()] == [check_id]
