"""The words of the catalogue's refusals, in the reader's language: one wording per error
code, filled from the error's context (registered in ``CatalogueConfig.ready``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from navette.catalogue.models import ItemStatus
from navette.core.errors import Wording


def _barcode_in_use(c: Mapping[str, Any]) -> str:
    if not c.get("title"):
        return _("Le code-barres %(barcode)s est déjà utilisé.") % {"barcode": c["barcode"]}
    return _(
        "Le code-barres %(barcode)s est déjà utilisé par un exemplaire de « %(title)s » (%(library)s)."
    ) % {"barcode": c["barcode"], "title": c["title"], "library": c["library"]}


def _record_not_deletable(c: Mapping[str, Any]) -> str:
    if c.get("why") == "copies":
        return _("La notice « %(title)s » a des exemplaires : elle ne peut pas être supprimée.") % {
            "title": c["title"]
        }
    if c.get("why") == "holds":
        return _(
            "La notice « %(title)s » a des réservations : elle ne peut pas être supprimée."
        ) % {"title": c["title"]}
    return _("Cette notice n'existe plus.")


TABLE: dict[str, Wording] = {
    "barcode_required": lambda c: _("Le code-barres est obligatoire."),
    "barcode_too_long": lambda c: _("Le code-barres dépasse 64 caractères."),
    "bad_doc_type": lambda c: _("Type de document inconnu."),
    "fields_not_editable": lambda c: (
        _("Champs non modifiables : %(fields)s.") % {"fields": ", ".join(c["fields"])}
    ),
    "status_not_editable": lambda c: _(
        "Ce statut est donné par la circulation (prêt, retour, transit), pas à la main."
    ),
    "barcode_in_use": _barcode_in_use,
    "item_not_withdrawable": lambda c: (
        _("L'exemplaire %(barcode)s ne peut pas être retiré : il est %(status)s.")
        % {"barcode": c["barcode"], "status": str(ItemStatus(c["status"]).label).lower()}
    ),
    "record_not_deletable": _record_not_deletable,
}
