from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "navette.notices"
    verbose_name = _("Avis aux lecteurs")
    label = "notices"

    def ready(self) -> None:
        from navette.notices import checks  # noqa: F401  (registers system checks)
