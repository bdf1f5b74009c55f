"""Copy cataloguing: search a remote catalogue over SRU or Z39.50 and read its MARC records.

- SRU (1.1, 1.2, 2.0): a CQL query on the target's ISBN, title or author index, sent with
  the standard library's HTTP client; records read from ``recordData`` as MARCXML or
  MarcXchange (UNIMARC), packed as XML or as an escaped string.
- Z39.50: through ``zoomsh``, the ZOOM shell of Debian's yaz package (no maintained
  Python binding exists on PyPI: PyZ3950 and its forks stopped with Python 2), with a
  Bib-1 PQF query; records rendered by yaz as MARCXML in UTF-8 from the target's charset.

Results are MARC-in-JSON records with what a result list shows; a failure is a
``RemoteSearchFailed`` with a stable code (``unreachable``, ``diagnostic``, ``bad_response``,
``bad_query``) and the target's own words in ``detail``.
"""

from __future__ import annotations

import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from navette.catalogue.marc import MarcError
from navette.catalogue.marc.extract import extract
from navette.catalogue.marc.marcxml import element_to_json
from navette.catalogue.models import Record, RecordIdentifier, RemoteTarget, TargetProtocol
from navette.core.errors import DomainError

#: what a cataloguer searches by
SEARCH_KINDS = ("isbn", "title", "author")
#: Bib-1 use attributes of each kind (ISBN 7, title 4, author 1003)
BIB1_USE = {"isbn": 7, "title": 4, "author": 1003}
MAX_RECORDS = 20
ZOOMSH = "zoomsh"


class RemoteSearchFailed(DomainError):
    code = "remote_search_failed"


@dataclass
class RemoteRecord:
    """One record found: its MARC, its format and what the result list shows."""

    marc: dict[str, Any]
    flavour: str
    title: str = ""
    authors: list[str] = field(default_factory=list)
    publisher: str = ""
    year: int | None = None
    isbns: list[str] = field(default_factory=list)
    control_number: str = ""
    control_source: str = ""


@dataclass
class RemoteResult:
    target: str
    total: int
    records: list[RemoteRecord]


def _remote_record(marc: dict[str, Any], flavour: str) -> RemoteRecord:
    x = extract(marc, flavour)
    return RemoteRecord(
        marc=marc, flavour=flavour, title=x.title, authors=[a["name"] for a in x.authors],
        publisher=x.publisher, year=x.year, isbns=x.isbns, control_number=x.control_number,
        control_source=x.control_source,
    )  # fmt: skip


def _flavour_of(marc: dict[str, Any], declared: str) -> str:
    tags = {next(iter(f)) for f in marc["fields"]}
    if "245" in tags and "200" not in tags:
        return "marc21"
    if "200" in tags and "245" not in tags:
        return "unimarc"
    return declared


def _clean_term(term: str) -> str:
    term = " ".join(term.split())
    if not term:
        raise RemoteSearchFailed("empty_term", code="bad_query")
    return term


def cql_query(target: RemoteTarget, kind: str, term: str) -> str:
    """The CQL query for ``kind`` (isbn, title, author) on ``target``'s indexes; the term is
    quoted (backslashes and quotes escaped). An ISBN is sent without hyphens."""
    index = {"isbn": target.isbn_index, "title": target.title_index,
             "author": target.author_index}[kind]  # fmt: skip
    term = _clean_term(term)
    if kind == "isbn":
        term = re.sub(r"[\s-]", "", term)
    quoted = term.replace("\\", "\\\\").replace('"', '\\"')
    return f'{index} all "{quoted}"' if kind != "isbn" else f'{index} = "{quoted}"'


def pqf_query(kind: str, term: str) -> str:
    """The Z39.50 query in PQF with its Bib-1 use attribute; the term is quoted."""
    term = _clean_term(term)
    if kind == "isbn":
        term = re.sub(r"[\s-]", "", term)
    quoted = term.replace("\\", "\\\\").replace('"', '\\"')
    return f'@attr 1={BIB1_USE[kind]} "{quoted}"'


def _records_from_xml(elements: list[Any], declared: str) -> list[RemoteRecord]:
    out = []
    for elem in elements:
        try:
            marc = element_to_json(elem)
        except MarcError:
            continue  # a record the target sent broken is left out of the list
        out.append(_remote_record(marc, _flavour_of(marc, declared)))
    return out


def _sru_search(target: RemoteTarget, kind: str, term: str, limit: int) -> RemoteResult:
    params = {"version": target.sru_version, "query": cql_query(target, kind, term),
              "maximumRecords": str(limit), "startRecord": "1"}  # fmt: skip
    if target.sru_version != "2.0":
        params["operation"] = "searchRetrieve"
        params["recordPacking"] = "xml"
    else:
        params["operation"] = "searchRetrieve"
        params["recordXMLEscaping"] = "xml"
    if target.record_schema:
        params["recordSchema"] = target.record_schema
    sep = "&" if "?" in target.address else "?"
    url = target.address + sep + urllib.parse.urlencode(params)
    if not url.startswith(("http://", "https://")):
        raise RemoteSearchFailed("bad_address", code="unreachable", detail=target.address)
    request = urllib.request.Request(url, headers={"User-Agent": "Navette copy cataloguing"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=target.timeout) as response:  # noqa: S310
            body = response.read(20_000_000)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise RemoteSearchFailed("unreachable", code="unreachable", detail=str(exc)) from None
    try:
        root = etree.fromstring(
            body, parser=etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
        )
    except etree.XMLSyntaxError as exc:
        raise RemoteSearchFailed("bad_response", code="bad_response", detail=str(exc)) from None
    diagnostics = root.findall(".//{*}diagnostics/{*}diagnostic")
    found = root.find(".//{*}numberOfRecords")
    total = int(found.text) if found is not None and (found.text or "").isdigit() else 0
    if diagnostics and not total:
        diag = diagnostics[0]
        message = " ".join(
            (diag.findtext("{*}message") or "", diag.findtext("{*}details") or "")
        ).strip()
        raise RemoteSearchFailed("diagnostic", code="diagnostic", detail=message)
    elements = []
    for data in root.iter("{*}recordData"):
        children = [c for c in data if isinstance(c.tag, str)]
        if children:
            record = children[0]
            if etree.QName(record).localname != "record":
                record = record.find(".//{*}record")
            if record is not None:
                elements.append(record)
        elif (data.text or "").strip():
            try:
                elements.append(etree.fromstring(data.text.strip().encode("utf-8")))
            except etree.XMLSyntaxError:
                continue
    return RemoteResult(target.name, total, _records_from_xml(elements, target.record_syntax))


_ZOOM_HITS = re.compile(r":\s*(\d+) hits")
_ZOOM_RECORD = re.compile(r"<record[ >].*?</record>", re.S)


def _z3950_search(target: RemoteTarget, kind: str, term: str, limit: int) -> RemoteResult:
    syntax = "unimarc" if target.record_syntax == "unimarc" else "usmarc"
    charset = (target.charset or "utf-8").strip().lower()
    render = "xml" if charset in ("", "utf-8", "utf8") else f"xml; charset={charset},utf-8"
    host = target.address.strip()
    if not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+", host):
        raise RemoteSearchFailed("bad_address", code="unreachable", detail=host)
    database = target.database.strip() or "Default"
    if not re.fullmatch(r"[A-Za-z0-9_.\-]+", database):
        raise RemoteSearchFailed("bad_address", code="unreachable", detail=database)
    commands = [
        f"set preferredRecordSyntax {syntax}",
        f"set timeout {int(target.timeout)}",
        f"connect {host}/{database}",
        f"search {pqf_query(kind, term)}",
        f"show 0 {int(limit)} {render}",
        "quit",
    ]
    try:
        done = subprocess.run(  # noqa: S603 - fixed program, arguments without a shell
            [ZOOMSH, *commands], capture_output=True, timeout=target.timeout + 5, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RemoteSearchFailed("unreachable", code="unreachable", detail=str(exc)) from None
    out = done.stdout.decode("utf-8", "replace")
    err = done.stderr.decode("utf-8", "replace")
    hits = _ZOOM_HITS.search(out)
    if hits is None:
        detail = (err or out).strip().splitlines()
        raise RemoteSearchFailed("unreachable", code="unreachable",
                                 detail=detail[-1] if detail else "")  # fmt: skip
    elements = []
    for chunk in _ZOOM_RECORD.findall(out):
        try:
            elements.append(etree.fromstring(chunk.encode("utf-8")))
        except etree.XMLSyntaxError:
            continue
    return RemoteResult(target.name, int(hits.group(1)),
                        _records_from_xml(elements, target.record_syntax))  # fmt: skip


def remote_search(*, target: RemoteTarget, kind: str, term: str,
                  limit: int = MAX_RECORDS) -> RemoteResult:  # fmt: skip
    """Search ``target`` by ``kind`` (isbn, title, author) for ``term``: the first ``limit``
    records. Raises RemoteSearchFailed (code bad_query, unreachable, diagnostic,
    bad_response)."""
    if kind not in SEARCH_KINDS:
        raise RemoteSearchFailed("bad_kind", code="bad_query")
    limit = max(1, min(limit, MAX_RECORDS))
    if target.protocol == TargetProtocol.Z3950:
        return _z3950_search(target, kind, term, limit)
    return _sru_search(target, kind, term, limit)


def local_matches(records: list[RemoteRecord]) -> list[Record | None]:
    """For each remote record, the local record it describes, if any: the same control
    number from the same source, else the same ISBN. Two queries."""
    keys: dict[tuple[str, str], int] = {}
    wanted: list[list[tuple[str, str]]] = []
    for r in records:
        mine: list[tuple[str, str]] = []
        if r.control_number:
            mine.append(("001+003", f"{r.control_source}|{r.control_number}"[:128]))
        mine += [("isbn", v) for v in r.isbns if v]
        wanted.append(mine)
    values = {v for mine in wanted for _k, v in mine}
    for kind, value, record_id in RecordIdentifier.objects.filter(
        value__in=values, kind__in=["001+003", "isbn"]
    ).values_list("kind", "value", "record_id"):
        keys.setdefault((kind, value), record_id)
    ids = {keys[k] for mine in wanted for k in mine if k in keys}
    by_id = Record.objects.in_bulk(ids)
    out: list[Record | None] = []
    for mine in wanted:
        match = next((keys[k] for k in mine if k in keys), None)
        out.append(by_id.get(match) if match is not None else None)
    return out


__all__ = [
    "RemoteRecord",
    "RemoteResult",
    "RemoteSearchFailed",
    "local_matches",
    "remote_search",
]
