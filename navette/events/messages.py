"""The words of the agenda's refusals, in the reader's language: one wording per error
code, filled from the error's context (registered in ``EventsConfig.ready``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from navette.core.errors import Wording

TABLE: dict[str, Wording] = {
    # an event's data
    "event_title_missing": lambda c: _("Le titre de l'événement est obligatoire."),
    "event_times_missing": lambda c: _("Le début et la fin de l'événement sont obligatoires."),
    "event_ends_before_start": lambda c: _("La fin de l'événement précède son début."),
    "event_place_missing": lambda c: _("Indiquez une bibliothèque ou un lieu."),
    "event_capacity_missing": lambda c: _(
        "Un événement sur inscription doit avoir un nombre de places."
    ),
    "event_capacity_too_large": lambda c: (
        _("Nombre de places trop grand : %(max)d au plus.") % {"max": c["max"]}
    ),
    "event_capacity_below_taken": lambda c: (
        _("Impossible de réduire à %(cap)s places : %(taken)s sont déjà réservées.")
        % {"cap": c["cap"], "taken": c["taken"]}
    ),
    "registration_window_reversed": lambda c: _("La fin des inscriptions précède leur ouverture."),
    "event_image_alt_missing": lambda c: _("Une image doit avoir un texte alternatif."),
    "image_refused": lambda c: _(
        "L'image doit être une photo JPEG, PNG ou WebP (15 Mo et 40 mégapixels au plus)."
    ),
    "series_interval_too_short": lambda c: _(
        "L'intervalle de répétition doit être d'au moins une semaine."
    ),
    "series_ends_before_start": lambda c: _(
        "La date de fin de la série précède le premier événement."
    ),
    "programme_incomplete": lambda c: _(
        "Le titre et l'identifiant du programme sont obligatoires."
    ),
    "programme_ends_before_start": lambda c: _("La fin du programme précède son début."),
    "programme_slug_taken": lambda c: (
        _("L'identifiant « %(slug)s » est déjà pris.") % {"slug": c["slug"]}
    ),
    "attendance_unknown": lambda c: (
        _("Inscription inconnue pour cet événement : %(numbers)s. Rechargez la liste.")
        % {"numbers": ", ".join(str(n)[:20] for n in c["numbers"])}
    ),
    # registrations
    "registration_not_needed": lambda c: _("Cet événement est en accès libre, sans inscription."),
    "event_cancelled": lambda c: _("Cet événement est annulé."),
    "registration_not_open": lambda c: _("Les inscriptions ne sont pas encore ouvertes."),
    "registration_closed": lambda c: _("Les inscriptions sont closes."),
    "too_many_seats": lambda c: (
        _("Vous pouvez réserver de 1 à %(max)s places.") % {"max": c["max"]}
    ),
    "identity_missing": lambda c: _("Indiquez votre nom et votre adresse électronique."),
    "already_registered": lambda c: _("Vous êtes déjà inscrit à cet événement."),
    "too_many_requests": lambda c: _("Trop de demandes d'inscription : réessayez dans une heure."),
    "link_invalid": lambda c: _("Ce lien de confirmation n'est pas valide."),
    "link_expired": lambda c: _("Ce lien de confirmation a expiré : inscrivez-vous à nouveau."),
    "event_gone": lambda c: _("Cet événement n'existe plus."),
    "registration_already_cancelled": lambda c: _("Cette inscription est déjà annulée."),
    "event_started": lambda c: _(
        "L'événement a commencé : l'inscription ne peut plus être annulée."
    ),
}
