from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "navette.events"
    verbose_name = _("Agenda")
    label = "events"

    def ready(self) -> None:
        from navette.core.errors import register_wordings
        from navette.events import agenda_cache, messages

        agenda_cache.connect()
        register_wordings(messages.TABLE)
