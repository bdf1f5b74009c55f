"""Staff (back-office) URLs, under /personnel/. Each domain has its own module."""

from django.contrib.auth import views as auth_views
from django.urls import path

from navette.staff import (
    urls_catalogue,
    urls_circulation,
    urls_digital,
    urls_editorial,
    urls_events,
    urls_golive,
    urls_patrons,
    urls_stats,
)
from navette.staff.views import home, preferences

app_name = "staff"

urlpatterns = [
    path("", home.home, name="home"),
    path("reseau/", home.network_settings, name="network"),
    path("preferences/", preferences.preferences, name="preferences"),
    path(
        "connexion/",
        auth_views.LoginView.as_view(
            template_name="staff/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    *urls_catalogue.urlpatterns,
    *urls_circulation.urlpatterns,
    *urls_patrons.urlpatterns,
    *urls_events.urlpatterns,
    *urls_editorial.urlpatterns,
    *urls_digital.urlpatterns,
    *urls_stats.urlpatterns,
    *urls_golive.urlpatterns,
]
