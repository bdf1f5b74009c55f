"""The words of the API keys' refusals, in the reader's language: one wording per error
code, filled from the error's context (registered in ``PartnersConfig.ready``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from navette.core.errors import Wording

TABLE: dict[str, Wording] = {
    "not_allowed": lambda c: _("Seuls les administrateurs du réseau créent des clés d'API."),
    "bad_scope": lambda c: (
        _("Droits inconnus ou absents : %(scopes)s.") % {"scopes": ", ".join(c["scopes"]) or "-"}
    ),
    "bad_rate": lambda c: _("Au moins un appel par minute."),
    "library_needed": lambda c: _(
        "Le droit de circulation demande la bibliothèque où le partenaire prête."
    ),
    "invalid_key": lambda c: _("Clé d'API absente, inconnue ou révoquée."),
    "no_library": lambda c: _("Cette clé n'est attachée à aucune bibliothèque."),
    "library_not_found": lambda c: (
        _("Bibliothèque inconnue : %(code)s.") % {"code": c["library_code"]}
    ),
    "scope_missing": lambda c: (
        _("Cette clé n'a pas le droit « %(scope)s ».") % {"scope": c["scope"]}
    ),
    "rate_limited": lambda c: (
        _("Trop d'appels avec cette clé : réessayez dans %(s)d secondes.") % {"s": c["retry_after"]}
    ),
}
