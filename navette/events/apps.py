from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "navette.events"
    verbose_name = _("Agenda")
    label = "events"

    def ready(self) -> None:
        from navette.events import agenda_cache

        agenda_cache.connect()
