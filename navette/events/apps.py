from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "navette.events"
    label = "events"

    def ready(self) -> None:
        from navette.events import agenda_cache

        agenda_cache.connect()
