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
    path("circulation/navette/caisse-partie/", circulation.crate_send, name="circulation_crate_send"),
    path("circulation/navette/bordereau/<slug:code>/", circulation.crate_slip,
         name="circulation_crate"),
    path("circulation/navette/bordereau/<slug:code>.pdf", circulation.crate_slip, {"pdf": True},
         name="circulation_crate_pdf"),
    path("circulation/navette/caisses/<int:pk>/", circulation.crate_sent_slip,
         name="circulation_crate_sent"),
    path("circulation/navette/caisses/<int:pk>.pdf", circulation.crate_sent_slip, {"pdf": True},
         name="circulation_crate_sent_pdf"),
    path("circulation/recu/", circulation.receipt, name="circulation_receipt"),
    path("circulation/recu.pdf", circulation.receipt, {"pdf": True},
         name="circulation_receipt_pdf"),
    path("circulation/reservations/<int:pk>/fiche/", circulation.hold_slip_print,
         name="circulation_hold_slip"),
    path("circulation/reservations/<int:pk>/fiche.pdf", circulation.hold_slip_print,
         {"pdf": True}, name="circulation_hold_slip_pdf"),
]  # fmt: skip
