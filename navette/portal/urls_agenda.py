"""Portal URLs for the agenda pages (names live in the "portal" namespace)."""

from django.urls import URLPattern, path

from navette.portal.views import agenda

urlpatterns: list[URLPattern] = [
    path("agenda/", agenda.agenda, name="agenda"),
    path("agenda/agenda.ics", agenda.agenda_ics, name="agenda_ics"),
    path("agenda/evenement/<int:pk>/", agenda.event_detail, name="event"),
    path("agenda/evenement/<int:pk>/inscription/", agenda.event_register, name="event_register"),
    path("agenda/evenement/<int:pk>.ics", agenda.event_ics, name="event_ics"),
    path("agenda/programme/<slug:slug>/", agenda.programme_detail, name="programme"),
    path("agenda/programme/<slug:slug>.ics", agenda.programme_ics, name="programme_ics"),
    path("agenda/bibliotheque/<slug:code>.ics", agenda.library_ics, name="library_ics"),
    path("agenda/confirmation/<str:token>/", agenda.guest_confirm, name="guest_confirm"),
    path("agenda/annulation/<str:token>/", agenda.registration_cancel, name="registration_cancel"),
]
