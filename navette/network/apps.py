from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "navette.network"
    label = "network"
    verbose_name = _("Réseau")

    def ready(self) -> None:
        from navette.core.errors import register_wordings
        from navette.network import messages

        register_wordings(messages.TABLE)
