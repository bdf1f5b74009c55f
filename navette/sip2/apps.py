from django.apps import AppConfig


class Sip2Config(AppConfig):
    name = "navette.sip2"
    label = "sip2"
