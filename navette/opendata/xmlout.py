"""Records written as XML for harvesters and search clients (Dublin Core, MARCXML, MarcXchange)."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import quoteattr

from navette.catalogue.marc.marcxml import NS as MARC21_NS

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
    """Character data: XML's three specials escaped, C0 controls (forbidden in XML 1.0, which
    catalogue data sometimes carries) replaced. The checks come first: most values need
    neither change, and a membership test is cheaper than a replacement."""
    if not value.isprintable():
        value = "".join(c if c >= " " or c in "\t\n\r" else "\ufffd" for c in value)
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    return value


#: quoted attribute values already written (tags, indicators, subfield codes: a few hundred)
_ATTRIBUTES: dict[str, str] = {}


def _attr(value: str) -> str:
    quoted = _ATTRIBUTES.get(value)
    if quoted is None:
        if not value.isprintable():
            value = "".join(c if c >= " " else "\ufffd" for c in value)
        quoted = quoteattr(value)
        if len(_ATTRIBUTES) < 10_000:
            _ATTRIBUTES[value] = quoted
    return quoted


def marc_record_xml(
    marc: dict[str, Any],
    root_attributes: str,
    *,
    drop_tags: frozenset[str] = frozenset(),
    extra_fields: list[tuple[str, list[tuple[str, str]]]] = (),  # type: ignore[assignment]
) -> str:
    """A MARC-in-JSON record as one standalone MARCXML or MarcXchange <record>.

    ``root_attributes`` (escaped, with a leading space) go on <record>; fields whose tag is in
    ``drop_tags`` are left out and ``extra_fields`` (tag, [(code, value)]; blank indicators)
    are written last: the copies' holdings. Written by hand with cached attribute quoting:
    this is the harvest's inner loop (a quarter of the time went to ``quoteattr`` per
    subfield before).
    """
    out = [f"<record{root_attributes}><leader>{_text(marc.get('leader', ''))}</leader>"]
    add = out.append
    for field in marc.get("fields", ()):
        for tag, value in field.items():
            if tag in drop_tags:
                continue
            if isinstance(value, str):
                add(f"<controlfield tag={_attr(tag)}>{_text(value)}</controlfield>")
                continue
            add(
                f"<datafield tag={_attr(tag)} ind1={_attr(value.get('ind1', ' '))} "
                f"ind2={_attr(value.get('ind2', ' '))}>"
            )
            for sub in value.get("subfields", ()):
                for code, text in sub.items():
                    add(f"<subfield code={_attr(code)}>{_text(text)}</subfield>")
            add("</datafield>")
    for tag, pairs in extra_fields:
        add(f'<datafield tag={_attr(tag)} ind1=" " ind2=" ">')
        for code, text in pairs:
            add(f"<subfield code={_attr(code)}>{_text(text)}</subfield>")
        add("</datafield>")
    add("</record>")
    return "".join(out)


#: <record> attributes of a standalone MARCXML and MarcXchange record
MARC21_ROOT = (
    f' xmlns="{MARC21_NS}" xmlns:xsi="{XSI_NS}" '
    f'xsi:schemaLocation={quoteattr(MARC21_NS + " " + MARC21_SCHEMA)} type="Bibliographic"'
)
UNIMARC_ROOT = (
    f' xmlns="{MARCXCHANGE_NS}" xmlns:xsi="{XSI_NS}" '
    f"xsi:schemaLocation={quoteattr(MARCXCHANGE_NS + ' ' + MARCXCHANGE_SCHEMA)} "
    'format="UNIMARC" type="Bibliographic"'
)


def dublin_core(record: Any, *, link: str = "", sru: bool = False) -> str:
    """The record as simple Dublin Core, in <oai_dc:dc> (OAI-PMH) or <srw_dc:dc> (SRU).

    ``record`` is a Record or anything with its display attributes (a HarvestRecord)."""
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
    return marc_record_xml(marc, MARC21_ROOT)


def unimarc_xml(marc: dict[str, Any]) -> str:
    """A UNIMARC record as a standalone MarcXchange (ISO 25577) <record format="UNIMARC">."""
    return marc_record_xml(marc, UNIMARC_ROOT)
