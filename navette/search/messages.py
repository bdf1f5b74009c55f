"""What a search result says of its copies, in the reader's language (the interfaces word a
``selectors.ResultRow`` with this; the selector returns the libraries and the count)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from navette.search.selectors import ResultRow


def availability(row: ResultRow) -> str:
    """ "Disponible à Lens et dans 2 autres bibliothèques", "Aucun exemplaire disponible pour
    le moment (3 exemplaires)", "Pas d'exemplaire en bibliothèque"."""
    available, copies = row.available_at, row.copies
    if available:
        first = available[0].commune
        others = len(available) - 1
        if others == 0:
            return _("Disponible à %(lib)s") % {"lib": first}
        return ngettext(
            "Disponible à %(lib)s et dans %(n)d autre bibliothèque",
            "Disponible à %(lib)s et dans %(n)d autres bibliothèques",
            others,
        ) % {"lib": first, "n": others}
    one = row.scope[0].commune if len(row.scope) == 1 else ""
    if copies and one:
        return ngettext(
            "Aucun exemplaire disponible à %(lib)s pour le moment (%(n)d exemplaire)",
            "Aucun exemplaire disponible à %(lib)s pour le moment (%(n)d exemplaires)",
            copies,
        ) % {"lib": one, "n": copies}
    if copies:
        return ngettext(
            "Aucun exemplaire disponible pour le moment (%(n)d exemplaire)",
            "Aucun exemplaire disponible pour le moment (%(n)d exemplaires)",
            copies,
        ) % {"n": copies}
    if one:
        return _("Pas d'exemplaire à %(lib)s") % {"lib": one}
    if row.scope:
        return _("Pas d'exemplaire dans les bibliothèques choisies")
    return _("Pas d'exemplaire en bibliothèque")
