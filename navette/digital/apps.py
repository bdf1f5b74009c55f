from django.apps import AppConfig


class DigitalConfig(AppConfig):
    name = "navette.digital"
    label = "digital"
