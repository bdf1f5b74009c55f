from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "navette.opendata"
    verbose_name = "OAI-PMH and SRU"

    def ready(self) -> None:
        from navette.opendata import checks  # noqa: F401, PLC0415  (registers system checks)
