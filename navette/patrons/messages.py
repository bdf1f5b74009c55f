"""The words of the patron records' refusals, in the reader's language (times in its
format): one wording per error code, filled from the error's context (registered in
``PatronsConfig.ready``)."""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from navette.core.clock import local
from navette.core.errors import Wording

TABLE: dict[str, Wording] = {
    "card_number_missing": lambda c: _("Le numéro de carte est obligatoire."),
    "new_card_number_missing": lambda c: _("Le numéro de la nouvelle carte est obligatoire."),
    "name_missing": lambda c: _("Le nom et le prénom sont obligatoires."),
    "duplicate_suspected": lambda c: _(
        "Un lecteur porte déjà ce nom avec cette date de naissance : doublon probable."
    ),
    "card_number_taken": lambda c: (
        _("La carte n° %(number)s est déjà attribuée.") % {"number": c["number"]}
    ),
    "secret_too_weak": lambda c: (
        _(
            "Le code doit compter de 4 à 8 chiffres, ou être un mot de passe "
            "d'au moins %(n)d caractères."
        )
        % {"n": c["min_length"]}
    ),  # fmt: skip
    "current_pin_wrong": lambda c: _("Le code actuel est incorrect."),
    "current_pin_needed": lambda c: _(
        "Pour changer d'adresse électronique, saisissez votre code actuel."
    ),
    "card_locked": lambda c: (
        _(
            "Trop de codes erronés : cette carte est bloquée jusqu'à %(time)s. "
            "Réessayez plus tard ou demandez un nouveau code."
        )
        % {"time": date_format(local(c["until"]), "TIME_FORMAT")}
    ),  # fmt: skip
    "too_many_attempts": lambda c: (
        _("Trop de tentatives de connexion depuis cette adresse. Réessayez dans %(m)d minutes.")
        % {"m": c["minutes"]}
    ),
    "login_refused": lambda c: _("Numéro de carte ou code incorrect."),
    "invalid_reset_link": lambda c: _(
        "Ce lien de réinitialisation n'est pas valide ou a expiré : demandez-en un nouveau."
    ),
    "invalid_report_link": lambda c: _("Ce lien n'est pas valable ou a expiré."),
    "notice_email_missing": lambda c: _(
        "Indiquez une adresse électronique pour recevoir les avis."
    ),
    "unknown_language": lambda c: _("Langue inconnue."),
}
