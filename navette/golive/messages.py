"""The words of the go-live refusals, in the reader's language (registered in
``GoLiveConfig.ready``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from navette.core.errors import Wording

TABLE: dict[str, Wording] = {
    "merge_with_itself": lambda c: _("Un lecteur ne peut être fusionné avec lui-même."),
    "patron_gone": lambda c: _("Ce lecteur n’existe plus."),
}
