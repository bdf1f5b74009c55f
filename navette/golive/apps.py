from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GoLiveConfig(AppConfig):
    name = "navette.golive"
    label = "golive"
    verbose_name = _("Mise en service")

    def ready(self) -> None:
        from navette.core.errors import register_wordings
        from navette.golive import messages

        register_wordings(messages.TABLE)
