"""Staff URLs for the statistics pages (names live in the "staff" namespace)."""

from django.urls import URLPattern, path

from navette.staff.views import stats

urlpatterns: list[URLPattern] = [
    path("statistiques/", stats.circulation, name="stats_circulation"),
    path("statistiques/circulation.csv", stats.circulation_csv, name="stats_circulation_csv"),
]
