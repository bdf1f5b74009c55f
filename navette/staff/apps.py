from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "navette.staff"
    label = "staff"
