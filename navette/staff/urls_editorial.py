"""Staff URLs for the portal's contents (names live in the "staff" namespace)."""

from django.urls import URLPattern, path

from navette.staff.views import editorial

urlpatterns: list[URLPattern] = [
    path("portail/", editorial.contents, name="contents"),
    path("portail/articles/nouveau/", editorial.article_edit, name="article_create"),
    path("portail/articles/<int:pk>/", editorial.article_edit, name="article_edit"),
    path("portail/articles/<int:pk>/supprimer/", editorial.article_delete, name="article_delete"),
    path("portail/selections/nouvelle/", editorial.selection_edit, name="selection_create"),
    path("portail/selections/<int:pk>/", editorial.selection_edit, name="selection_edit"),
    path(
        "portail/selections/<int:pk>/supprimer/",
        editorial.selection_delete,
        name="selection_delete",
    ),
    path(
        "portail/selections/<int:pk>/titres/<int:entry_pk>/retirer/",
        editorial.selection_entry_remove,
        name="selection_entry_remove",
    ),
    path("portail/pages-legales/", editorial.legal_pages, name="legal_pages"),
    path("portail/pages-legales/<str:key>/", editorial.legal_page_edit, name="legal_page_edit"),
]
