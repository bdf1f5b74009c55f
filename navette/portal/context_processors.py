"""Context shared by every portal page: the network's name and the navigation."""

from __future__ import annotations

import time

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from navette.editorial.selectors import footer_compliance
from navette.network.models import Network

# (url name, label). An entry whose page is not installed is left out.
NAVIGATION = [
    ("portal:search", _("Catalogue")),
    ("portal:libraries", _("Bibliothèques")),
    ("portal:agenda", _("Agenda")),
    ("portal:digital", _("Médiathèque en ligne")),
    ("portal:account", _("Mon compte")),
]


def _navigation() -> list[tuple[str, str, object]]:
    items: list[tuple[str, str, object]] = []
    for name, label in NAVIGATION:
        try:
            items.append((name, reverse(name), label))
        except NoReverseMatch:
            continue
    return items


_network_name: tuple[float, str] | None = None
NETWORK_NAME_TTL = 30.0  # seconds; a renamed network shows within this delay


def network_name() -> str:
    """The network's name, read at most every NETWORK_NAME_TTL seconds per process."""
    global _network_name
    now = time.monotonic()
    if _network_name is None or now - _network_name[0] > NETWORK_NAME_TTL:
        network = Network.objects.order_by("pk").only("name").first()
        _network_name = (now, network.name if network else "Navette")
    return _network_name[1]


def portal(request: HttpRequest) -> dict:
    path = request.path
    nav = [
        {"url": url, "label": label, "current": url != "/" and path.startswith(url)}
        for _name, url, label in _navigation()
    ]
    return {
        "network_name": network_name(),
        "portal_nav": nav,
        # lazily: read only by pages that show the portal's footer
        "accessibility_compliance": SimpleLazyObject(footer_compliance),
    }
