from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Sip2Config(AppConfig):
    name = "navette.sip2"
    verbose_name = _("Automates (SIP2)")
    label = "sip2"
