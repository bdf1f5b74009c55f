"""The partners' REST API, version 1, at /api/v1/ (OpenAPI schema at /api/v1/openapi.json).

Every call carries an API key (``Authorization: Bearer <prefix>.<secret>``)
made by a network administrator; each endpoint needs one scope. Calls are
counted per key and minute (429 with Retry-After over the key's rate) and
audited. Errors are RFC 9457 problem details (application/problem+json)
with a stable ``code``; their ``title`` and ``detail`` are in the language
asked by ``Accept-Language`` (French or English; French otherwise).
Trusted partners with the ``circulation`` scope lend, take back and renew at
the library their key names, through the same desk rules as the staff.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Path, Query, Router, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from navette.api.circulation import LoanOut, loan_out, refusal_message, status_for
from navette.catalogue import selectors as catalogue
from navette.circulation import selectors as circulation
from navette.core import clock
from navette.core.errors import ValidationFailed
from navette.desk.identifiers import patron_by_card
from navette.desk.loans import desk_checkin, desk_checkout, desk_renew
from navette.desk.outcomes import Code, Outcome, refused
from navette.events.selectors import AgendaFilters, agenda_events
from navette.network import selectors as network
from navette.network.hours import opening_status
from navette.network.models import Library
from navette.network.scope import OutOfScope
from navette.partners.models import Scope
from navette.partners.services import (
    ApiKeyRefused,
    Caller,
    RateLimited,
    api_call_admit,
    partner_library,
)
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


def _in_asked_language(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run an operation (key check and errors included) in the language of Accept-Language.

    The portal keeps French whatever the browser says; a partner's program asks for its
    language explicitly, so the API follows the header (or the language cookie)."""

    @functools.wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = translation.get_language_from_request(request)
        with translation.override(language):
            response = run(request, *args, **kwargs)
        response["Content-Language"] = language
        patch_vary_headers(response, ["Accept-Language"])
        return response

    return wrapper


api_v1.add_decorator(_in_asked_language, mode="view")


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
    if exc.code in ("scope_missing", "no_library"):
        return problem(403, exc.code, _("Droit manquant"), exc.message)
    if exc.code == OutOfScope.code:
        detail = exc.message
        if "key_library" in exc.context:  # a partner naming another library than its key's
            detail = _("Cette clé prête à %(library)s, pas à %(other)s.") % {
                "library": exc.context["key_library"],
                "other": exc.context["libraries"][0],
            }
        return problem(403, exc.code, _("Bibliothèque non autorisée"), detail)
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
#: answers of the endpoints that act on circulation (a body that is not JSON: 400; refusals:
#: 404, 409 and 422)
CIRCULATION_ERRORS: dict[int, type[Schema]] = {
    400: ProblemOut, 404: ProblemOut, 409: ProblemOut, 422: ProblemOut, **ERRORS
}  # fmt: skip

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


# -- circulation for trusted partners ----------------------------------------------------------

circulation_router = Router(tags=["circulation"])


class PartnerCheckoutIn(Schema):
    barcode: str = Field(min_length=1, max_length=64, pattern=PRINTABLE)
    card: str = Field(min_length=1, max_length=64, pattern=PRINTABLE)
    #: the key's library when given (any other is refused): a check for the partner
    library: str = Field("", max_length=40, pattern=r"^[-a-zA-Z0-9_]*$")


class PartnerCheckinIn(Schema):
    barcode: str = Field(min_length=1, max_length=64, pattern=PRINTABLE)
    library: str = Field("", max_length=40, pattern=r"^[-a-zA-Z0-9_]*$")


class PartnerRenewIn(Schema):
    barcode: str = Field(min_length=1, max_length=64, pattern=PRINTABLE)
    card: str = Field(min_length=1, max_length=64, pattern=PRINTABLE)
    library: str = Field("", max_length=40, pattern=r"^[-a-zA-Z0-9_]*$")


class CardPath(Schema):
    card: str = Field(min_length=1, max_length=64, pattern=PRINTABLE)


class PartnerCheckinOut(Schema):
    barcode: str
    #: what to do with the copy: shelve, hold_shelf or transit (the desk's action code)
    action: str
    #: the library a copy in transit goes to, None otherwise
    destination: str | None
    days_late: int


def _desk_library(request: HttpRequest, asked: str, action: str) -> Library:
    caller: Caller = request.auth  # type: ignore[attr-defined]
    return partner_library(caller=caller, asked=asked, action=action, now=clock.now())


@api_v1.exception_handler(ValidationFailed)
def _failed(request: HttpRequest, exc: ValidationFailed) -> HttpResponse:
    return problem(422, exc.code, _("Requête invalide"), exc.message)


@api_v1.exception_handler(OutOfScope)
def _out_of_scope(request: HttpRequest, exc: OutOfScope) -> HttpResponse:
    return problem(403, exc.code, _("Bibliothèque non autorisée"), exc.message)


def _refusal(outcome: Outcome) -> HttpResponse:
    """A desk refusal as a problem: 404 for an unknown card, copy or loan, else the desk API's
    status (409 for a state conflict, 422 for a rule)."""
    unknown = {Code.CARD_NOT_FOUND, Code.ITEM_NOT_FOUND, Code.NO_OPEN_LOAN, Code.LOAN_NOT_FOUND}
    status = 404 if outcome.code in unknown else status_for(outcome.code)
    return problem(status, outcome.code, _("Refusé"), refusal_message(outcome))


def _loan(outcome: Outcome) -> LoanOut:
    return loan_out(outcome.data["loan"], clock.today())


@circulation_router.post(
    "/checkout", response={201: LoanOut, **CIRCULATION_ERRORS}, auth=KeyAuth(Scope.CIRCULATION)
)
def partner_checkout(request: HttpRequest, body: PartnerCheckoutIn) -> Any:
    """Lend a copy to a card at the key's library, under the desk's rules."""
    library = _desk_library(request, body.library, "loan.checkout")
    caller: Caller = request.auth  # type: ignore[attr-defined]
    outcome = desk_checkout(barcode=body.barcode, card=body.card, library=library,
                            actor=caller.actor, now=clock.now())  # fmt: skip
    if not outcome.ok:
        return _refusal(outcome)
    return Status(201, _loan(outcome))


@circulation_router.post(
    "/checkin", response={200: PartnerCheckinOut, **CIRCULATION_ERRORS},
    auth=KeyAuth(Scope.CIRCULATION),
)  # fmt: skip
def partner_checkin(request: HttpRequest, body: PartnerCheckinIn) -> Any:
    """Take a copy back at the key's library; the answer says where the copy goes."""
    library = _desk_library(request, body.library, "loan.checkin")
    caller: Caller = request.auth  # type: ignore[attr-defined]
    outcome = desk_checkin(barcode=body.barcode, library=library, actor=caller.actor,
                           now=clock.now())  # fmt: skip
    if not outcome.ok:
        return _refusal(outcome)
    result = outcome.data["result"]
    return PartnerCheckinOut(
        barcode=outcome.data["barcode"], action=str(result.action),
        destination=result.destination.code if result.destination else None,
        days_late=result.days_late,
    )  # fmt: skip


@circulation_router.post(
    "/renew", response={200: LoanOut, **CIRCULATION_ERRORS}, auth=KeyAuth(Scope.CIRCULATION)
)
def partner_renew(request: HttpRequest, body: PartnerRenewIn) -> Any:
    """Renew the card's open loan of a copy (the lending library's rules)."""
    library = _desk_library(request, body.library, "loan.renew")
    caller: Caller = request.auth  # type: ignore[attr-defined]
    patron = patron_by_card(body.card)
    if patron is None:
        return _refusal(refused(Code.CARD_NOT_FOUND, card=body.card))
    outcome = desk_renew(barcode=body.barcode, patron=patron, library=library,
                         actor=caller.actor, now=clock.now())  # fmt: skip
    if not outcome.ok:
        return _refusal(outcome)
    return _loan(outcome)


@circulation_router.get(
    "/patrons/{card}/loans", response={200: list[LoanOut], **CIRCULATION_ERRORS},
    auth=KeyAuth(Scope.CIRCULATION),
)  # fmt: skip
def partner_patron_loans(request: HttpRequest, path: Path[CardPath]) -> Any:
    """A card's open loans, soonest due first (dates in ISO 8601)."""
    _desk_library(request, "", "patron.loans")
    patron = patron_by_card(path.card)
    if patron is None:
        return _refusal(refused(Code.CARD_NOT_FOUND, card=path.card))
    today = clock.today()
    return [loan_out(loan, today) for loan in circulation.patron_loans(patron)]


api_v1.add_router("/catalogue", catalogue_router)
api_v1.add_router("/patrons", patrons_router)
api_v1.add_router("/network", network_router)
api_v1.add_router("/events", events_router)
api_v1.add_router("/circulation", circulation_router)
