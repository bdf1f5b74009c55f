"""MARCXML reading (streaming, record by record) and writing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from navette.catalogue.marc import MarcError

NS = "http://www.loc.gov/MARC21/slim"
_RECORD_TAGS = (f"{{{NS}}}record", "record")


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def iter_xml_records(stream: IO[bytes]) -> Iterator[tuple[int, int, Any]]:
    """Yield (number, line, element) per <record>; elements are freed after use.

    A syntax error is raised as MarcError after the records before it.
    """
    number = 0
    context = etree.iterparse(stream, events=("end",), tag="{*}record", huge_tree=True)
    try:
        for _event, elem in context:
            if elem.tag not in _RECORD_TAGS and elem.find(".//{*}record") is not None:
                continue  # a wrapper (OAI-PMH <record>) around a MARC record already read
            number += 1
            yield number, elem.sourceline or 0, elem
            elem.clear(keep_tail=False)
            parent = elem.getparent()
            if parent is not None:
                while elem.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        raise MarcError(f"XML mal formé : {exc}") from None


def element_to_json(elem: Any) -> dict[str, Any]:
    """Convert a <record> element to MARC-in-JSON; MarcError when a tag or code is missing."""
    leader = ""
    fields: list[dict[str, Any]] = []
    for child in elem:
        name = _local(child.tag)
        if name == "leader":
            leader = child.text or ""
        elif name == "controlfield":
            tag = child.get("tag")
            if not tag:
                raise MarcError(f"champ de contrôle sans attribut tag (ligne {child.sourceline})")
            fields.append({tag: child.text or ""})
        elif name == "datafield":
            tag = child.get("tag")
            if not tag:
                raise MarcError(f"champ de données sans attribut tag (ligne {child.sourceline})")
            subfields = []
            for sub in child:
                if _local(sub.tag) != "subfield":
                    continue
                code = sub.get("code")
                if not code:
                    raise MarcError(
                        f"sous-champ sans code dans le champ {tag} (ligne {sub.sourceline})"
                    )
                subfields.append({code[:1]: sub.text or ""})
            fields.append(
                {
                    tag: {
                        "ind1": (child.get("ind1") or " ")[:1],
                        "ind2": (child.get("ind2") or " ")[:1],
                        "subfields": subfields,
                    }
                }
            )
    if len(leader) != 24:
        raise MarcError(f"label (leader) absent ou de longueur {len(leader)} au lieu de 24")
    if not fields:
        raise MarcError("notice sans aucun champ")
    return {"leader": leader, "fields": fields}


def record_to_xml(marc: dict[str, Any], *, root_attributes: str = "") -> str:
    """One <record> element (MARC21 slim namespace declared by the collection).

    ``root_attributes`` (already escaped, with a leading space) are written on
    <record>: a namespace declaration when the record stands alone.
    """
    out = [f"<record{root_attributes}>", f"<leader>{escape(marc['leader'])}</leader>"]
    for field in marc["fields"]:
        ((tag, value),) = field.items()
        if isinstance(value, str):
            out.append(f"<controlfield tag={quoteattr(tag)}>{_xml_text(value)}</controlfield>")
        else:
            out.append(
                f"<datafield tag={quoteattr(tag)} ind1={quoteattr(value['ind1'])} "
                f"ind2={quoteattr(value['ind2'])}>"
            )
            for sub in value["subfields"]:
                ((code, text),) = sub.items()
                out.append(f"<subfield code={quoteattr(code)}>{_xml_text(text)}</subfield>")
            out.append("</datafield>")
    out.append("</record>")
    return "".join(out)


def _xml_text(text: str) -> str:
    # XML 1.0 forbids most C0 controls; MARC data sometimes carries them.
    if not text.isprintable():
        text = "".join(c if c >= " " or c in "\t\n\r" else "\ufffd" for c in text)
    return escape(text)


COLLECTION_HEAD = f'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="{NS}">\n'
COLLECTION_TAIL = "</collection>\n"


def is_xml(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] == b"<"


def raw_xml(elem: Any) -> bytes:
    return etree.tostring(elem, encoding="utf-8")
