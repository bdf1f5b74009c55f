"""Who is on the other end of a request: the client's address, behind trusted proxies.

``X-Forwarded-For`` is only believed when the connection comes from a proxy listed in
``NAVETTE_TRUSTED_PROXIES``; otherwise any client could pick the address that login
throttling counts against.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def is_trusted_proxy(address: str) -> bool:
    """Whether ``address`` is one of the reverse proxies of NAVETTE_TRUSTED_PROXIES."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _networks(tuple(settings.NAVETTE_TRUSTED_PROXIES)))


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or when that is a trusted proxy, the right-most
    address of X-Forwarded-For that is not itself a trusted proxy."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if not is_trusted_proxy(remote):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted_proxy(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote  # a proxy passed garbage: count it against the proxy
    return remote


def within_rate(request: HttpRequest, *, scope: str, limit: int, seconds: int) -> bool:
    """Whether the client may make one more ``scope`` request: at most ``limit`` per window of
    ``seconds``, counted per client address in the default cache (approximate: a window
    starts at the client's first request in it)."""
    key = f"navette:rate:{scope}:{client_ip(request)}"
    if cache.add(key, 1, timeout=seconds):
        return True
    try:
        return int(cache.incr(key)) <= limit
    except ValueError:  # the window ended between add() and incr()
        cache.add(key, 1, timeout=seconds)
        return True
