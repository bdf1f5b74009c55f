"""The words of the portal contents' refusals, in the reader's language (registered in
``EditorialConfig.ready``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from navette.core.errors import Wording

TABLE: dict[str, Wording] = {
    "content_title_missing": lambda c: _("Le titre est obligatoire."),
    "content_body_too_long": lambda c: (
        _("Le texte est trop long : %(max)d caractères au plus.") % {"max": c["max"]}
    ),
    "publication_window_reversed": lambda c: _("La fin de la publication doit suivre son début."),
    "selection_record_twice": lambda c: (
        _("« %(title)s » est déjà dans cette sélection.") % {"title": c["title"]}
    ),
    "compliance_missing": lambda c: _(
        "Indiquez l'état de conformité de la déclaration d'accessibilité."
    ),
}
