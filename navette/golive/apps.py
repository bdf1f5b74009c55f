from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GoLiveConfig(AppConfig):
    name = "navette.golive"
    label = "golive"
    verbose_name = _("Mise en service")
