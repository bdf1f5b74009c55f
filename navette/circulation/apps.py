from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CirculationConfig(AppConfig):
    name = "navette.circulation"
    verbose_name = _("Prêts et réservations")
    label = "circulation"

    def ready(self) -> None:
        from navette.catalogue.merging import merge_participant
        from navette.circulation.record_merge import HoldsFollowRecords

        merge_participant(HoldsFollowRecords())
