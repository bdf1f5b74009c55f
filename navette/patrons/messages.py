"""The words of the patron records' refusals, in the reader's language (times in its
format): one wording per error code, filled from the error's context (registered in
``PatronsConfig.ready``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from navette.core.clock import local
from navette.core.errors import Wording


def _member_card_refused(c: Mapping[str, Any]) -> str:
    if c.get("reason") == "expired":
        text = _(
            "Votre carte de %(library)s a expiré : renouvelez votre inscription auprès de "
            "votre bibliothèque pour vous connecter."
        )
    else:
        text = _(
            "Votre carte est bloquée ou n'est plus valable à %(library)s : adressez-vous à "
            "votre bibliothèque pour vous connecter."
        )
    said = " ".join(m for m in c.get("messages") or [] if m)
    text = text % {"library": c["library"]}
    return f"{text} ({said})" if said else text


def _member_system_unavailable(c: Mapping[str, Any]) -> str:
    if not c.get("known"):
        return _(
            "Le système de %(library)s ne répond pas et votre carte n'a encore jamais été "
            "vérifiée ici : la première connexion demande que votre bibliothèque réponde. "
            "Réessayez plus tard."
        ) % {"library": c["library"]}
    return _(
        "Le système de %(library)s ne répond pas et votre carte n'a pas été vérifiée "
        "depuis le %(date)s : réessayez plus tard."
    ) % {
        "library": c["library"],
        "date": date_format(local(c["confirmed_at"]), "SHORT_DATE_FORMAT"),
    }


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
    "member_card_refused": _member_card_refused,
    "member_system_unavailable": _member_system_unavailable,
    "first_login_needed": lambda c: (
        _(
            "Première connexion : %(library)s nous a confié sa liste de lecteurs. "
            "Confirmez votre carte avec votre date de naissance, puis choisissez "
            "votre mot de passe."
        )
        % {"library": c["library"]}
    ),
    "first_login_refused": lambda c: _(
        "Ce numéro de carte et cette date de naissance ne correspondent à aucun lecteur "
        "inscrit, ou ce compte a déjà un mot de passe."
    ),
    "federated_check_deferred": lambda c: (
        _(
            "Le système de %(library)s ne répond pas : la vérification de votre carte est "
            "reportée. Vous êtes connecté avec la dernière confirmation, du %(date)s."
        )
        % {
            "library": c["library"],
            "date": date_format(local(c["confirmed_at"]), "SHORT_DATE_FORMAT"),
        }
    ),
}
