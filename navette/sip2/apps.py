from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Sip2Config(AppConfig):
    name = "navette.sip2"
    verbose_name = _("Automates (SIP2)")
    label = "sip2"

    def ready(self) -> None:
        from navette.core.alerts import register_alerts
        from navette.sip2.views import kiosk_alerts

        register_alerts(kiosk_alerts)
