"""Portal URLs for what staff publish (names live in the "portal" namespace)."""

from django.urls import URLPattern, path

from navette.portal.views import editorial

urlpatterns: list[URLPattern] = [
    path("actualites/", editorial.news_list, name="news"),
    path("actualites/<int:pk>/", editorial.news_detail, name="news_item"),
    path("pages/<int:pk>/", editorial.page_detail, name="page"),
    path("nouveautes/", editorial.new_arrivals_page, name="new_arrivals"),
    path("mentions-legales/", editorial.legal_page, {"key": "legal_notice"}, name="legal_notice"),
    path(
        "donnees-personnelles/",
        editorial.legal_page,
        {"key": "personal_data"},
        name="personal_data",
    ),
    path("accessibilite/", editorial.legal_page, {"key": "accessibility"}, name="accessibility"),
]
