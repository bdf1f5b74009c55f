from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpendataConfig(AppConfig):
    name = "navette.opendata"
    verbose_name = _("OAI-PMH et SRU")

    def ready(self) -> None:
        from navette.opendata import checks  # noqa: F401, PLC0415  (registers system checks)
