from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CirculationConfig(AppConfig):
    name = "navette.circulation"
    verbose_name = _("Prêts et réservations")
    label = "circulation"
