"""Staff URLs for the statistics pages (names live in the "staff" namespace)."""

from django.urls import URLPattern, path

from navette.staff.views import reports, stats, usage

urlpatterns: list[URLPattern] = [
    path("statistiques/", stats.circulation, name="stats_circulation"),
    path("statistiques/circulation.csv", stats.circulation_csv, name="stats_circulation_csv"),
    path(
        "statistiques/tableaux.ods",
        stats.circulation_table,
        {"table": "", "extension": "ods"},
        name="stats_tables_ods",
    ),
    path(
        "statistiques/tableau-<slug:table>.csv",
        stats.circulation_table,
        {"extension": "csv"},
        name="stats_table_csv",
    ),
    path("statistiques/rapport-annuel/", reports.annual, name="stats_annual"),
    path("statistiques/rapport-annuel.csv", reports.annual_csv, name="stats_annual_csv"),
    path("statistiques/rapport-annuel.ods", reports.annual_ods, name="stats_annual_ods"),
    path("statistiques/simulateur-regles/", reports.simulator, name="stats_simulator"),
    path("statistiques/usages/", usage.usage, name="stats_usage"),
    path(
        "statistiques/usages.ods",
        usage.usage_export,
        {"table": "", "extension": "ods"},
        name="stats_usage_ods",
    ),
    path(
        "statistiques/usages-<slug:table>.csv",
        usage.usage_export,
        {"extension": "csv"},
        name="stats_usage_csv",
    ),
]
