from django.apps import AppConfig


class PatronsConfig(AppConfig):
    name = "navette.patrons"
    label = "patrons"
