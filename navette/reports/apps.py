from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "navette.reports"
    label = "reports"
