from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "navette.notices"
    label = "notices"
