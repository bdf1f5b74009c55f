"""Records written as XML for harvesters and search clients (Dublin Core, MARCXML, MarcXchange)."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

from navette.catalogue.marc.marcxml import NS as MARC21_NS
from navette.catalogue.marc.marcxml import record_to_xml
from navette.catalogue.models import Record

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC_NS = "http://purl.org/dc/elements/1.1/"
SRW_DC_NS = "info:srw/schema/1/dc-schema"
SRW_DC_SCHEMA = "http://www.loc.gov/standards/sru/recordSchemas/dc-schema.xsd"
MARC21_SCHEMA = "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"
MARCXCHANGE_NS = "info:lc/xmlns/marcxchange-v2"
MARCXCHANGE_SCHEMA = "http://www.loc.gov/standards/iso25577/marcxchange-2-0.xsd"

#: DCMI Type Vocabulary term of each document type
_DCMI_TYPE = {
    "book": "Text", "large_print": "Text", "comic": "Text", "magazine": "Text",
    "video": "MovingImage", "music": "Sound", "audiobook": "Sound",
    "video_game": "InteractiveResource", "score": "Text", "map": "Image",
    "online": "Text", "other": "PhysicalObject",
}  # fmt: skip


def _text(value: str) -> str:
    # XML 1.0 forbids most C0 controls; catalogue data sometimes carries them.
    if not value.isprintable():
        value = "".join(c if c >= " " or c in "\t\n\r" else "\ufffd" for c in value)
    return escape(value)


def dublin_core(record: Record, *, link: str = "", sru: bool = False) -> str:
    """The record as simple Dublin Core, in <oai_dc:dc> (OAI-PMH) or <srw_dc:dc> (SRU)."""
    parts: list[tuple[str, str]] = []
    title = record.title + (f" : {record.subtitle}" if record.subtitle else "")
    parts.append(("title", title))
    parts.extend(("creator", a.get("name", "")) for a in record.authors if a.get("name"))
    parts.extend(("subject", s if isinstance(s, str) else str(s)) for s in record.subjects)
    if record.summary:
        parts.append(("description", record.summary))
    if record.publisher:
        parts.append(("publisher", record.publisher))
    if record.year:
        parts.append(("date", str(record.year)))
    parts.append(("type", _DCMI_TYPE.get(record.doc_type, "Text")))
    parts.append(("type", record.doc_type))
    parts.extend(("identifier", f"urn:isbn:{isbn}") for isbn in record.isbns)
    parts.extend(("identifier", f"urn:issn:{issn}") for issn in record.issns)
    if link:
        parts.append(("identifier", link))
    parts.extend(("language", lang) for lang in record.languages)
    parts.extend(("relation", s) for s in record.series if isinstance(s, str))
    body = "".join(f"<dc:{name}>{_text(value)}</dc:{name}>" for name, value in parts if value)
    if sru:
        return (
            f'<srw_dc:dc xmlns:srw_dc="{SRW_DC_NS}" xmlns:dc="{DC_NS}" xmlns:xsi="{XSI_NS}" '
            f'xsi:schemaLocation="{SRW_DC_NS} {SRW_DC_SCHEMA}">{body}</srw_dc:dc>'
        )
    return (
        f'<oai_dc:dc xmlns:oai_dc="{OAI_DC_NS}" xmlns:dc="{DC_NS}" xmlns:xsi="{XSI_NS}" '
        f'xsi:schemaLocation="{OAI_DC_NS} {OAI_DC_SCHEMA}">{body}</oai_dc:dc>'
    )


def marc21_xml(marc: dict[str, Any]) -> str:
    """A MARC21 record as a standalone MARCXML <record>."""
    attrs = (
        f' xmlns="{MARC21_NS}" xmlns:xsi="{XSI_NS}" '
        f'xsi:schemaLocation={quoteattr(MARC21_NS + " " + MARC21_SCHEMA)} type="Bibliographic"'
    )
    return record_to_xml(marc, root_attributes=attrs)


def unimarc_xml(marc: dict[str, Any]) -> str:
    """A UNIMARC record as a standalone MarcXchange (ISO 25577) <record format="UNIMARC">."""
    attrs = (
        f' xmlns="{MARCXCHANGE_NS}" xmlns:xsi="{XSI_NS}" '
        f"xsi:schemaLocation={quoteattr(MARCXCHANGE_NS + ' ' + MARCXCHANGE_SCHEMA)} "
        'format="UNIMARC" type="Bibliographic"'
    )
    return record_to_xml(marc, root_attributes=attrs)
