"""SRU server at /sru: explain, searchRetrieve and scan over HTTP GET, SRU 1.2 and 2.0.

- queries in CQL (parsed by the ``cql-parser`` package), with the dc, bath, rec
  and cql context sets mapped onto the search engine's indexes;
- record schemas: MARCXML (MARC21 records), UNIMARC as MarcXchange, Dublin Core;
  copies and their status in 852 or 995 (NAVETTE_SRU_HOLDINGS_FIELD);
- results in the portal's relevance order;
- every error is a diagnostic with its info:srw/diagnostic/1/N URI.

The version answered is the one asked (``version``), 1.2 when an SRU 1.x
``operation`` is given without a version, 2.0 otherwise.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from cql.lexer import CQLLexer, CQLLexerError
from cql.parser import (
    CQLBoolean,
    CQLParser12,
    CQLParserError,
    CQLQuery,
    CQLSearchClause,
    CQLTriple,
)
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from navette.catalogue import selectors as catalogue
from navette.catalogue.models import Record
from navette.network import selectors as network
from navette.opendata import xmlout
from navette.search import structured

SRU12_NS = "http://www.loc.gov/zing/srw/"
DIAG12_NS = "http://www.loc.gov/zing/srw/diagnostic/"
SRU20_NS = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
SCAN20_NS = "http://docs.oasis-open.org/ns/search-ws/scan"
DIAG20_NS = "http://docs.oasis-open.org/ns/search-ws/diagnostic"
ZEEREX_NS = "http://explain.z3950.org/dtd/2.0/"


@dataclass(frozen=True)
class RecordSchema:
    uri: str
    names: tuple[str, ...]
    title: str
    #: None: any record; else the MARC flavour it is written from
    flavour: str | None


SCHEMAS = (
    RecordSchema("info:srw/schema/1/marcxml-v1.1", ("marcxml", "marc21"), "MARCXML", "marc21"),
    RecordSchema(
        xmlout.MARCXCHANGE_NS,
        ("unimarc", "marcxchange", "unimarcxml"),
        "UNIMARC (MarcXchange)",
        "unimarc",
    ),  # fmt: skip
    RecordSchema("info:srw/schema/1/dc-v1.1", ("dc",), "Dublin Core", None),
)
SCHEMA_BY_NAME = {name: s for s in SCHEMAS for name in (s.uri, *s.names)}

#: context set short name -> its identifier; the default set is dc
CONTEXT_SETS = {
    "cql": "info:srw/cql-context-set/1/cql-v1.2",
    "dc": "info:srw/cql-context-set/1/dc-v1.1",
    "bath": "http://zing.z3950.org/cql/bath/2.0/",
    "rec": "info:srw/cql-context-set/2/rec-1.1",
}
#: (context set, index) -> the search engine's index
INDEXES = {
    ("cql", "serverchoice"): "any", ("cql", "anywhere"): "any", ("cql", "allindexes"): "any",
    ("cql", "keywords"): "any",
    ("dc", "any"): "any", ("dc", "title"): "title", ("dc", "creator"): "creator",
    ("dc", "contributor"): "creator", ("dc", "subject"): "subject",
    ("dc", "identifier"): "identifier", ("dc", "date"): "date",
    ("bath", "title"): "title", ("bath", "keytitle"): "title", ("bath", "uniformtitle"): "title",
    ("bath", "author"): "creator", ("bath", "name"): "creator",
    ("bath", "personalname"): "creator", ("bath", "corporatename"): "creator",
    ("bath", "subject"): "subject", ("bath", "topicalsubject"): "subject",
    ("bath", "isbn"): "isbn", ("bath", "issn"): "issn",
    ("bath", "standardidentifier"): "identifier",
    ("rec", "identifier"): "record_id",
}  # fmt: skip
#: names shown in explain, one per engine index
EXPLAIN_INDEXES = [
    ("dc", "title"), ("dc", "creator"), ("dc", "subject"), ("dc", "identifier"),
    ("dc", "date"), ("dc", "any"), ("bath", "isbn"), ("bath", "issn"), ("bath", "title"),
    ("bath", "author"), ("bath", "subject"), ("rec", "identifier"), ("cql", "serverChoice"),
]  # fmt: skip
#: relation modifiers that change nothing here (results are always ranked by relevance)
HARMLESS_MODIFIERS = {"relevant", "cql.relevant", "ignorecase", "cql.ignorecase"}

#: the search engine's refusal codes -> SRU diagnostic numbers
DIAGNOSTIC_OF_CODE = {
    "unsupported_index": 16,
    "unsupported_relation": 19,
    "masking_not_supported": 28,
    "masked_word_too_short": 29,
    "empty_term": 27,
    "term_invalid_for_index": 36,
    "unsupported_boolean": 37,
}
#: diagnostic number -> its message in the SRU diagnostics list
DIAGNOSTIC_MESSAGES = {
    1: "General system error", 4: "Unsupported operation", 5: "Unsupported version",
    6: "Unsupported parameter value", 7: "Mandatory parameter not supplied",
    8: "Unsupported parameter", 10: "Query syntax error", 15: "Unsupported context set",
    16: "Unsupported index", 19: "Unsupported relation", 20: "Unsupported relation modifier",
    27: "Empty term unsupported", 28: "Masking character not supported",
    29: "Masked words too short", 36: "Term in invalid format for index or relation",
    37: "Unsupported boolean operator", 46: "Unsupported boolean modifier",
    61: "First record position out of range", 66: "Unknown schema for retrieval",
    67: "Record not available in this schema", 71: "Unsupported record packing",
    72: "Unsupported record packing", 80: "Sort not supported",
    110: "Stylesheets not supported", 120: "Response position out of range",
}  # fmt: skip

COMMON_PARAMETERS = {"operation", "version", "stylesheet", "extraRequestData", "x-"}
PARAMETERS = {
    "searchRetrieve": {"query", "queryType", "startRecord", "maximumRecords", "recordPacking",
                       "recordXMLEscaping", "recordSchema", "resultSetTTL", "sortKeys",
                       "recordXPath", "httpAccept", "renderedBy", "responseType"},
    "scan": {"scanClause", "responsePosition", "maximumTerms", "httpAccept", "renderedBy"},
    "explain": {"recordPacking", "recordXMLEscaping", "httpAccept"},
}  # fmt: skip


class Diagnostic(Exception):
    """A fatal SRU diagnostic: ``number`` from the SRU diagnostics list, ``details`` the part."""

    def __init__(self, number: int, details: str = "") -> None:
        super().__init__(f"{number}: {details}")
        self.number = number
        self.details = details


# -- CQL ---------------------------------------------------------------------------------------

_parser_lock = threading.Lock()
_parser: CQLParser12 | None = None


def parse_cql(text: str) -> CQLQuery:
    """Parse CQL 1.2; Diagnostic 10 on a syntax error. One parser (PLY tables) per process."""
    global _parser
    if not text.strip():
        raise Diagnostic(27, "")
    with _parser_lock:
        if _parser is None:
            lexer = CQLLexer()
            lexer.build()
            parser = CQLParser12()
            parser.build(lexer)  # type: ignore[arg-type]
            _parser = parser
        try:
            return _parser.parse(text)
        except (CQLParserError, CQLLexerError) as exc:
            raise Diagnostic(10, str(exc)[:200]) from None
        except Exception as exc:  # the PLY parser raises bare errors on some inputs
            raise Diagnostic(10, f"{type(exc).__name__}: {exc}"[:200]) from None


def _index(name: Any, prefixes: dict[str, str]) -> str:
    text = str(name) if name is not None else "cql.serverChoice"
    context, _dot, base = text.rpartition(".")
    context = context or "dc"
    if context not in CONTEXT_SETS:
        uri = prefixes.get(context)
        known = {v: k for k, v in CONTEXT_SETS.items()}
        if uri in known:
            context = known[uri]
        else:
            raise Diagnostic(15, context)
    engine_index = INDEXES.get((context, base.lower()))
    if engine_index is None:
        raise Diagnostic(16, text)
    return engine_index


def _prefixes(node: Any, inherited: dict[str, str]) -> dict[str, str]:
    found = dict(inherited)
    for prefix in getattr(node, "prefixes", None) or []:
        if prefix.prefix:
            found[prefix.prefix] = prefix.uri
    return found


def cql_to_tree(node: Any, prefixes: dict[str, str] | None = None) -> structured.Node:
    """Map a parsed CQL node to the search engine's structured query; Diagnostic on refusal."""
    scope = _prefixes(node, prefixes or {})
    if getattr(node, "sortSpecs", None):
        raise Diagnostic(80, "sortBy")
    if isinstance(node, CQLTriple):
        op: CQLBoolean = node.operator
        if op.modifiers:
            raise Diagnostic(46, str(op))
        value = op.value.lower()
        if value not in ("and", "or", "not"):
            raise Diagnostic(37, op.value)
        return structured.Combine(
            value, cql_to_tree(node.left, scope), cql_to_tree(node.right, scope)
        )
    assert isinstance(node, CQLSearchClause)
    relation = "="
    if node.relation is not None:
        relation = str(node.relation.comparitor).lower()
        for modifier in node.relation.modifiers or []:
            if str(modifier.name).lower() not in HARMLESS_MODIFIERS:
                raise Diagnostic(20, str(modifier.name))
    relation = relation.removeprefix("cql.")
    if relation == "scr":
        relation = "="
    return structured.Match(_index(node.index, scope), relation, node.term)


# -- responses ---------------------------------------------------------------------------------


@dataclass
class Reply:
    version: str
    base_url: str

    @property
    def v2(self) -> bool:
        return self.version == "2.0"

    def diagnostics(self, diagnostics: list[Diagnostic]) -> str:
        if not diagnostics:
            return ""
        ns = DIAG20_NS if self.v2 else DIAG12_NS
        items = "".join(
            f'<diag:diagnostic xmlns:diag="{ns}">'
            f"<diag:uri>info:srw/diagnostic/1/{d.number}</diag:uri>"
            + (f"<diag:details>{escape(d.details)}</diag:details>" if d.details else "")
            + f"<diag:message>{escape(DIAGNOSTIC_MESSAGES.get(d.number, ''))}</diag:message>"
            "</diag:diagnostic>"
            for d in diagnostics
        )
        return f"<srw:diagnostics>{items}</srw:diagnostics>"

    def envelope(self, element: str, body: str, *, namespace: str | None = None) -> str:
        ns = namespace or (SRU20_NS if self.v2 else SRU12_NS)
        # SRU 2.0 removed the version element (its scan response schema has none)
        version = "" if self.v2 else f"<srw:version>{self.version}</srw:version>"
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<srw:{element} xmlns:srw="{ns}">{version}{body}</srw:{element}>\n'
        )


def _int(params: dict[str, str], name: str, default: int, minimum: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or len(raw) > 9 or int(raw) < minimum:
        raise Diagnostic(6, name)
    return int(raw)


def _holdings_tag(record: Record) -> str:
    configured: str = settings.NAVETTE_SRU_HOLDINGS_FIELD
    return configured or ("995" if record.flavour == "unimarc" else "852")


def _record_data(schema: RecordSchema, record: Record, marc: dict[str, Any], link: str) -> str:
    if schema.flavour is None:
        return xmlout.dublin_core(record, link=link, sru=True)
    if schema.flavour == "marc21":
        return xmlout.marc21_xml(marc)
    return xmlout.unimarc_xml(marc)


def search_retrieve(request: HttpRequest, params: dict[str, str], reply: Reply) -> str:
    query_type = params.get("queryType", "cql")
    if query_type not in ("cql", "cql2"):
        raise Diagnostic(6, "queryType")
    if "query" not in params:
        raise Diagnostic(7, "query")
    if params.get("sortKeys"):
        raise Diagnostic(80, "sortKeys")
    if params.get("recordXPath"):
        raise Diagnostic(72, "recordXPath")
    if params.get("stylesheet"):
        raise Diagnostic(110, "stylesheet")
    escaping = params.get("recordXMLEscaping" if reply.v2 else "recordPacking", "xml")
    if escaping not in ("xml", "string"):
        raise Diagnostic(71, escaping)
    if reply.v2 and params.get("recordPacking", "packed") not in ("packed", "unpacked"):
        raise Diagnostic(6, "recordPacking")
    schema = SCHEMA_BY_NAME.get(params.get("recordSchema") or settings.NAVETTE_SRU_DEFAULT_SCHEMA)
    if schema is None:
        raise Diagnostic(66, params.get("recordSchema", ""))
    start = _int(params, "startRecord", 1, 1)
    maximum = min(
        _int(params, "maximumRecords", settings.NAVETTE_SRU_DEFAULT_RECORDS, 0),
        settings.NAVETTE_SRU_MAX_RECORDS,
    )
    tree = cql_to_tree(parse_cql(params["query"]).root)
    try:
        total, ids = structured.search_tree(tree, offset=start - 1, limit=maximum)
    except structured.QueryNotSupported as exc:
        raise Diagnostic(DIAGNOSTIC_OF_CODE.get(exc.code, 1), exc.context.get("detail", ""))
    if start > 1 and start > total:
        raise Diagnostic(61, str(start))
    rows = _rows_in_order(ids) if ids else []
    records_xml = []
    for position, (record, marc) in enumerate(rows, start=start):
        if schema.flavour is not None and record.flavour != schema.flavour:
            data = reply.diagnostics([Diagnostic(67, schema.names[0])])
            # a surrogate diagnostic: the diagnostic itself is the record
            data = data.removeprefix("<srw:diagnostics>").removesuffix("</srw:diagnostics>")
            record_schema = "info:srw/schema/1/diagnostics-v1.1"
        else:
            link = request.build_absolute_uri(reverse("portal:record", args=[record.pk]))
            data = _record_data(schema, record, marc, link)
            record_schema = schema.uri
        if escaping == "string":
            data = escape(data)
        packing_tag = "recordXMLEscaping" if reply.v2 else "recordPacking"
        records_xml.append(
            f"<srw:record><srw:recordSchema>{escape(record_schema)}</srw:recordSchema>"
            f"<srw:{packing_tag}>{escaping}</srw:{packing_tag}>"
            f"<srw:recordData>{data}</srw:recordData>"
            f"<srw:recordPosition>{position}</srw:recordPosition></srw:record>"
        )
    body = f"<srw:numberOfRecords>{total}</srw:numberOfRecords>"
    if records_xml:
        body += f"<srw:records>{''.join(records_xml)}</srw:records>"
    following = start + len(records_xml)
    if records_xml and following <= total:
        body += f"<srw:nextRecordPosition>{following}</srw:nextRecordPosition>"
    return body


def _rows_in_order(ids: list[int]) -> list[tuple[Record, dict[str, Any]]]:
    """Records with availability, each with the holdings field of its flavour (or the setting)."""
    configured: str = settings.NAVETTE_SRU_HOLDINGS_FIELD
    # by flavour when not configured: 995 in UNIMARC records, 852 in the others (one read)
    return catalogue.records_with_availability(ids, configured or {"unimarc": "995", "": "852"})


def scan(request: HttpRequest, params: dict[str, str], reply: Reply) -> str:
    if "scanClause" not in params:
        raise Diagnostic(7, "scanClause")
    position = _int(params, "responsePosition", 1, 0)
    count = _int(params, "maximumTerms", 20, 1)
    if count > 200:
        raise Diagnostic(6, "maximumTerms")
    clause = parse_cql(params["scanClause"]).root
    if not isinstance(clause, CQLSearchClause):
        raise Diagnostic(10, "scanClause")
    index = cql_to_tree(clause)
    assert isinstance(index, structured.Match)
    if position > count + 1:
        raise Diagnostic(120, str(position))
    try:
        terms = structured.scan_terms(
            index.index, index.term, count=count, position=max(position, 1)
        )
    except structured.QueryNotSupported as exc:
        raise Diagnostic(DIAGNOSTIC_OF_CODE.get(exc.code, 1), exc.context.get("detail", ""))
    items = "".join(
        f"<srw:term><srw:value>{escape(term)}</srw:value>"
        f"<srw:numberOfRecords>{n}</srw:numberOfRecords></srw:term>"
        for term, n in terms
    )
    return f"<srw:terms>{items}</srw:terms>" if items else ""


def explain(request: HttpRequest, params: dict[str, str], reply: Reply) -> str:
    escaping = params.get("recordXMLEscaping" if reply.v2 else "recordPacking", "xml")
    if escaping not in ("xml", "string"):
        raise Diagnostic(71, escaping)
    host = request.get_host()
    hostname, _colon, port = host.partition(":")
    name = network.network_name() or "Navette"
    sets = "".join(
        f'<zr:set name="{short}" identifier="{escape(uri)}"/>'
        for short, uri in CONTEXT_SETS.items()
    )
    indexes = "".join(
        f'<zr:index><zr:title>{context}.{index}</zr:title><zr:map><zr:name set="{context}">'
        f"{index}</zr:name></zr:map></zr:index>"
        for context, index in EXPLAIN_INDEXES
    )
    schemas = "".join(
        f'<zr:schema identifier="{escape(s.uri)}" name="{s.names[0]}">'
        f"<zr:title>{escape(s.title)}</zr:title></zr:schema>"
        for s in SCHEMAS
    )
    zeerex = (
        f'<zr:explain xmlns:zr="{ZEEREX_NS}">'
        f'<zr:serverInfo protocol="SRU" version="{reply.version}" transport="http">'
        f"<zr:host>{escape(hostname)}</zr:host><zr:port>{escape(port or '80')}</zr:port>"
        "<zr:database>sru</zr:database></zr:serverInfo>"
        f"<zr:databaseInfo><zr:title>{escape(name)}</zr:title></zr:databaseInfo>"
        f"<zr:indexInfo>{sets}{indexes}</zr:indexInfo>"
        f"<zr:schemaInfo>{schemas}</zr:schemaInfo>"
        "<zr:configInfo>"
        f'<zr:default type="numberOfRecords">{settings.NAVETTE_SRU_DEFAULT_RECORDS}</zr:default>'
        f'<zr:setting type="maximumRecords">{settings.NAVETTE_SRU_MAX_RECORDS}</zr:setting>'
        '<zr:default type="contextSet">dc</zr:default>'
        '<zr:default type="index">cql.serverChoice</zr:default>'
        '<zr:default type="relation">=</zr:default>'
        "</zr:configInfo></zr:explain>"
    )
    if escaping == "string":
        zeerex = escape(zeerex)
    packing_tag = "recordXMLEscaping" if reply.v2 else "recordPacking"
    return (
        f"<srw:record><srw:recordSchema>{ZEEREX_NS}</srw:recordSchema>"
        f"<srw:{packing_tag}>{escaping}</srw:{packing_tag}>"
        f"<srw:recordData>{zeerex}</srw:recordData></srw:record>"
    )


OPERATIONS: dict[str, tuple[str, Callable[[HttpRequest, dict[str, str], Reply], str]]] = {
    "searchRetrieve": ("searchRetrieveResponse", search_retrieve),
    "scan": ("scanResponse", scan),
    "explain": ("explainResponse", explain),
}


def _operation_and_version(params: dict[str, str]) -> tuple[str, str, Diagnostic | None]:
    version = params.get("version", "")
    operation = params.get("operation", "")
    problem = None
    if version and version not in ("1.1", "1.2", "2.0"):
        problem = Diagnostic(5, "1.2 2.0")
        version = "1.2"
    if not version:
        version = "1.2" if operation else "2.0"
    if version == "1.1":
        version = "1.2"  # 1.2 answers 1.1 clients: same elements, 1.2 only adds
    if version == "2.0" and not operation:
        # SRU 2.0 names no operation: the parameters tell which one
        operation = (
            "searchRetrieve"
            if "query" in params
            else "scan"
            if "scanClause" in params
            else "explain"
        )
    if not operation:
        operation = "explain"
    if operation not in OPERATIONS and problem is None:
        problem = Diagnostic(4, operation)
    return operation, version, problem


@require_GET
def endpoint(request: HttpRequest) -> HttpResponse:
    """Answer one SRU request."""
    params: dict[str, str] = {}
    repeated = None
    for name in request.GET:
        values = request.GET.getlist(name)
        if len(values) > 1:
            repeated = name
        params[name] = values[0]
    operation, version, problem = _operation_and_version(params)
    reply = Reply(version, request.build_absolute_uri(reverse("sru")))
    element, handler = OPERATIONS.get(operation, OPERATIONS["explain"])
    if operation not in OPERATIONS:
        element = "searchRetrieveResponse"
    if problem is None and repeated is not None:
        problem = Diagnostic(6, repeated)
    if problem is None:
        allowed = PARAMETERS.get(operation, set()) | COMMON_PARAMETERS
        unknown = [n for n in params if n not in allowed and not n.startswith("x-")]
        if unknown:
            problem = Diagnostic(8, unknown[0])
    body = ""
    if problem is None:
        try:
            body = handler(request, params, reply)
        except Diagnostic as exc:
            problem = exc
    if problem is not None:
        if element == "searchRetrieveResponse":
            body = "<srw:numberOfRecords>0</srw:numberOfRecords>"
        body += reply.diagnostics([problem])
    namespace = SCAN20_NS if (reply.v2 and element == "scanResponse") else None
    xml = reply.envelope(element, body, namespace=namespace)
    return HttpResponse(xml.encode("utf-8"), content_type="application/xml; charset=utf-8")
