"""Portal URLs for the search pages (names live in the "portal" namespace)."""

from django.urls import URLPattern, path

from navette.portal.views import covers, search

urlpatterns: list[URLPattern] = [
    path("recherche/", search.search, name="search"),
    path("recherche/suggestions/", search.autocomplete, name="autocomplete"),
    path("notice/<int:pk>/", search.record_detail, name="record"),
    path("vedette/<int:pk>/", search.heading, name="heading"),
    path("couverture/<slug:size>/<slug:stem>.webp", covers.cover, name="cover"),
    path("recherche/disponibilites-membres/", search.member_states, name="member_states"),
]
