"""Staff URLs for going live (names live in the "staff" namespace)."""

from django.urls import URLPattern, path

from navette.staff.views import golive

urlpatterns: list[URLPattern] = [
    path("reseau/mise-en-service/", golive.runs, name="golive_runs"),
    path("reseau/mise-en-service/<int:pk>/", golive.run, name="golive_run"),
    path("reseau/mise-en-service/<int:pk>/avancement/", golive.progress, name="golive_progress"),
    path("reseau/mise-en-service/<int:pk>/rapport.csv", golive.run_csv, name="golive_run_csv"),
    path(
        "reseau/mise-en-service/<int:pk>/doublons/<int:issue_pk>/",
        golive.decide,
        name="golive_decide",
    ),
]
