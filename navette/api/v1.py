"""The partners' REST API, version 1, at /api/v1/ (OpenAPI schema at /api/v1/openapi.json).

Every call carries an API key (``Authorization: Bearer <prefix>.<secret>``)
made by a network administrator; each endpoint needs one scope. Calls are
counted per key and minute (429 with Retry-After over the key's rate) and
audited. Errors are RFC 9457 problem details (application/problem+json)
with a stable ``code``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Query, Router, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from navette.catalogue import selectors as catalogue
from navette.core import clock
from navette.events.selectors import AgendaFilters, agenda_events
from navette.network import selectors as network
from navette.network.hours import opening_status
from navette.partners.models import Scope
from navette.partners.services import ApiKeyRefused, RateLimited, api_call_admit
from navette.patrons.errors import CardLocked, LoginRefused, TooManyAttempts
from navette.patrons.services import patron_authenticate
from navette.search import engine
from navette.search import selectors as search

PROBLEM = "application/problem+json"


class KeyAuth(HttpBearer):
    """An API key with ``scope``; admits (counts, audits) the call."""

    def __init__(self, scope: Scope) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return api_call_admit(
            token=token, scope=self.scope, method=request.method or "",
            path=request.path, now=clock.now(),
        )  # fmt: skip


api_v1 = NinjaAPI(
    title="Navette partner API",
    version="1.0",
    description=__doc__,
    urls_namespace="api-v1",
)


def problem(status: int, code: str, title: str, detail: str = "", **extra: Any) -> HttpResponse:
    """An RFC 9457 problem details response."""
    body = {"type": f"/api/v1/problems/{code}", "title": title, "status": status,
            "detail": detail or title, "code": code, **extra}  # fmt: skip
    response = api_v1.create_response(HttpRequest(), body, status=status)
    response["Content-Type"] = PROBLEM
    return response


@api_v1.exception_handler(AuthenticationError)
def _no_key(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(401, "invalid_key", _("Clé d'API absente, inconnue ou révoquée."))


@api_v1.exception_handler(ApiKeyRefused)
def _refused(request: HttpRequest, exc: ApiKeyRefused) -> HttpResponse:
    if exc.code == "scope_missing":
        return problem(403, exc.code, _("Droit manquant"), exc.message)
    return problem(401, exc.code, _("Clé d'API absente, inconnue ou révoquée."))


@api_v1.exception_handler(RateLimited)
def _rate(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = problem(429, exc.code, _("Trop d'appels"), exc.message)
    response["Retry-After"] = str(exc.context["retry_after"])
    return response


@api_v1.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [{"loc": list(e.get("loc", [])), "msg": str(e.get("msg", ""))} for e in exc.errors]
    return problem(422, "invalid_request", _("Requête invalide"), errors=errors)


@api_v1.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # django-ninja's own refusals, such as a body that is not JSON (400)
    code = "bad_body" if exc.status_code == 400 else "http_error"
    return problem(exc.status_code, code, _("Requête invalide"), str(exc))


@api_v1.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(404, "not_found", _("Introuvable"))


class ProblemOut(Schema):
    type: str
    title: str
    status: int
    detail: str
    code: str


ERRORS: dict[int, type[Schema]] = {401: ProblemOut, 403: ProblemOut, 429: ProblemOut}

# -- catalogue ---------------------------------------------------------------------------------

catalogue_router = Router(tags=["catalogue"])


class SearchIn(Schema):
    q: str = ""
    page: int = 1
    per_page: int = 20


class HitOut(Schema):
    id: int
    title: str
    authors: list[str]
    year: int | None
    doc_type: str
    available_at: list[str]


class SearchOut(Schema):
    total: int
    page: int
    results: list[HitOut]


@catalogue_router.get(
    "/search", response={200: SearchOut, 422: ProblemOut, **ERRORS},
    auth=KeyAuth(Scope.CATALOGUE_READ),
)  # fmt: skip
def catalogue_search(request: HttpRequest, params: Query[SearchIn]) -> Any:
    """Records matching ``q`` (the portal's query language), best first."""
    sp = engine.SearchParams(q=params.q[:500], page=max(1, min(params.page, 500)),
                             per_page=max(1, min(params.per_page, 100)), facets=False)  # fmt: skip
    result, rows = search.search_page(sp)
    return SearchOut(
        total=result.total, page=sp.page,
        results=[
            HitOut(id=r.record.pk, title=r.record.title,
                   authors=[a.get("name", "") for a in r.record.authors], year=r.record.year,
                   doc_type=r.record.doc_type, available_at=[lib.code for lib in r.available_at])
            for r in rows
        ],
    )  # fmt: skip


class CopyOut(Schema):
    barcode: str
    library: str
    location: str
    call_number: str
    status: str


class AvailabilityOut(Schema):
    record: int
    copies: list[CopyOut]


@catalogue_router.get(
    "/records/{record_id}/availability",
    response={200: AvailabilityOut, 404: ProblemOut, 422: ProblemOut, **ERRORS},
    auth=KeyAuth(Scope.AVAILABILITY),
)  # fmt: skip
def record_availability(request: HttpRequest, record_id: int) -> Any:
    """Each copy of the record: owning library, where it is now and its status code."""
    record = catalogue.record_by_id(record_id)
    if record is None:
        raise Http404
    return AvailabilityOut(
        record=record.pk,
        copies=[
            CopyOut(barcode=i.barcode, library=i.owning_library.code,
                    location=i.current_library.code, call_number=i.call_number, status=i.status)
            for i in catalogue.record_items(record)
        ],
    )  # fmt: skip


# -- patrons -----------------------------------------------------------------------------------

patrons_router = Router(tags=["patrons"])


#: printable text without control characters (PostgreSQL refuses NUL in a string)
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


class AuthenticateIn(Schema):
    card: str = Field(min_length=1, max_length=64, pattern=PRINTABLE)
    pin: str = Field(min_length=1, max_length=64, pattern=PRINTABLE)


class PatronOut(Schema):
    authenticated: bool
    patron: int


@patrons_router.post(
    "/authenticate", response={200: PatronOut, 400: ProblemOut, 422: ProblemOut, **ERRORS},
    auth=KeyAuth(Scope.PATRON_AUTH),
)  # fmt: skip
def patron_check(request: HttpRequest, body: AuthenticateIn) -> Any:
    """Check a card number and PIN for a partner (same lockouts as the portal's login)."""
    try:
        patron = patron_authenticate(card_number=body.card, pin=body.pin, now=clock.now(),
                                     ip=request.META.get("REMOTE_ADDR", ""))  # fmt: skip
    except (LoginRefused, CardLocked, TooManyAttempts) as exc:
        return problem(422, exc.code, _("Authentification refusée"), exc.message)
    return PatronOut(authenticated=True, patron=patron.pk)


# -- network and events ------------------------------------------------------------------------

network_router = Router(tags=["network"])


class LibraryOut(Schema):
    code: str
    name: str
    commune: str
    street: str
    postcode: str
    city: str
    is_open_now: bool


@network_router.get(
    "/libraries", response={200: list[LibraryOut], **ERRORS}, auth=KeyAuth(Scope.CATALOGUE_READ)
)
def libraries(request: HttpRequest) -> Any:
    """The network's active libraries, with whether each is open at this moment."""
    now = clock.now()
    active = network.active_libraries()
    schedules = network.schedules_for(active, clock.today(now))
    return [
        LibraryOut(code=lib.code, name=lib.name, commune=lib.commune, street=lib.street,
                   postcode=lib.postcode, city=lib.city,
                   is_open_now=opening_status(schedules[lib.pk], now).is_open)
        for lib in active
    ]  # fmt: skip


events_router = Router(tags=["events"])


class EventsIn(Schema):
    library: str = Field("", max_length=40, pattern=r"^[-a-zA-Z0-9_]*$")
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    limit: int = 50


class EventOut(Schema):
    id: int
    title: str
    #: the library's code, "" for an event held elsewhere
    library: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    registration_required: bool


@events_router.get(
    "", response={200: list[EventOut], 422: ProblemOut, **ERRORS}, auth=KeyAuth(Scope.EVENTS_READ)
)
def events(request: HttpRequest, params: Query[EventsIn]) -> Any:
    """Coming events, soonest first (dates in ISO 8601, UTC offsets included)."""
    filters = AgendaFilters(date_from=params.date_from, date_to=params.date_to,
                            library=params.library)  # fmt: skip
    found = agenda_events(filters, now=clock.now())[: max(1, min(params.limit, 200))]
    return [
        EventOut(id=e.pk, title=e.title, library=e.library.code if e.library else "",
                 starts_at=e.starts_at,
                 ends_at=e.ends_at, status=e.status,
                 registration_required=e.registration_required)
        for e in found
    ]  # fmt: skip


api_v1.add_router("/catalogue", catalogue_router)
api_v1.add_router("/patrons", patrons_router)
api_v1.add_router("/network", network_router)
api_v1.add_router("/events", events_router)
