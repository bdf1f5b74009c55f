"""The words of the network's refusals, in the reader's language (registered in
``NetworkConfig.ready``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from navette.core.errors import Wording


def _out_of_scope(c: Mapping[str, Any]) -> str:
    places = c.get("libraries") or []
    if not places:
        return _("Seuls les administrateurs du réseau peuvent agir pour tout le réseau.")
    if len(places) == 1:
        return _("Vous ne travaillez pas à %(library)s.") % {"library": places[0]}
    return _("Vous ne travaillez ni à %(first)s ni à %(second)s.") % {
        "first": places[0],
        "second": places[1],
    }


TABLE: dict[str, Wording] = {
    "forbidden_library": _out_of_scope,
    "not_cataloguer": lambda c: _(
        "Seuls les catalogueurs, les bibliothécaires et les administrateurs du réseau "
        "modifient les notices."
    ),
    "forbidden_role": lambda c: _(
        "Seuls les catalogueurs et les administrateurs du réseau peuvent fusionner des notices."
    ),
}
