"""The REST API (django-ninja), its OpenAPI schema at /api/openapi.json."""

from ninja import NinjaAPI

from navette.api import routers

api = NinjaAPI(
    title="Navette API",
    version="1",
    description="API du système de gestion de bibliothèques Navette.",
    urls_namespace="api",
)
for prefix, router in routers.ROUTERS:
    api.add_router(prefix, router)
