"""What a search result says of its copies, in the reader's language (the interfaces word a
``selectors.ResultRow`` with this; the selector returns the libraries and the count)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from navette.core.formats import short_date
from navette.search.member_availability import CopyState, LiveState
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
    if not copies and row.member_copies:
        return ""  # the member libraries' lines say it
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


def member_copy_state(state: LiveState) -> str:
    """A member library's copy (or copies) as its system says: "Disponible", "En prêt
    jusqu'au 12/01/2027", "Indisponible", "Disponibilité non connue"."""
    if state.state == CopyState.AVAILABLE:
        return _("Disponible")
    if state.state == CopyState.ON_LOAN:
        if state.due_on is not None:
            return _("En prêt jusqu'au %(date)s") % {"date": short_date(state.due_on)}
        return _("En prêt")
    if state.state == CopyState.UNAVAILABLE:
        return _("Indisponible")
    return _("Disponibilité non connue")


def member_copy_pending() -> str:
    return _("Disponibilité en cours de vérification…")
