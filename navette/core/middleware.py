"""Request and response middleware for the whole site: proxies and caching."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

from navette.core.client import is_trusted_proxy

#: path prefixes whose pages carry patron data: never stored by a browser or a proxy
NO_STORE_PREFIXES = ("/personnel/", "/admin/")


class TrustedProxyMiddleware:
    """Drop the forwarding headers of a request that did not come from a trusted proxy.

    Django believes X-Forwarded-Proto once SECURE_PROXY_SSL_HEADER is set (links built as
    https://); only the proxies named in NAVETTE_TRUSTED_PROXIES may say so. Goes first."""

    HEADERS = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_HOST")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR", "")):
            for header in self.HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)


class StaffNoStoreMiddleware:
    """``Cache-Control: no-store`` (and private, no-cache) on staff and administration pages:
    a patron's file must not stay in a shared computer's cache or a proxy's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(NO_STORE_PREFIXES) and not request.path.startswith(
            settings.STATIC_URL
        ):
            add_never_cache_headers(response)
        return response
