"""Top-level URLs. Each interface app owns its own URL module."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from navette.api.urls import api
from navette.api.v1 import api_v1
from navette.portal.views.media import media_file
from navette.sip2.views import monitor as kiosk_monitor

admin.site.site_header = _("Navette — administration du réseau")
admin.site.site_title = "Navette"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("personnel/automates/", kiosk_monitor, name="kiosk_monitor"),
    path("personnel/", include("navette.staff.urls")),
    path("api/v1/", api_v1.urls),
    path("api/", api.urls),
    # uploaded images, in production as in development, with safe headers
    path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", media_file, name="media"),
    path("", include("navette.opendata.urls")),
    path("", include("navette.portal.urls")),
]
