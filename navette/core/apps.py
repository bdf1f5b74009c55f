from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "navette.core"
    label = "core"
    verbose_name = _("Cœur")

    def ready(self) -> None:
        from navette.core import checks, throttle  # noqa: F401  (system checks, receivers)
