"""The words of the catalogue's refusals, in the reader's language: one wording per error
code, filled from the error's context (registered in ``CatalogueConfig.ready``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from navette.catalogue.models import BarcodeChecksum, ItemStatus
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


def _status(c: Mapping[str, Any]) -> str:
    return str(ItemStatus(c["status"]).label).lower()


def _barcode_checksum(c: Mapping[str, Any]) -> str:
    rule = str(BarcodeChecksum(c["rule"]).label)
    if c.get("why") == "barcode_not_digits":
        return _(
            "Le code-barres %(barcode)s ne respecte pas la règle du réseau (%(rule)s) : "
            "il doit être fait de chiffres, le dernier étant le chiffre de contrôle."
        ) % {"barcode": c["barcode"], "rule": rule}
    return _(
        "Le code-barres %(barcode)s ne respecte pas la règle du réseau (%(rule)s) : "
        "son dernier chiffre devrait être %(expected)s."
    ) % {"barcode": c["barcode"], "rule": rule, "expected": c["expected"]}


def _batch_changed_since(c: Mapping[str, Any]) -> str:
    return _(
        "Annulation impossible : %(count)s exemplaires ont changé depuis le lot "
        "(%(barcodes)s). Rien n'a été modifié."
    ) % {"count": c["count"], "barcodes": ", ".join(c["barcodes"])}


def _batch_restore_conflict(c: Mapping[str, Any]) -> str:
    if c.get("barcodes"):
        return _(
            "Annulation impossible : des codes-barres ont été réutilisés depuis (%(barcodes)s). "
            "Rien n'a été modifié."
        ) % {"barcodes": ", ".join(c["barcodes"])}
    return _("Annulation impossible : une notice du lot existe de nouveau. Rien n'a été modifié.")


def _harvest_failed(c: Mapping[str, Any]) -> str:
    why = c.get("why")
    if why == "unreachable":
        text = _("Le catalogue de %(source)s est injoignable.")
    elif why == "no_directory":
        text = _("Le dossier des fichiers MARC de %(source)s n'existe pas.")
    else:
        text = _("Le dépôt OAI-PMH de %(source)s a répondu par une erreur.")
    return f"{text % {'source': c['source']}} ({c.get('detail', '')})"


TABLE: dict[str, Wording] = {
    "harvest_failed": _harvest_failed,
    "harvest_busy": lambda c: (
        _("Le catalogue de %(source)s est déjà en cours de moisson.") % {"source": c["source"]}
    ),
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
    "status_held_by_circulation": lambda c: (
        _("Le statut de l'exemplaire %(barcode)s (%(status)s) ne se change pas à la main.")
        % {"barcode": c["barcode"], "status": _status(c)}
    ),
    "barcode_checksum": _barcode_checksum,
    "bad_price": lambda c: (
        _("Prix invalide : %(price)s (un montant en euros, positif ou nul).")
        % {"price": c["price"]}
    ),
    "location_other_library": lambda c: (
        _(
            "L'emplacement « %(location)s » n'est pas un emplacement de la bibliothèque de "
            "l'exemplaire."
        )
        % {"location": c["location"]}
    ),  # fmt: skip
    # batch changes
    "batch_too_many": lambda c: (
        _("La liste compte %(count)s codes-barres : un lot en accepte %(limit)s au plus.")
        % {"count": c["count"], "limit": c["limit"]}
    ),
    "shelf_range_empty": lambda c: _("Indiquez au moins une cote de début ou de fin."),
    "shelf_range_reversed": lambda c: (
        _("La cote de début (%(first)s) vient après la cote de fin (%(last)s).")
        % {"first": c["first"], "last": c["last"]}
    ),
    "batch_action_unknown": lambda c: _("Action de lot inconnue."),
    "batch_library_required": lambda c: _("Choisissez la bibliothèque de destination."),
    "call_number_too_long": lambda c: _("La cote dépasse 100 caractères."),
    "batch_empty": lambda c: _("Aucun exemplaire ni aucune notice à modifier : rien n'a été fait."),
    "batch_already_undone": lambda c: _("Ce lot a déjà été annulé."),
    "batch_changed_since": _batch_changed_since,
    "batch_restore_conflict": _batch_restore_conflict,
    # why a batch leaves a copy or a record alone
    "copy_other_library": lambda c: (
        _("Exemplaire d'une autre bibliothèque (%(library)s).") % {"library": c["library"]}
    ),
    "copy_circulating": lambda c: _("Exemplaire %(status)s.") % {"status": _status(c)},
    "copy_status_fixed": lambda c: (
        _("Exemplaire %(status)s : son statut ne se change pas par lot.") % {"status": _status(c)}
    ),
    "copy_unchanged": lambda c: _("Déjà dans cet état."),
    "record_has_holds": lambda c: _("La notice a des réservations."),
    "record_digital": lambda c: _("Titre numérique d'un fournisseur : supprimé par son import."),
    "copy_has_loans": lambda c: (
        _("L'exemplaire %(barcode)s a un historique de prêts : retirez-le plutôt.")
        % {"barcode": c["barcode"]}
    ),
    "copy_has_holds": lambda c: (
        _("L'exemplaire %(barcode)s a des réservations.") % {"barcode": c["barcode"]}
    ),
    "copy_has_transits": lambda c: (
        _("L'exemplaire %(barcode)s a un historique de navettes : retirez-le plutôt.")
        % {"barcode": c["barcode"]}
    ),
    "location_code_required": lambda c: _("Le code de l'emplacement est obligatoire."),
    "location_name_required": lambda c: _("Le nom de l'emplacement est obligatoire."),
    "search_name_required": lambda c: _("Donnez un nom à la recherche."),
    "search_criteria_required": lambda c: _("Indiquez au moins un critère."),
}


def _records_changed_since(c: Mapping[str, Any]) -> str:
    return ngettext(
        "Ce changement ne peut plus être annulé : %(count)d notice a été modifiée depuis (%(titles)s).",
        "Ce changement ne peut plus être annulé : %(count)d notices ont été modifiées depuis (%(titles)s).",
        c["count"],
    ) % {"count": c["count"], "titles": " ; ".join(c["titles"])}


def _fetch_failed(c: Mapping[str, Any]) -> str:
    if c.get("status"):
        return _("Le service de couvertures a répondu par une erreur (%(status)s) : %(url)s") % {
            "status": c["status"], "url": c["url"]}  # fmt: skip
    return _("Le service de couvertures est injoignable : %(url)s") % {"url": c["url"]}


TABLE.update({
    "heading_label_required": lambda c: _("Indiquez la nouvelle forme de la vedette."),
    "heading_label_too_long": lambda c: (
        _("La nouvelle forme dépasse %(limit)d caractères.") % {"limit": c["limit"]}
    ),
    "heading_label_unchanged": lambda c: _("La nouvelle forme est identique à l'ancienne."),
    "heading_unused": lambda c: (
        _("Aucune notice ne porte la vedette « %(label)s ».") % {"label": c["label"]}
    ),
    "heading_record_invalid": lambda c: (
        _("La notice « %(title)s » deviendrait invalide : rien n'a été changé.")
        % {"title": c["title"]}
    ),
    "heading_change_already_undone": lambda c: _("Ce changement de vedette a déjà été annulé."),
    "heading_records_changed_since": _records_changed_since,
    "cover_not_an_image": lambda c: _(
        "Ce fichier n'est pas une image lisible (JPEG, PNG, WebP ou GIF) : la couverture n'a pas été changée."
    ),
    "cover_too_big": lambda c: (
        _("L'image dépasse %(limit)d Mo : la couverture n'a pas été changée.")
        % {"limit": c["limit"]}
    ),
    "cover_no_isbn": lambda c: _("Cette notice n'a pas d'ISBN : aucune couverture à chercher."),
    "cover_no_service": lambda c: _("Aucun service de couvertures n'est configuré."),
    "cover_not_found": lambda c: (
        _("Aucune couverture trouvée pour l'ISBN %(isbn)s.") % {"isbn": c["isbn"]}
    ),
    "cover_fetch_failed": _fetch_failed,
})  # fmt: skip
