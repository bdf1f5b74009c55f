from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "navette.partners"
    verbose_name = _("Partenaires (clés d'API)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from navette.core.errors import register_wordings
        from navette.partners import messages

        register_wordings(messages.TABLE)
