from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "navette.notices"
    label = "notices"

    def ready(self) -> None:
        from navette.notices import checks  # noqa: F401  (registers system checks)
