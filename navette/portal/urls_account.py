"""Portal URLs for the account pages (names live in the "portal" namespace)."""

from django.urls import path

from navette.portal.views import account

urlpatterns = [
    path("compte/", account.account, name="account"),
    path("compte/connexion/", account.login, name="login"),
    path("compte/premiere-connexion/", account.first_login, name="account_first_login"),
    path("compte/deconnexion/", account.logout, name="logout"),
    path("compte/code/", account.pin_change, name="account_pin"),
    path("compte/code-oublie/", account.pin_forgot, name="account_pin_forgot"),
    path("compte/code-oublie/<str:token>/", account.pin_reset, name="account_pin_reset"),
    path("compte/coordonnees/", account.contact, name="account_contact"),
    path(
        "compte/signaler-changement/<str:token>/",
        account.email_report,
        name="account_email_report",
    ),
    path("compte/historique/", account.history, name="account_history"),
    path("compte/mes-donnees/", account.data, name="account_data"),
    path("compte/mes-donnees.<str:fmt>", account.export, name="account_export"),
    path("compte/prets/<int:pk>/prolonger/", account.loan_renew, name="account_loan_renew"),
    path("compte/prets/prolonger-tout/", account.loans_renew_all, name="account_loans_renew_all"),
    path("compte/reservations/<int:pk>/annuler/", account.hold_cancel, name="account_hold_cancel"),
    path(
        "compte/reservations/<int:pk>/retrait/",
        account.hold_change_pickup,
        name="account_hold_pickup",
    ),
    path("compte/reserver/<int:record_id>/", account.hold_place, name="hold_place"),
]
