"""Staff URLs for the circulation pages (names live in the "staff" namespace)."""

from django.urls import URLPattern, path

from navette.staff.views import circulation

urlpatterns: list[URLPattern] = [
    path("circulation/pret/", circulation.checkout, name="circulation_checkout"),
    path("circulation/amendes/", circulation.fines, name="circulation_fines"),
    path("circulation/prolonger/", circulation.renew, name="circulation_renew"),
    path(
        "circulation/annuler-reservation/",
        circulation.hold_cancel_at_desk,
        name="circulation_hold_cancel",
    ),
    path("circulation/retour/", circulation.checkin, name="circulation_checkin"),
    path("circulation/navette/", circulation.transits, name="circulation_transits"),
    path("circulation/hors-ligne/", circulation.offline, name="circulation_offline"),
    path("circulation/navette/perdu/", circulation.transit_lost, name="circulation_transit_lost"),
]
