"""Fixtures for the open interfaces: schema validation and a small catalogue in both flavours."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from navette.catalogue.models import Record
from navette.search.index import rebuild_index
from tests.catalogue.factories import make_item, make_record

SCHEMAS = Path(__file__).parent / "schemas"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
NS = {
    "oai": "http://www.openarchives.org/OAI/2.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "marc": "http://www.loc.gov/MARC21/slim",
    "mx": "info:lc/xmlns/marcxchange-v2",
    "srw": "http://www.loc.gov/zing/srw/",
    "diag": "http://www.loc.gov/zing/srw/diagnostic/",
    "sru2": "http://docs.oasis-open.org/ns/search-ws/sruResponse",
    "scan2": "http://docs.oasis-open.org/ns/search-ws/scan",
    "diag2": "http://docs.oasis-open.org/ns/search-ws/diagnostic",
    "srw_dc": "info:srw/schema/1/dc-schema",
    "zr": "http://explain.z3950.org/dtd/2.0/",
}

_schemas: dict[str, etree.XMLSchema] = {}


def schema(name: str) -> etree.XMLSchema:
    if name not in _schemas:
        _schemas[name] = etree.XMLSchema(etree.parse(str(SCHEMAS / name)))
    return _schemas[name]


def valid_oai(content: bytes) -> Any:
    """Parse an OAI-PMH response and check it against the official schemas; return the root."""
    doc = etree.fromstring(content)
    checker = schema("oai-response.xsd")
    assert checker.validate(doc), f"{checker.error_log}\n{content[:2000]!r}"
    return doc


def marc_field(tag: str, ind: str = "  ", **subfields: str) -> dict[str, Any]:
    return {
        tag: {
            "ind1": ind[0],
            "ind2": ind[1],
            "subfields": [{k.lstrip("_"): v} for k, v in subfields.items()],
        }
    }


def marc21_record(title: str, **fields: Any) -> Record:
    marc = {
        "leader": "00000nam a2200000 a 4500",
        "fields": [{"001": f"M{title[:8]}"}, marc_field("245", "10", a=title)],
    }
    return make_record(flavour="marc21", marc=marc, title=title, **fields)


def unimarc_record(title: str, **fields: Any) -> Record:
    marc = {
        "leader": "00000nam  2200000   4500",
        "fields": [{"001": f"U{title[:8]}"}, marc_field("200", "1 ", a=title)],
    }
    return make_record(flavour="unimarc", marc=marc, title=title, **fields)


def set_datestamp(record: Record, instant: dt.datetime) -> None:
    Record.objects.filter(pk=record.pk).update(updated_at=instant)


@pytest.fixture
def small_catalogue(relire) -> dict[str, Record]:
    """Six records: MARC21 and UNIMARC, books, comics and a film, copies in Lens and Harnes."""
    lens, harnes = relire["lens"], relire["harnes"]
    r = {
        "etoile": unimarc_record("L'Étoile mystérieuse", authors=["Hergé"], doc_type="comic",
                                 year=1942, isbns=["9782203001091"], subjects=["Aventure"]),
        "guerre": unimarc_record("Guerre et paix", authors=["Léon Tolstoï"], year=1869),
        "ghost": marc21_record("Ghost story", authors=["Peter Straub"], languages=["eng"]),
        "film": marc21_record("The Lord of the Rings", doc_type="video", year=2001),
        "orphan": unimarc_record("Une notice sans exemplaire"),
        "atlas": marc21_record("Atlas of the world", doc_type="map"),
    }  # fmt: skip
    make_item(record=r["etoile"], library=lens, call_number="BD HER")
    make_item(record=r["etoile"], library=harnes)
    make_item(record=r["guerre"], library=lens)
    make_item(record=r["ghost"], library=harnes, call_number="R STR")
    make_item(record=r["film"], library=lens)
    make_item(record=r["atlas"], library=harnes)
    return r


@pytest.fixture
def sru_catalogue(relire, settings, tmp_path) -> dict[str, Record]:
    """A varied catalogue in both flavours, indexed in a per-test index directory."""
    settings.NAVETTE_SEARCH_INDEX_DIR = tmp_path / "index"
    settings.NAVETTE_SEARCH_UPDATES = "inline"
    lens, harnes = relire["lens"], relire["harnes"]
    r = {
        "etoile": unimarc_record("L'Étoile mystérieuse", authors=["Hergé"], doc_type="comic",
                                 year=1942, isbns=["9782203001091"], subjects=["Aventure"]),
        "guerre": unimarc_record("Guerre et paix", authors=["Léon Tolstoï"], year=1869,
                                 subjects=["Histoire"], summary="La paix revient après la guerre."),
        "paix": unimarc_record("La paix et la guerre", authors=["Raymond Aron"], year=1962,
                               subjects=["Relations internationales"]),
        "journaux": unimarc_record("Les journaux de guerre", authors=["Paul Dubois"], year=2003,
                                   subjects=["Histoire"]),
        "ghost": marc21_record("Ghost story", authors=["Peter Straub"], languages=["eng"],
                               year=1979, subjects=["Fantastique"]),
        "revue": marc21_record("Revue des deux mondes", doc_type="magazine", year=1829,
                               issns=["0750-9278"], control_number="RDM1829"),
    }  # fmt: skip
    make_item(record=r["etoile"], library=lens, call_number="BD HER")
    make_item(record=r["etoile"], library=harnes, status="on_loan")
    make_item(record=r["guerre"], library=lens)
    make_item(record=r["ghost"], library=harnes, call_number="R STR")
    make_item(record=r["journaux"], library=lens, status="on_loan")
    rebuild_index()
    return r
