"""Portal pages of the online media library, and the CAS / OpenID Connect endpoints.

Views parse, call one service or selector, render. Protocol rules live in
``navette.digital.cas`` and ``navette.digital.oidc``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from urllib.parse import unquote, urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from navette.core import clock
from navette.core.actors import Actor
from navette.digital import cas, oidc
from navette.digital.errors import AccessRefused, InsufficientTokens, NetworkCapReached
from navette.digital.formats import format_tokens
from navette.digital.messages import action_label
from navette.digital.models import Resource, VendorTitle
from navette.digital.selectors import (
    active_resources,
    patron_balance,
    title_cost,
    title_paid_until,
    token_settings,
    tokens_apply,
)
from navette.digital.services import (
    cas_login_grant,
    cas_ticket_validate,
    oidc_authorize_grant,
    oidc_token_exchange,
    resource_open,
    title_start,
)
from navette.patrons.session import current_patron, logout_patron


def _login_url(next_url: str) -> str:
    try:
        base = reverse("portal:login")
    except NoReverseMatch:
        base = "/compte/connexion/"
    return f"{base}?{urlencode({'next': next_url})}"


# --- pages ---------------------------------------------------------------------------------


@require_GET
def digital(request: HttpRequest) -> HttpResponse:
    """/mediatheque-en-ligne/: every resource, with the patron's token balance."""
    patron = current_patron(request)
    now = clock.now()
    balance = patron_balance(patron, now) if patron and tokens_apply() else None
    return render(
        request,
        "portal/digital/index.html",
        {
            "resources": active_resources(),
            "patron": patron,
            "balance": balance,
            "login_url": _login_url(request.get_full_path()),
        },  # fmt: skip
    )


@require_GET
def resource_detail(request: HttpRequest, code: str) -> HttpResponse:
    resource = get_object_or_404(
        Resource.objects.select_related("vendor"), code=code, is_active=True
    )
    patron = current_patron(request)
    now = clock.now()
    ts = token_settings()
    titles = VendorTitle.objects.filter(resource=resource, is_active=True).order_by("title")
    query = request.GET.get("q", "").strip()
    if query:
        titles = titles.filter(title__icontains=query)
    page = Paginator(titles, 30).get_page(request.GET.get("page"))
    rows = [{"title": t, "cost": format_tokens(title_cost(t, now, ts))} for t in page.object_list]
    return render(
        request,
        "portal/digital/resource.html",
        {
            "resource": resource, "rows": rows, "page": page, "query": query, "patron": patron,
            "balance": patron_balance(patron, now, ts)
            if patron and resource.uses_tokens else None,
            "action": action_label(resource.kind),
        },
    )  # fmt: skip


def _title_context(request: HttpRequest, title: VendorTitle) -> dict:
    patron = current_patron(request)
    now = clock.now()
    ts = token_settings()
    uses_tokens = title.resource.uses_tokens
    paid_until = title_paid_until(patron, title, now) if patron and uses_tokens else None
    cost = 0 if paid_until else title_cost(title, now, ts)
    balance = patron_balance(patron, now, ts) if patron and uses_tokens else None
    return {
        "title": title, "resource": title.resource, "patron": patron, "balance": balance,
        "paid_until": paid_until,
        "cost": format_tokens(cost), "cost_halves": cost,
        "after": format_tokens(balance.left - cost) if balance and balance.left >= cost else None,
        "action": action_label(title.resource.kind),
        "login_url": _login_url(request.get_full_path()),
    }  # fmt: skip


@require_GET
def title_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A title: its cost and the patron's balance before confirming."""
    title = get_object_or_404(
        VendorTitle.objects.select_related("resource__vendor", "record"), pk=pk
    )
    return render(request, "portal/digital/title.html", _title_context(request, title))


ERROR_STATUS = {
    AccessRefused.code: 403,
    InsufficientTokens.code: 409,
    NetworkCapReached.code: 409,
}

#: The title a patron just started toward a vendor that signs in with OpenID Connect:
#: the vendor's coming /oidc/authorize request opens (and pays for) that title.
OIDC_TITLE_KEY = "navette.digital.oidc_title"
OIDC_TITLE_SECONDS = 600


@require_POST
def title_launch(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the patron to the vendor for this title (with a CAS ticket naming it, or
    remembering it for the vendor's OpenID Connect authorization); the tokens are charged
    when the vendor confirms."""
    title = get_object_or_404(VendorTitle.objects.select_related("resource__sso_service"), pk=pk)
    patron = current_patron(request)
    if patron is None:
        return redirect(_login_url(reverse("portal:digital_title", args=[pk])))
    now = clock.now()
    try:
        launch = title_start(patron=patron, title=title, actor=Actor.patron(patron.pk), now=now)
    except (AccessRefused, InsufficientTokens, NetworkCapReached) as exc:
        context = _title_context(request, title) | {"error": exc.message}
        return render(request, "portal/digital/title.html", context, status=ERROR_STATUS[exc.code])
    if launch.oidc_title is not None:
        request.session[OIDC_TITLE_KEY] = {"title": launch.oidc_title.pk, "at": now.timestamp()}
    return HttpResponseRedirect(launch.url)


@require_POST
def resource_launch(request: HttpRequest, code: str) -> HttpResponse:
    resource = get_object_or_404(
        Resource.objects.select_related("sso_service"), code=code, is_active=True
    )
    patron = current_patron(request)
    if patron is None:
        return redirect(_login_url(reverse("portal:digital_resource", args=[code])))
    try:
        launch = resource_open(
            patron=patron, resource=resource, actor=Actor.patron(patron.pk), now=clock.now()
        )
    except AccessRefused as exc:
        return render(
            request, "portal/digital/refused.html", {"message": exc.message, "resource": resource},
            status=403,
        )  # fmt: skip
    return HttpResponseRedirect(launch.url)


# --- CAS -----------------------------------------------------------------------------------


def _refused(request: HttpRequest, message: str, status: int = 403) -> HttpResponse:
    return render(request, "portal/digital/refused.html", {"message": message}, status=status)


@require_GET
def cas_login(request: HttpRequest) -> HttpResponse:
    """CAS /login: give a registered service a ticket for the logged-in patron."""
    service = request.GET.get("service", "")
    if not service:
        return render(request, "portal/digital/cas_no_service.html")
    registration = cas.registration_for_service(service)
    if registration is None:
        return _refused(
            request,
            _("Ce service n'est pas autorisé à utiliser la connexion du réseau. "
              "Accédez aux ressources en ligne depuis la page Médiathèque en ligne."),
        )  # fmt: skip
    patron = current_patron(request)
    if request.GET.get("renew", "").lower() in ("true", "1") and patron is not None:
        logout_patron(request)
        patron = None
        params = request.GET.copy()
        params.pop("renew")
        return redirect(_login_url(f"{request.path}?{params.urlencode()}"))
    if patron is None:
        if request.GET.get("gateway", "").lower() in ("true", "1"):
            return HttpResponseRedirect(service)
        return redirect(_login_url(request.get_full_path()))
    try:
        url = cas_login_grant(
            registration=registration, service=service, patron=patron, now=clock.now()
        )
    except (AccessRefused, InsufficientTokens, NetworkCapReached) as exc:
        return _refused(request, exc.message, status=ERROR_STATUS[exc.code])
    return HttpResponseRedirect(url)


def _validate(request: HttpRequest, *, with_attributes: bool) -> HttpResponse:
    result = cas_ticket_validate(
        ticket=request.GET.get("ticket", ""),
        service=request.GET.get("service", ""),
        now=clock.now(),
    )
    body = cas.validation_xml(result, with_attributes=with_attributes)
    response = HttpResponse(body, content_type="application/xml; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def cas_service_validate(request: HttpRequest) -> HttpResponse:
    """CAS 2.0 /serviceValidate: the opaque id only."""
    return _validate(request, with_attributes=False)


@require_GET
def cas_p3_service_validate(request: HttpRequest) -> HttpResponse:
    """CAS 3.0 /p3/serviceValidate: the opaque id and the limited attributes."""
    return _validate(request, with_attributes=True)


@require_GET
def cas_logout(request: HttpRequest) -> HttpResponse:
    logout_patron(request)
    service = request.GET.get("service") or request.GET.get("url") or ""
    if service and cas.registration_for_service(service) is not None:
        return HttpResponseRedirect(service)
    return render(request, "portal/digital/logged_out.html")


# --- OpenID Connect ------------------------------------------------------------------------


def _issuer(request: HttpRequest) -> str:
    configured = settings.NAVETTE_OIDC_ISSUER
    return configured or f"{request.scheme}://{request.get_host()}"


@require_GET
def oidc_configuration(request: HttpRequest) -> JsonResponse:
    return JsonResponse(oidc.discovery(_issuer(request)))


@require_GET
def oidc_jwks(request: HttpRequest) -> JsonResponse:
    return JsonResponse(oidc.jwks())


def _oidc_title(request: HttpRequest, now: dt.datetime) -> VendorTitle | None:
    """The title the patron started from the portal in the last minutes (used once)."""
    pending = request.session.pop(OIDC_TITLE_KEY, None)
    if not isinstance(pending, dict) or not isinstance(pending.get("title"), int):
        return None
    if now.timestamp() - pending.get("at", 0) > OIDC_TITLE_SECONDS:
        return None
    return VendorTitle.objects.select_related("resource").filter(pk=pending["title"]).first()


@require_GET
def oidc_authorize(request: HttpRequest) -> HttpResponse:
    params = {k: request.GET.get(k, "") for k in request.GET}
    try:
        auth = oidc.parse_authorize(params)
    except oidc.OidcError as exc:
        if exc.status != 302:
            return _refused(request, exc.description, status=400)
        client = oidc.client_for(params.get("client_id", ""))
        assert client is not None  # a 302 error is raised only once the client is known
        query = {"error": exc.error, "error_description": exc.description}
        if params.get("state"):
            query["state"] = params["state"]
        sep = "&" if "?" in params["redirect_uri"] else "?"
        return HttpResponseRedirect(f"{params['redirect_uri']}{sep}{urlencode(query)}")
    patron = current_patron(request)
    if patron is None:
        if params.get("prompt") == "none":
            query = {"error": "login_required", "state": auth.state}
            return HttpResponseRedirect(f"{auth.redirect_uri}?{urlencode(query)}")
        return redirect(_login_url(request.get_full_path()))
    now = clock.now()
    try:
        code = oidc_authorize_grant(
            request=auth, patron=patron, title=_oidc_title(request, now), now=now
        )
    except (AccessRefused, InsufficientTokens, NetworkCapReached) as exc:
        return _refused(request, exc.message, status=ERROR_STATUS[exc.code])
    query = {"code": code}
    if auth.state:
        query["state"] = auth.state
    sep = "&" if "?" in auth.redirect_uri else "?"
    return HttpResponseRedirect(f"{auth.redirect_uri}{sep}{urlencode(query)}")


def _oidc_error(exc: oidc.OidcError) -> JsonResponse:
    response = JsonResponse(
        {"error": exc.error, "error_description": exc.description}, status=exc.status
    )
    if exc.status == 401:
        response["WWW-Authenticate"] = 'Basic realm="navette"'
    response["Cache-Control"] = "no-store"
    return response


def _client_credentials(request: HttpRequest) -> tuple[str, str | None]:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode()
        except (binascii.Error, UnicodeDecodeError):
            return "", None
        client_id, _sep, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret)
    return request.POST.get("client_id", ""), request.POST.get("client_secret")


@csrf_exempt
@require_POST
def oidc_token(request: HttpRequest) -> HttpResponse:
    client_id, secret = _client_credentials(request)
    try:
        body = oidc_token_exchange(
            params={k: request.POST.get(k, "") for k in request.POST},
            client_id=client_id, client_secret=secret, issuer=_issuer(request), now=clock.now(),
        )  # fmt: skip
    except oidc.OidcError as exc:
        return _oidc_error(exc)
    response = HttpResponse(json.dumps(body), content_type="application/json")
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def oidc_userinfo(request: HttpRequest) -> HttpResponse:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return HttpResponseBadRequest(
            json.dumps({"error": "invalid_request"}), content_type="application/json"
        )
    try:
        info = oidc.oidc_userinfo(bearer=header[7:].strip(), now=clock.now())
    except oidc.OidcError as exc:
        response = _oidc_error(exc)
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    return JsonResponse(info)
