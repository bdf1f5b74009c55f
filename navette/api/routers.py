"""API routers, one per domain: (prefix, router). Each domain adds its own module."""

from ninja import Router

from navette.api import circulation as circulation_api
from navette.api import network
from navette.api import search as search_api

ROUTERS: list[tuple[str, Router]] = [
    ("/network", network.router),
    ("/catalogue", search_api.router),
    ("/circulation", circulation_api.router),
]
