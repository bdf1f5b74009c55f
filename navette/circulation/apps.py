from django.apps import AppConfig


class CirculationConfig(AppConfig):
    name = "navette.circulation"
    label = "circulation"
