"""Staff URLs for the patrons pages (names live in the "staff" namespace)."""

from django.urls import path

from navette.staff.views import patrons

urlpatterns = [
    path("lecteurs/", patrons.patron_list, name="patrons"),
    path("lecteurs/inscrire/", patrons.register, name="patron_register"),
    path("lecteurs/<int:pk>/", patrons.patron_detail, name="patron"),
    path("lecteurs/<int:pk>/renouveler/", patrons.renew, name="patron_renew"),
    path("lecteurs/<int:pk>/carte/", patrons.replace_card, name="patron_replace_card"),
    path("lecteurs/<int:pk>/code/", patrons.set_pin, name="patron_set_pin"),
]
