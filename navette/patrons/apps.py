from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatronsConfig(AppConfig):
    name = "navette.patrons"
    verbose_name = _("Lecteurs")
    label = "patrons"

    def ready(self) -> None:
        from navette.core.errors import register_wordings
        from navette.patrons import messages

        register_wordings(messages.TABLE)
