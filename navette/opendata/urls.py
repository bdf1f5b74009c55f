"""URLs of the open library-world interfaces (mounted at the site root)."""

from django.urls import path

from navette.opendata import oai, sru

urlpatterns = [
    path("oai", oai.endpoint, name="oai"),
    path("sru", sru.endpoint, name="sru"),
]
