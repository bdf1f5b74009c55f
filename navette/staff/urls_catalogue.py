"""Staff URLs for the catalogue pages (names live in the "staff" namespace)."""

from django.urls import URLPattern, path

from navette.staff.views import catalogue

urlpatterns: list[URLPattern] = [
    path("catalogue/", catalogue.record_search, name="catalogue_search"),
    path("catalogue/notices/<int:pk>/", catalogue.record_detail, name="catalogue_record"),
    path(
        "catalogue/notices/<int:pk>/reserver/", catalogue.record_hold, name="catalogue_record_hold"
    ),
    path(
        "catalogue/exemplaires/<int:pk>/modifier/", catalogue.item_edit, name="catalogue_item_edit"
    ),
    path(
        "catalogue/exemplaires/<int:pk>/retirer/",
        catalogue.item_withdraw,
        name="catalogue_item_withdraw",
    ),
]
