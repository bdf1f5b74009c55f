from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "navette.portal"
    label = "portal"
