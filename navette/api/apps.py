from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "navette.api"
    label = "api"
