from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EditorialConfig(AppConfig):
    name = "navette.editorial"
    verbose_name = _("Contenus du portail")
    label = "editorial"

    def ready(self) -> None:
        from navette.core.errors import register_wordings
        from navette.editorial import messages

        register_wordings(messages.TABLE)
