from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "navette.staff"
    verbose_name = _("Espace professionnel")
    label = "staff"
