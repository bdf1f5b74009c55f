"""Staff URLs for the online media library (names live in the "staff" namespace)."""

from django.urls import URLPattern, path

from navette.staff.views import digital

urlpatterns: list[URLPattern] = [
    path("mediatheque-en-ligne/", digital.usage, name="digital_usage"),
    path("mediatheque-en-ligne/usage.csv", digital.usage_csv, name="digital_usage_csv"),
    path("mediatheque-en-ligne/jetons/", digital.patron_tokens, name="digital_tokens"),
    path(
        "mediatheque-en-ligne/jetons/<int:pk>/rembourser/",
        digital.refund,
        name="digital_refund",
    ),
]
