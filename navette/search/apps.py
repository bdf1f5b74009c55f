from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "navette.search"
    label = "search"

    def ready(self) -> None:
        from navette.search import updater

        updater.connect()
