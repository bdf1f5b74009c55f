from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DigitalConfig(AppConfig):
    name = "navette.digital"
    verbose_name = _("Ressources numériques")
    label = "digital"

    def ready(self) -> None:
        from navette.core.errors import register_wordings
        from navette.digital import messages

        register_wordings(messages.TABLE)
