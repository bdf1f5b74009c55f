from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "navette.stats"
    verbose_name = _("Statistiques")
    label = "stats"

    def ready(self) -> None:
        from navette.core.errors import register_wordings
        from navette.stats import messages

        register_wordings(messages.TABLE)
