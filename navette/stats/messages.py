"""The words of the statistics' refusals, in the reader's language (registered in
``StatsConfig.ready``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from navette.core.errors import Wording

TABLE: dict[str, Wording] = {
    # the month as typed in the period's fields (AAAA-MM)
    "invalid_period": lambda c: (
        _("Mois hors limites : %(month)s. Choisissez un mois entre %(first)d et %(last)d.")
        % {
            "month": f"{c['month'].year:04d}-{c['month'].month:02d}",
            "first": c["first"],
            "last": c["last"],
        }
    ),  # fmt: skip
}
