from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "navette.search"
    label = "search"
