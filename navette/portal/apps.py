from collections.abc import Callable

from django.apps import AppConfig
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from navette.core.links import register_link


def _portal_link(name: str) -> Callable[..., str]:
    def build(*args: object) -> str:
        return reverse(f"portal:{name}", args=args)

    return build


class PortalConfig(AppConfig):
    name = "navette.portal"
    verbose_name = _("Portail")
    label = "portal"

    def ready(self) -> None:
        # the portal pages that domain code links to (e-mails, search results)
        for kind in ("event", "registration_cancel", "digital_title"):
            register_link(kind, _portal_link(kind))
