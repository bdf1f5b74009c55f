"""Public portal URLs. Each domain's pages have their own module (urls_*.py)."""

from django.urls import path

from navette.portal import (
    urls_account,
    urls_agenda,
    urls_digital,
    urls_editorial,
    urls_search,
)
from navette.portal.views import network

app_name = "portal"

urlpatterns = [
    path("", network.home, name="home"),
    path("bibliotheques/", network.library_list, name="libraries"),
    path("bibliotheques/<slug:code>/", network.library_detail, name="library"),
    *urls_search.urlpatterns,
    *urls_account.urlpatterns,
    *urls_agenda.urlpatterns,
    *urls_digital.urlpatterns,
    *urls_editorial.urlpatterns,
]
