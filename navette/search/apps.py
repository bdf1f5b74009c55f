from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "navette.search"
    label = "search"

    def ready(self) -> None:
        from navette.core.outbox import on_records_changed
        from navette.search.updater import schedule

        # the index consumes core's record-changed outbox: apply it after each commit
        on_records_changed(schedule)
