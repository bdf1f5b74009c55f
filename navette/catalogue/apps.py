from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "navette.catalogue"
    label = "catalogue"
