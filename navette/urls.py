"""Top-level URLs. Each interface app owns its own URL module."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from navette.api.urls import api
from navette.api.v1 import api_v1

admin.site.site_header = _("Navette — administration du réseau")
admin.site.site_title = "Navette"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("personnel/", include("navette.staff.urls")),
    path("api/v1/", api_v1.urls),
    path("api/", api.urls),
    path("", include("navette.opendata.urls")),
    path("", include("navette.portal.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)  # type: ignore[arg-type]
