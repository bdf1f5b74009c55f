"""Staff URLs for the catalogue pages (names live in the "staff" namespace)."""

from django.urls import URLPattern, path

from navette.staff.views import catalogue, duplicates

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
    path("catalogue/doublons/", duplicates.duplicates, name="catalogue_duplicates"),
    path(
        "catalogue/doublons/<int:first>-<int:second>/",
        duplicates.duplicate_pair,
        name="catalogue_duplicate_pair",
    ),
    path("catalogue/fusions/<int:pk>/annuler/", duplicates.merge_undo, name="catalogue_merge_undo"),
]
