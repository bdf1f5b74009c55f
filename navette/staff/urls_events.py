"""Staff URLs for the events pages (names live in the "staff" namespace)."""

from django.urls import URLPattern, path

from navette.staff.views import events

urlpatterns: list[URLPattern] = [
    path("evenements/", events.events_list, name="events"),
    path("evenements/nouveau/", events.event_create, name="event_create"),
    path("evenements/<int:pk>/", events.event_attendees, name="event_attendees"),
    path("evenements/<int:pk>/modifier/", events.event_edit, name="event_edit"),
    path("evenements/<int:pk>/copier/", events.event_copy, name="event_copy"),
    path("evenements/<int:pk>/annuler/", events.event_cancel, name="event_cancel"),
    path("programmes/", events.programmes, name="programmes"),
    path("programmes/nouveau/", events.programme_edit, name="programme_create"),
    path("programmes/<int:pk>/", events.programme_edit, name="programme_edit"),
]
