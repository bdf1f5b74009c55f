"""Catalogue pages: search results with facets, one page per record, autocomplete."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclasses_field
from html import escape
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from navette.catalogue.covers import rendition_box
from navette.catalogue.heading_index import record_heading_id, record_heading_ids
from navette.catalogue.models import Audience, DocType, Heading, HeadingKind, ItemStatus, Record
from navette.catalogue.selectors import MemberCopy, member_copies
from navette.circulation.selectors import record_availability
from navette.core.client import within_rate
from navette.core.collation import collation_key
from navette.core.formats import short_date
from navette.network.models import Library
from navette.portal.jsonld import json_ld
from navette.portal.views.covers import cover_src
from navette.search import engine, selectors
from navette.search import member_availability as members
from navette.search.index import index_exists
from navette.search.messages import availability, member_copy_pending, member_copy_state
from navette.search.updater import schedule

PER_PAGE = 20
#: pages beyond this are not served (nobody reads 10,000 results in order; refine instead)
MAX_PAGE = 500

#: URL parameter -> engine facet
PARAMS = {"type": "doc_type", "bib": "library", "langue": "language", "public": "audience",
          "decennie": "decade", "sujet": "subject"}  # fmt: skip

FACET_TITLES = {
    "doc_type": gettext_lazy("Type de document"),
    "library": gettext_lazy("Bibliothèque"),
    "language": gettext_lazy("Langue"),
    "audience": gettext_lazy("Public"),
    "decade": gettext_lazy("Décennie"),
    "subject": gettext_lazy("Sujet"),
}

LANGUAGES = {
    "fre": gettext_lazy("français"), "eng": gettext_lazy("anglais"), "ger": gettext_lazy("allemand"),
    "spa": gettext_lazy("espagnol"), "ita": gettext_lazy("italien"), "por": gettext_lazy("portugais"),
    "ara": gettext_lazy("arabe"), "dut": gettext_lazy("néerlandais"), "pol": gettext_lazy("polonais"),
    "jpn": gettext_lazy("japonais"), "chi": gettext_lazy("chinois"), "rus": gettext_lazy("russe"),
    "lat": gettext_lazy("latin"), "mul": gettext_lazy("plusieurs langues"), "zxx": gettext_lazy("sans contenu linguistique"),
}  # fmt: skip

SORT_LABELS = [
    ("relevance", gettext_lazy("Pertinence")),
    ("newest", gettext_lazy("Plus récents")),
    ("title", gettext_lazy("Titre")),
    ("author", gettext_lazy("Auteur")),
]

SCHEMA_TYPES = {
    DocType.BOOK: "Book", DocType.LARGE_PRINT: "Book", DocType.COMIC: "Book", DocType.AUDIOBOOK: "Audiobook",
    DocType.VIDEO: "Movie", DocType.MUSIC: "MusicAlbum", DocType.VIDEO_GAME: "VideoGame",
    DocType.MAGAZINE: "Periodical", DocType.SCORE: "MusicComposition", DocType.MAP: "Map",
}  # fmt: skip


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    checked: bool
    input_id: str


@dataclass
class Facet:
    param: str
    title: str
    values: list[FacetValue]


@dataclass
class MemberLine:
    """A member library holding a result (or a copy on the record page), with its state as
    known when the page is made; ``pending``: asked of the member after the page is shown,
    the state element (``dom_id``) replaced then."""

    dom_id: str
    library: str
    state: str
    css: str
    catalogue_url: str
    pending: bool
    call_number: str = ""
    location: str = ""


#: a copy state -> the class of its text (the same as the network's copies)
STATE_CSS = {
    members.CopyState.AVAILABLE: "avail-yes",
    members.CopyState.ON_LOAN: "avail-no",
    members.CopyState.UNAVAILABLE: "avail-no",
    members.CopyState.UNKNOWN: "avail-unknown",
}


def _state_line(state: members.LiveState | None) -> tuple[str, str]:
    if state is None:
        return member_copy_pending(), "avail-pending"
    return member_copy_state(state), STATE_CSS[state.state]


def _member_lines(
    copies: list[MemberCopy], states: dict[int, members.LiveState | None]
) -> list[MemberLine]:
    """One line per member library holding the record: its copies' states together."""
    by_library: dict[int, list[MemberCopy]] = {}
    for copy in copies:
        by_library.setdefault(copy.library.pk, []).append(copy)
    lines = []
    for library_id, held in by_library.items():
        known = [states.get(c.holding_id) for c in held]
        pending = any(s is None for s in known)
        state = None if pending else members.library_state(s for s in known if s is not None)
        if pending and any(s is not None and s.state == members.CopyState.AVAILABLE for s in known):
            state, pending = members.LiveState(members.CopyState.AVAILABLE), False
        text, css = _state_line(state)
        lib = held[0].library
        lines.append(MemberLine(
            f"mstate-{held[0].record_id}-{library_id}", f"{lib.commune} — {lib.name}", text, css,
            next((c.catalogue_url for c in held if c.catalogue_url), ""), pending,
        ))  # fmt: skip
    return lines


@dataclass
class ResultItem:
    """One result as the page shows it (plain strings: the results loop is the page's
    costliest template part)."""

    url: str
    kind: str  # "Livre · 1998"
    title: str
    authors: str
    summary: str
    available: bool
    #: the cover's thumbnail (address, width, height), or None: a placeholder
    cover: tuple[str, int, int] | None = None
    record_id: int = 0
    members: list[MemberLine] = dataclasses_field(default_factory=list)


def _result_items(rows: list[selectors.ResultRow], labels: _Labels) -> list[ResultItem]:
    states = members.known_states(c for row in rows for c in row.member_copies)
    items = []
    for row in rows:
        record = row.record
        kind = labels("doc_type", record.doc_type)
        if record.year:
            kind = f"{kind} · {record.year}"
        authors = " ; ".join(
            a["name"] for a in record.authors or () if isinstance(a, dict) and a.get("name")
        )
        items.append(
            ResultItem(
                reverse("portal:record", args=[record.pk]), kind, record.title, authors, availability(row),
                row.is_available, _cover(record, "vignette"), record.pk,
                _member_lines(row.member_copies, states),
            )
        )  # fmt: skip
    return items


def _cover(record: Record, size: str) -> tuple[str, int, int] | None:
    cover = getattr(record, "cover", None)  # a reverse one-to-one: absent raises
    if cover is None:
        return None
    return (cover_src(cover.name, size), *rendition_box(cover.width, cover.height, size))


def _member_states_url(items: list[ResultItem], view: str) -> str:
    """The address the page asks, after it is shown, for the member states still pending."""
    pending = [item.record_id for item in items if any(m.pending for m in item.members)]
    if not pending:
        return ""
    query = urlencode([("vue", view), *(("r", str(pk)) for pk in pending)])
    return f"{reverse('portal:member_states')}?{query}"


#: records whose member states one request may ask (a results page shows 20)
MAX_STATE_RECORDS = 50


def member_states(request: HttpRequest) -> HttpResponse:
    """The member libraries' states of some records, asked of their systems now (within the
    budget; what has not come is "not known"), as out-of-band swaps of the page's state
    elements (htmx)."""
    ids = [
        int(v) for v in request.GET.getlist("r")[:MAX_STATE_RECORDS] if v.isdigit() and len(v) < 19
    ]
    by_record = member_copies(ids)
    copies = [c for held in by_record.values() for c in held]
    states: dict[int, members.LiveState | None] = dict(members.live_states(copies))
    if request.GET.get("vue") == "notice":
        lines = [line for held in by_record.values() for line in _copy_lines(held, states)]
    else:
        lines = [line for held in by_record.values() for line in _member_lines(held, states)]
    response = render(request, "portal/search/_member_states.html", {"lines": lines})
    response["Cache-Control"] = "no-store"
    return response


def _copy_lines(
    copies: list[MemberCopy], states: dict[int, members.LiveState | None]
) -> list[MemberLine]:
    """One line per member copy (the record page)."""
    lines = []
    for c in copies:
        state = states.get(c.holding_id)
        text, css = _state_line(state)
        lines.append(MemberLine(
            f"mcopy-{c.holding_id}", f"{c.library.commune} — {c.library.name}", text, css,
            c.catalogue_url, state is None, c.call_number, c.shelving_location,
        ))  # fmt: skip
    return lines


def _label(facet: str, value: str, libraries: dict[str, Library]) -> str:
    return _Labels(libraries)(facet, value)


class _Labels:
    """Facet value labels, each translation looked up once per page (a results page
    labels a hundred values; Django's get_FOO_display hashes every choice label per call)."""

    def __init__(self, libraries: dict[str, Library]) -> None:
        self.libraries = libraries
        self.doc_types = {value: str(label) for value, label in DocType.choices}
        self.audiences = {value: str(label) for value, label in Audience.choices}
        self.languages: dict[str, str] = {}
        self.decade = _("années %(decade)s")

    def __call__(self, facet: str, value: str) -> str:
        if facet == "doc_type":
            return self.doc_types.get(value, value)
        if facet == "library":
            lib = self.libraries.get(value)
            return f"{lib.commune} — {lib.name}" if lib else value
        if facet == "language":
            label = self.languages.get(value)
            if label is None:
                label = self.languages[value] = str(LANGUAGES.get(value, value))
            return label
        if facet == "audience":
            return self.audiences.get(value, value)
        if facet == "decade":
            return self.decade % {"decade": value}
        return value


def _facets_html(facets: list[Facet]) -> SafeString:
    """The facet fieldsets, built in Python: a hundred checkboxes through the template
    engine cost more than the whole search. Values, labels and titles are escaped here;
    ids and parameter names are ours (``PARAMS``, ``f-<param>-<n>``)."""
    parts = []
    for facet in facets:
        items = "\n".join(
            f'<li><input type="checkbox" id="{v.input_id}" name="{facet.param}" '
            f'value="{escape(v.value)}"{" checked" if v.checked else ""}> '
            f'<label for="{v.input_id}">{escape(v.label)} '
            f'<span class="facet-count">({v.count:d})</span></label></li>'
            for v in facet.values
        )
        parts.append(
            f"<fieldset>\n<legend>{escape(facet.title)}</legend>\n<ul>\n{items}\n</ul>\n</fieldset>"
        )
    return SafeString("\n".join(parts))


def _params(request: HttpRequest) -> engine.SearchParams:
    get = request.GET
    filters = {facet: get.getlist(param) for param, facet in PARAMS.items() if get.getlist(param)}
    sort = get.get("tri", "relevance")
    try:
        page = max(1, int(get.get("page", "1")))
    except ValueError:
        page = 1
    q = get.get("q", "").strip()[:500]
    if not any(char.isalnum() for char in q):
        q = ""  # punctuation alone searches nothing: the query is empty, not "everything"
    return engine.SearchParams(
        q=q,
        filters=filters,
        available=get.get("dispo") == "1",
        available_at=get.get("dispo_bib", ""),
        sort=sort if sort in engine.SORTS else "relevance",
        page=min(page, MAX_PAGE),
        per_page=PER_PAGE,
    )


def search(request: HttpRequest) -> HttpResponse:
    params = _params(request)
    building = False
    if not index_exists():
        schedule()  # rebuilds the missing index (in the background in production)
        building = not index_exists()
    every_library = {lib.pk: lib for lib in Library.objects.all()}
    try:
        result, rows = selectors.search_page(params, libraries=every_library)
    except engine.InvalidSearch as exc:
        return render(
            request, "portal/search/invalid.html", {"error": exc.message, "params": params},
            status=400,
        )  # fmt: skip
    base = [(k, v) for k, values in request.GET.lists() for v in values if k != "page"]
    pages = min((result.total + PER_PAGE - 1) // PER_PAGE, MAX_PAGE)
    correction = selectors.did_you_mean(params, result.total)
    correction_url = ""
    if correction is not None:
        kept = [(k, v) for k, v in base if k != "q"]
        correction_url = reverse("portal:search") + "?" + urlencode([("q", correction.q), *kept])

    def page_url(n: int) -> str:
        return "?" + urlencode([*base, ("page", str(n))])

    if pages and params.page > pages:
        # a page past the end (an old link, a typed URL): the last page, under its own address
        return redirect(reverse("portal:search") + page_url(pages))
    libraries = {lib.code: lib for lib in every_library.values() if lib.is_active}
    labels = _Labels(libraries)
    items = _result_items(rows, labels)
    facets = []
    for param, facet in PARAMS.items():
        chosen = set(params.filters.get(facet, []))
        values = [
            FacetValue(v, labels(facet, v), n, v in chosen, f"f-{param}-{i}")
            for i, (v, n) in enumerate(result.facets.get(facet, []))
        ]
        shown = {v.value for v in values}
        values += [FacetValue(v, labels(facet, v), 0, True, f"f-{param}-x{i}")
                   for i, v in enumerate(sorted(chosen - shown))]  # fmt: skip
        if values:
            facets.append(Facet(param, str(FACET_TITLES[facet]), values))
    shelves = [
        (lib, n)
        for code, n in result.facets.get("available_at", [])
        if (lib := libraries.get(code))
    ]
    shelves.sort(key=lambda pair: (collation_key(pair[0].commune), collation_key(pair[0].name)))
    available_libraries = [
        (lib.code, f"{lib.commune} — {lib.name} ({n})", lib.code == params.available_at)
        for lib, n in shelves
    ]
    return render(
        request,
        "portal/search/results.html",
        {
            "params": params,
            "result": result,
            "rows": items,
            "facets_html": _facets_html(facets),
            "available_libraries": available_libraries,
            "sorts": SORT_LABELS,
            "page": params.page,
            "pages": pages,
            "previous_url": page_url(params.page - 1) if params.page > 1 else "",
            "next_url": page_url(params.page + 1) if params.page < pages else "",
            "first_rank": (params.page - 1) * PER_PAGE + 1,
            "building": building,
            "filtered": bool(params.filters or params.available),
            "member_states_url": _member_states_url(items, "resultats"),
            "correction": correction,
            "correction_url": correction_url,
        },
    )


def _status_label(status: str, due_on) -> str:
    if status == ItemStatus.ON_LOAN and due_on:
        return _("En prêt jusqu'au %(date)s") % {"date": short_date(due_on)}
    return str(ItemStatus(status).label) if status in ItemStatus.values else status


def _json_ld(record: Record, url: str, availability) -> SafeString:
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": SCHEMA_TYPES.get(record.doc_type, "CreativeWork"),  # type: ignore[call-overload]
        "@id": url,
        "url": url,
        "name": record.title,
    }
    if record.authors:
        key = "director" if record.doc_type == DocType.VIDEO else "author"
        if record.doc_type == DocType.MUSIC:
            key = "byArtist"
        data[key] = [
            {"@type": "Person", "name": a.get("name", "")} for a in record.authors if a.get("name")
        ]
    if record.year:
        data["datePublished"] = str(record.year)
    if record.publisher:
        data["publisher"] = {"@type": "Organization", "name": record.publisher}
    if record.isbns and data["@type"] in ("Book", "Audiobook"):
        data["isbn"] = [str(i) for i in record.isbns]
    if record.languages:
        data["inLanguage"] = record.languages
    if record.subjects:
        data["keywords"] = ", ".join(str(s) for s in record.subjects)
    if record.summary:
        data["description"] = record.summary
    data["offers"] = {
        "@type": "AggregateOffer",
        "price": "0",
        "priceCurrency": "EUR",
        "offerCount": availability.total,
        "availability": "https://schema.org/InStock"
        if availability.available
        else "https://schema.org/OutOfStock",
    }
    return json_ld(data)


@dataclass
class CopyRow:
    library: Library
    call_number: str
    location: str
    status: str
    available: bool


def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A record in full, with every copy by library read from the database."""
    record = get_object_or_404(Record.objects.select_related("cover"), pk=pk)
    availability = record_availability(record)
    by_library: dict[int, tuple[Library, list[CopyRow]]] = {}
    for copy in availability.copies:
        item = copy.item
        if item.status in (ItemStatus.WITHDRAWN, ItemStatus.LOST):
            continue
        lib = item.owning_library
        row = CopyRow(
            lib, item.call_number, item.shelving_location, _status_label(item.status, copy.due_on),
            item.status == ItemStatus.AVAILABLE,
        )  # fmt: skip
        by_library.setdefault(lib.pk, (lib, []))[1].append(row)
    groups = sorted(
        by_library.values(), key=lambda g: (not any(c.available for c in g[1]), g[0].commune)
    )
    url = request.build_absolute_uri(reverse("portal:record", args=[record.pk]))
    headings = record_heading_ids(record.pk)

    def link(kind: str, label: str) -> str:
        pk = record_heading_id(headings, kind, label)
        if pk is not None:
            return reverse("portal:heading", args=[pk])
        return _heading_search(kind, label)  # the headings are not derived yet

    authors = [
        {"name": a["name"], "role": a.get("role", ""), "url": link(HeadingKind.AUTHOR, a["name"])}
        for a in record.authors or () if isinstance(a, dict) and a.get("name")
    ]  # fmt: skip
    subjects = [{"label": str(s), "url": link(HeadingKind.SUBJECT, str(s))}
                for s in record.subjects or () if s]  # fmt: skip
    series = [
        {"label": label, "url": link(HeadingKind.SERIES, label)}
        for s in record.series or ()
        if (label := str(s.get("title", "") if isinstance(s, dict) else s))
    ]
    held = member_copies([record.pk]).get(record.pk, [])
    member_groups: dict[int, tuple[str, str, list[MemberLine]]] = {}
    for line, member_copy in zip(_copy_lines(held, members.known_states(held)), held, strict=True):
        member_groups.setdefault(member_copy.library.pk, (line.library, line.catalogue_url, []))[
            2
        ].append(line)
    pending = any(line.pending for _l, _u, lines in member_groups.values() for line in lines)
    states_url = ""
    if pending:
        query = urlencode([("vue", "notice"), ("r", str(record.pk))])
        states_url = f"{reverse('portal:member_states')}?{query}"
    return render(
        request,
        "portal/search/record.html",
        {
            "record": record,
            "authors": authors,
            "subjects": subjects,
            "series": series,
            "cover": _cover(record, "moyenne"),
            "doc_type_label": _label("doc_type", record.doc_type, {}),
            "audience_label": _label("audience", record.audience, {}) if record.audience else "",
            "languages": [str(LANGUAGES.get(code, code)) for code in record.languages],
            "groups": groups,
            "member_groups": list(member_groups.values()),
            "member_states_url": states_url,
            "availability": availability,
            "permalink": url,
            "json_ld": _json_ld(record, url, availability),
            "back_url": request.GET.get("retour", "")
            if request.GET.get("retour", "").startswith("/recherche/")
            else "",
        },
    )


def _heading_search(kind: str, label: str) -> str:
    """The search for a heading: a subject is a facet value; an author or a series, the
    phrase in the author field or anywhere."""
    if kind == HeadingKind.SUBJECT:
        query = urlencode({"sujet": label})
    elif kind == HeadingKind.AUTHOR:
        query = urlencode({"q": f'auteur:"{label}"'})
    else:
        query = urlencode({"q": f'"{label}"'})
    return f"{reverse('portal:search')}?{query}"


def heading(request: HttpRequest, pk: int) -> HttpResponse:
    """A heading's records: the search on it."""
    found = get_object_or_404(Heading, pk=pk)
    return redirect(_heading_search(found.kind, found.label))


#: Autocomplete requests a client may make per window (a fast typist with a 200 ms pause
#: between keys makes about 5 a second; more is a script).
AUTOCOMPLETE_RATE = 40
AUTOCOMPLETE_WINDOW = 10

SUGGESTION_KINDS = {
    selectors.SuggestionKind.TITLE: gettext_lazy("Titre"),
    selectors.SuggestionKind.AUTHOR: gettext_lazy("Auteur"),
    selectors.SuggestionKind.SUBJECT: gettext_lazy("Sujet"),
}
SUGGESTION_FIELDS = {
    selectors.SuggestionKind.AUTHOR: "auteur",
    selectors.SuggestionKind.SUBJECT: "sujet",
}


def _suggestion_query(suggestion: selectors.Suggestion) -> str:
    """What the search box holds once a suggestion is chosen (``auteur:"Victor Hugo"``)."""
    label = suggestion.label.replace('"', " ").strip()
    field = SUGGESTION_FIELDS.get(suggestion.kind)
    return f'{field}:"{label}"' if field else label


def autocomplete(request: HttpRequest) -> HttpResponse:
    """Suggestions for the search boxes, as JSON: titles (with the record to open), authors
    and subjects (with the query to run). Throttled per client address (429 beyond
    ``AUTOCOMPLETE_RATE`` requests in ``AUTOCOMPLETE_WINDOW`` seconds); cacheable briefly."""
    if not within_rate(request, scope="autocomplete", limit=AUTOCOMPLETE_RATE,
                       seconds=AUTOCOMPLETE_WINDOW):  # fmt: skip
        response = JsonResponse({"suggestions": []}, status=429)
        response["Retry-After"] = str(AUTOCOMPLETE_WINDOW)
        return response
    text = request.GET.get("q", "")[:100]
    found = selectors.suggestions(text)
    response = JsonResponse(
        {
            "suggestions": [
                {
                    "kind": str(s.kind),
                    "kind_label": str(SUGGESTION_KINDS[s.kind]),
                    "label": s.label,
                    "query": _suggestion_query(s),
                    "record": s.record,
                    "url": reverse("portal:record", args=[s.record]) if s.record else "",
                }
                for s in found
            ]
        }
    )
    response["Cache-Control"] = "private, max-age=60"
    return response
