"""OAI-PMH 2.0 data provider at /oai (https://www.openarchives.org/OAI/openarchivesprotocol.html).

- datestamps to the second (granularity YYYY-MM-DDThh:mm:ssZ; day-granularity
  arguments accepted too, as the protocol requires);
- deletions are persistent: a deleted record stays listed with status="deleted";
- a list walks records in (datestamp, id) order; its resumption token carries
  the last key sent and an upper bound frozen at the first request, so a record
  changed during a harvest is neither skipped nor repeated: it moves past the
  bound and comes in the next incremental harvest (from = this responseDate);
- sets: ``library`` (records with a copy), ``library:<code>`` (a copy owned by
  that library), ``type`` (every record), ``type:<document type>``;
- formats: oai_dc (every record), marcxml (MARC21 records), unimarc (UNIMARC
  records, as MarcXchange).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from navette.catalogue import selectors as catalogue
from navette.catalogue.marc.holdings import HOLDINGS_TAG, holdings_pairs
from navette.catalogue.models import DocType, MarcFlavour
from navette.core import clock
from navette.network import selectors as network
from navette.opendata import xmlout

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
TOKEN_SALT = "navette.opendata.oai"  # noqa: S105 (a signing namespace, not a secret)
UTC = dt.UTC


@dataclass(frozen=True)
class Format:
    prefix: str
    schema: str
    namespace: str
    #: None: every record; else the MARC flavour it can be disseminated from
    flavour: str | None


FORMATS = {
    f.prefix: f
    for f in (
        Format("oai_dc", xmlout.OAI_DC_SCHEMA, xmlout.OAI_DC_NS, None),
        Format("marcxml", xmlout.MARC21_SCHEMA, xmlout.MARC21_NS, MarcFlavour.MARC21),
        Format("unimarc", xmlout.MARCXCHANGE_SCHEMA, xmlout.MARCXCHANGE_NS, MarcFlavour.UNIMARC),
    )
}

#: arguments each verb accepts: (required, optional); resumptionToken is exclusive
VERBS: dict[str, tuple[set[str], set[str]]] = {
    "Identify": (set(), set()),
    "ListMetadataFormats": (set(), {"identifier"}),
    "ListSets": (set(), {"resumptionToken"}),
    "GetRecord": ({"identifier", "metadataPrefix"}, set()),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
}

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
#: the specification's setSpec and metadataPrefix syntaxes
_SET_SPEC = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*$")
_PREFIX = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+$")


class OaiError(Exception):
    """A protocol error: its ``code`` is one of the specification's error codes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _stamp(instant: dt.datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def repository_id() -> str:
    configured: str = settings.NAVETTE_OAI_REPOSITORY_ID
    return configured or (urlsplit(settings.NAVETTE_PUBLIC_URL).hostname or "localhost")


def oai_identifier(record_id: int) -> str:
    return f"oai:{repository_id()}:{record_id}"


def _record_id(identifier: str) -> int | None:
    prefix = f"oai:{repository_id()}:"
    if not identifier.startswith(prefix):
        return None
    number = identifier[len(prefix) :]
    if not number.isdigit() or len(number) > 18:
        return None
    return int(number)


def _parse_date(name: str, value: str, *, upper: bool) -> tuple[dt.datetime, str]:
    """An argument as an aware datetime bound and its granularity ("day" or "second").

    An upper bound is returned exclusive: until=2026-03-02 means before 2026-03-03.
    """
    try:
        if _DAY.match(value):
            day = dt.datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
            return (day + dt.timedelta(days=1) if upper else day), "day"
        if _SECOND.match(value):
            instant = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            return (instant + dt.timedelta(seconds=1) if upper else instant), "second"
    except ValueError:
        pass
    raise OaiError(
        "badArgument",
        _("%(name)s=%(value)s : date attendue au format AAAA-MM-JJ ou AAAA-MM-JJThh:mm:ssZ.")
        % {"name": name, "value": value},
    )


def _parse_set(spec: str) -> tuple[str | None, str | None]:
    """A setSpec as (library code or "" for any library or None, document type or None)."""
    if not _SET_SPEC.match(spec):
        raise OaiError("badArgument", _("set=%(set)s : nom d'ensemble mal formé.") % {"set": spec})
    if spec == "library":
        return "", None
    if spec == "type":
        return None, None
    kind, _sep, value = spec.partition(":")
    if kind == "library" and value and ":" not in value:
        if any(lib.code == value for lib in network.libraries_by_code()):
            return value, None
    if kind == "type" and value in DocType.values:
        return None, value
    # an unknown set is an empty list, not an error (the specification's noRecordsMatch)
    raise OaiError("noRecordsMatch", _("L'ensemble %(set)s n'existe pas.") % {"set": spec})


def _format(prefix: str) -> Format:
    if not _PREFIX.match(prefix):
        raise OaiError(
            "badArgument", _("metadataPrefix=%(prefix)s : nom mal formé.") % {"prefix": prefix}
        )
    fmt = FORMATS.get(prefix)
    if fmt is None:
        raise OaiError(
            "cannotDisseminateFormat",
            _("Format inconnu : %(prefix)s (formats : %(known)s).")
            % {"prefix": prefix, "known": ", ".join(FORMATS)},
        )
    return fmt


# -- resumption tokens ------------------------------------------------------------------------


def _dump_token(state: dict[str, Any]) -> str:
    return signing.dumps(state, salt=TOKEN_SALT, compress=True)


def _load_token(token: str, verb: str) -> dict[str, Any]:
    try:
        state = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        state = None
    if not isinstance(state, dict) or state.get("verb") != verb:
        raise OaiError("badResumptionToken", _("Jeton de reprise invalide ou d'une autre requête."))
    return state


def _instant(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


# -- the verbs ---------------------------------------------------------------------------------


class Request:
    def __init__(self, http: HttpRequest, args: dict[str, str], now: dt.datetime) -> None:
        self.http = http
        self.args = args
        self.now = now
        self.base_url = http.build_absolute_uri(reverse("oai"))
        # built once per response, not per record: a page writes hundreds of them
        self.id_prefix = escape(f"oai:{repository_id()}:")
        marker = 987654321
        link = http.build_absolute_uri(reverse("portal:record", args=[marker]))
        self._link_head, _sep, self._link_tail = link.partition(str(marker))

    def record_link(self, record_id: int) -> str:
        return f"{self._link_head}{record_id}{self._link_tail}"


def _header(req: Request, entry: catalogue.HarvestEntry) -> str:
    status = ' status="deleted"' if entry.deleted else ""
    specs = f"<setSpec>type:{escape(entry.doc_type)}</setSpec>"
    if entry.library_codes:
        specs += "<setSpec>library</setSpec>" + "".join(
            f"<setSpec>library:{escape(code)}</setSpec>" for code in entry.library_codes
        )
    return (
        f"<header{status}><identifier>{req.id_prefix}{entry.record_id}</identifier>"
        f"<datestamp>{_stamp(entry.datestamp)}</datestamp>{specs}</header>"
    )


def _metadata(req: Request, fmt: Format, entry: catalogue.HarvestEntry) -> str:
    record = entry.record
    assert record is not None
    if fmt.prefix == "oai_dc":
        return f"<metadata>{xmlout.dublin_core(record, link=req.record_link(record.pk))}</metadata>"
    # the stored holdings field is replaced by one field per copy, as the MARC export does
    tag = HOLDINGS_TAG.get(record.flavour, "952")
    copies = [
        holdings_pairs(
            record.flavour,
            owning=c.owning_code,
            current=c.current_code,
            shelving_location=c.shelving_location,
            call_number=c.call_number,
            barcode=c.barcode,
            doc_type_override=c.doc_type_override,
            notes=c.notes,
            acquired_on=c.acquired_on,
            status=c.status,
        )  # fmt: skip
        for c in entry.copies
    ]
    root = xmlout.MARC21_ROOT if fmt.prefix == "marcxml" else xmlout.UNIMARC_ROOT
    body = xmlout.marc_record_xml(
        record.marc, root, drop_tags=frozenset((tag,)), extra_fields=copies
    )
    return f"<metadata>{body}</metadata>"


def _records_xml(req: Request, fmt: Format, entries: list[catalogue.HarvestEntry]) -> str:
    out = []
    for entry in entries:
        if entry.deleted:
            out.append(f"<record>{_header(req, entry)}</record>")
        else:
            out.append(f"<record>{_header(req, entry)}{_metadata(req, fmt, entry)}</record>")
    return "".join(out)


def _content(fmt: Format) -> str:
    """What a page reads of each live record for ``fmt`` (catalogue.HARVEST_CONTENTS)."""
    return "dc" if fmt.prefix == "oai_dc" else "marc"


def identify(req: Request) -> str:
    earliest = catalogue.harvest_earliest_datestamp() or req.now
    email = settings.NAVETTE_OAI_ADMIN_EMAIL or network.first_library_email()
    if not email:
        email = f"oai@{repository_id()}"
    name = network.network_name() or "Navette"
    return (
        "<Identify>"
        f"<repositoryName>{escape(name)}</repositoryName>"
        f"<baseURL>{escape(req.base_url)}</baseURL>"
        "<protocolVersion>2.0</protocolVersion>"
        f"<adminEmail>{escape(email)}</adminEmail>"
        f"<earliestDatestamp>{_stamp(earliest)}</earliestDatestamp>"
        "<deletedRecord>persistent</deletedRecord>"
        "<granularity>YYYY-MM-DDThh:mm:ssZ</granularity>"
        "</Identify>"
    )


def list_metadata_formats(req: Request) -> str:
    formats = list(FORMATS.values())
    identifier = req.args.get("identifier")
    if identifier is not None:
        entry = _entry(identifier)
        formats = [f for f in formats if f.flavour in (None, entry.flavour)]
    body = "".join(
        "<metadataFormat>"
        f"<metadataPrefix>{f.prefix}</metadataPrefix><schema>{escape(f.schema)}</schema>"
        f"<metadataNamespace>{escape(f.namespace)}</metadataNamespace>"
        "</metadataFormat>"
        for f in formats
    )
    return f"<ListMetadataFormats>{body}</ListMetadataFormats>"


def list_sets(req: Request) -> str:
    if "resumptionToken" in req.args:
        # the whole list fits in one response: no token was ever handed out
        raise OaiError("badResumptionToken", _("Cette liste n'a pas de jeton de reprise."))
    sets = [("library", _("Notices ayant un exemplaire dans une bibliothèque du réseau"))]
    sets += [(f"library:{lib.code}", lib.name) for lib in network.libraries_by_code()]
    sets.append(("type", _("Notices par type de document")))
    labels = dict(DocType.choices)
    sets += [(f"type:{value}", str(labels[value])) for value in DocType.values]
    body = "".join(
        f"<set><setSpec>{escape(spec)}</setSpec><setName>{escape(name)}</setName></set>"
        for spec, name in sets
    )
    return f"<ListSets>{body}</ListSets>"


def _entry(identifier: str, content: str = "headers") -> catalogue.HarvestEntry:
    record_id = _record_id(identifier)
    entry = catalogue.harvest_entry(record_id, content) if record_id is not None else None
    if entry is None:
        raise OaiError("idDoesNotExist", _("Identifiant inconnu : %(id)s.") % {"id": identifier})
    return entry


def get_record(req: Request) -> str:
    fmt = _format(req.args["metadataPrefix"])
    entry = _entry(req.args["identifier"], _content(fmt))
    if fmt.flavour is not None and entry.flavour != fmt.flavour:
        raise OaiError(
            "cannotDisseminateFormat",
            _("La notice %(id)s n'existe pas au format %(prefix)s.")
            % {"id": req.args["identifier"], "prefix": fmt.prefix},
        )
    return f"<GetRecord>{_records_xml(req, fmt, [entry])}</GetRecord>"


def _list(req: Request, verb: str) -> str:
    token = req.args.get("resumptionToken")
    if token is not None:
        state = _load_token(token, verb)
    else:
        state = _first_state(req, verb)
    fmt = FORMATS[state["prefix"]]
    library, doc_type = _parse_set(state["set"]) if state["set"] else (None, None)
    filt = catalogue.HarvestFilter(
        since=_instant(state["since"]), before=_instant(state["before"]),
        flavour=fmt.flavour, library_code=library, doc_type=doc_type,
    )  # fmt: skip
    if state["size"] is None:
        state["size"] = catalogue.harvest_count(filt)
    after = (
        (dt.datetime.fromisoformat(state["after"][0]), int(state["after"][1]))
        if state["after"]
        else None
    )
    records = verb == "ListRecords"
    limit = (
        settings.NAVETTE_OAI_RECORDS_PER_PAGE if records else settings.NAVETTE_OAI_HEADERS_PER_PAGE
    )
    content = _content(fmt) if records else "headers"
    entries, more = catalogue.harvest_page(filt, after=after, limit=limit, content=content)
    if not entries:
        raise OaiError("noRecordsMatch", _("Aucune notice ne correspond à cette demande."))
    if records:
        body = _records_xml(req, fmt, entries)
    else:
        body = "".join(_header(req, e) for e in entries)
    cursor = state["cursor"]
    size = max(state["size"], cursor + len(entries))
    if more or token is not None:
        next_token = ""
        if more:
            last = entries[-1]
            next_state = dict(state, after=[last.datestamp.isoformat(), last.record_id],
                              cursor=cursor + len(entries))  # fmt: skip
            next_token = escape(_dump_token(next_state))
        body += (
            f'<resumptionToken completeListSize="{size}" cursor="{cursor}">'
            f"{next_token}</resumptionToken>"
        )
    return f"<{verb}>{body}</{verb}>"


def _first_state(req: Request, verb: str) -> dict[str, Any]:
    _format(req.args["metadataPrefix"])
    since = before = None
    grain_from = grain_until = None
    if "from" in req.args:
        since, grain_from = _parse_date("from", req.args["from"], upper=False)
    if "until" in req.args:
        before, grain_until = _parse_date("until", req.args["until"], upper=True)
    if grain_from and grain_until and grain_from != grain_until:
        raise OaiError("badArgument", _("from et until doivent avoir la même précision."))
    if since is not None and before is not None and since >= before:
        raise OaiError("badArgument", _("from est postérieur à until."))
    # the upper bound is frozen now: what changes from here on comes in the next harvest
    before = min(before, req.now) if before is not None else req.now
    spec = req.args.get("set", "")
    if spec:
        _parse_set(spec)
    return {
        "verb": verb, "prefix": req.args["metadataPrefix"], "set": spec,
        "since": since.isoformat() if since else None, "before": before.isoformat(),
        "after": None, "cursor": 0, "size": None,
    }  # fmt: skip


def list_identifiers(req: Request) -> str:
    return _list(req, "ListIdentifiers")


def list_records(req: Request) -> str:
    return _list(req, "ListRecords")


HANDLERS: dict[str, Callable[[Request], str]] = {
    "Identify": identify,
    "ListMetadataFormats": list_metadata_formats,
    "ListSets": list_sets,
    "GetRecord": get_record,
    "ListIdentifiers": list_identifiers,
    "ListRecords": list_records,
}


def _check_arguments(query: dict[str, list[str]]) -> tuple[str, dict[str, str]]:
    """The verb and its arguments; OaiError for a bad verb or bad arguments."""
    verbs = query.get("verb", [])
    if len(verbs) != 1 or verbs[0] not in VERBS:
        raise OaiError("badVerb", _("Verbe absent, répété ou inconnu."))
    verb = verbs[0]
    required, optional = VERBS[verb]
    args: dict[str, str] = {}
    for name, values in query.items():
        if name == "verb":
            continue
        if name not in required | optional:
            raise OaiError(
                "badArgument",
                _("Argument %(name)s non admis par %(verb)s.") % {"name": name, "verb": verb},
            )
        if len(values) != 1:
            raise OaiError("badArgument", _("Argument %(name)s répété.") % {"name": name})
        args[name] = values[0]
    if "resumptionToken" in args:
        if len(args) > 1:
            raise OaiError("badArgument", _("resumptionToken s'emploie seul, sans autre argument."))
    else:
        missing = sorted(required - set(args))
        if missing:
            raise OaiError(
                "badArgument",
                _("Argument obligatoire absent : %(names)s.") % {"names": ", ".join(missing)},
            )
    return verb, args


def _envelope(now: dt.datetime, request_xml: str, body: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<OAI-PMH xmlns="{OAI_NS}" xmlns:xsi="{xmlout.XSI_NS}" '
        f'xsi:schemaLocation="{OAI_NS} {OAI_SCHEMA}">'
        f"<responseDate>{_stamp(now)}</responseDate>{request_xml}{body}</OAI-PMH>\n"
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def endpoint(request: HttpRequest) -> HttpResponse:
    """Answer one OAI-PMH request (GET, or POST as application/x-www-form-urlencoded)."""
    now = clock.now()
    data = request.POST if request.method == "POST" else request.GET
    query = {name: data.getlist(name) for name in data}
    base_url = request.build_absolute_uri(reverse("oai"))
    with translation.override(settings.LANGUAGE_CODE):
        try:
            verb, args = _check_arguments(query)
        except OaiError as exc:
            # badVerb and badArgument: the request element carries the base URL only
            body = f'<error code="{exc.code}">{escape(exc.message)}</error>'
            return _response(_envelope(now, f"<request>{escape(base_url)}</request>", body))
        attrs = "".join(f" {name}={quoteattr(value)}" for name, value in args.items())
        request_xml = f'<request verb="{verb}"{attrs}>{escape(base_url)}</request>'
        try:
            body = HANDLERS[verb](Request(request, args, now))
        except OaiError as exc:
            body = f'<error code="{exc.code}">{escape(exc.message)}</error>'
            if exc.code in ("badVerb", "badArgument"):
                request_xml = f"<request>{escape(base_url)}</request>"
    return _response(_envelope(now, request_xml, body))


def _response(xml: str) -> HttpResponse:
    return HttpResponse(xml.encode("utf-8"), content_type="text/xml; charset=utf-8")
