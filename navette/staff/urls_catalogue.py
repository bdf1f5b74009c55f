"""Staff URLs for the catalogue pages (names live in the "staff" namespace)."""

from django.urls import URLPattern, path

from navette.staff.views import batches, catalogue, duplicates, locations, record_editor

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
        "catalogue/doublons/recalculer/",
        duplicates.duplicates_scan,
        name="catalogue_duplicates_scan",
    ),  # fmt: skip
    path(
        "catalogue/doublons/<int:first>-<int:second>/",
        duplicates.duplicate_pair,
        name="catalogue_duplicate_pair",
    ),
    path("catalogue/fusions/<int:pk>/annuler/", duplicates.merge_undo, name="catalogue_merge_undo"),
]

urlpatterns += [
    path("catalogue/notices/nouvelle/", record_editor.record_new, name="catalogue_record_new"),
    path("catalogue/notices/<int:pk>/modifier/", record_editor.record_edit,
         name="catalogue_record_edit"),
    path("catalogue/notices/<int:pk>/historique/", record_editor.record_history,
         name="catalogue_record_history"),
    path("catalogue/notices/<int:pk>/restaurer/", record_editor.record_restore,
         name="catalogue_record_restore"),
    path("catalogue/notices/<int:pk>/remplacer/", record_editor.record_overlay,
         name="catalogue_record_overlay"),
    path("catalogue/copie/", record_editor.copy_search, name="catalogue_copy"),
    path("catalogue/copie/editer/", record_editor.copy_to_editor, name="catalogue_copy_edit"),
]  # fmt: skip

urlpatterns += [
    path("catalogue/lots/", batches.batch_start, name="catalogue_batches"),
    path("catalogue/lots/apercu/", batches.batch_preview, name="catalogue_batch_preview"),
    path("catalogue/lots/appliquer/", batches.batch_apply, name="catalogue_batch_apply"),
    path("catalogue/lots/<int:pk>/", batches.batch_detail, name="catalogue_batch"),
    path("catalogue/lots/<int:pk>/annuler/", batches.batch_undo, name="catalogue_batch_undo"),
]

urlpatterns += [
    path("catalogue/emplacements/", locations.locations, name="catalogue_locations"),
    path("catalogue/lots/recherches/", batches.copy_search_new, name="catalogue_copy_search_new"),
]
from navette.staff.views import headings  # noqa: E402

urlpatterns += [
    path("catalogue/vedettes/", headings.heading_list, name="catalogue_headings"),
    path("catalogue/vedettes/<int:pk>/", headings.heading_change, name="catalogue_heading_change"),
    path("catalogue/vedettes/changements/<int:pk>/annuler/", headings.heading_change_undo,
         name="catalogue_heading_change_undo"),
    path("catalogue/notices/<int:pk>/couverture/", headings.record_cover,
         name="catalogue_record_cover"),
]  # fmt: skip
