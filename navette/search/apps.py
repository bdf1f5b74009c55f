from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "navette.search"
    verbose_name = _("Recherche")
    label = "search"

    def ready(self) -> None:
        from navette.search import updater

        updater.connect()
