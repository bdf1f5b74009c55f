from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "navette.stats"
    label = "stats"
