from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "navette.catalogue"
    verbose_name = _("Catalogue")
    label = "catalogue"

    def ready(self) -> None:
        from navette.catalogue import messages
        from navette.core.errors import register_wordings

        register_wordings(messages.TABLE)
