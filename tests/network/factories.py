"""Network factories: the network, libraries and their opening hours, straight through the ORM."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable

from navette.network.models import Library, Network, OpeningPeriod

_seq = itertools.count(1)

#: Tuesday to Saturday (Monday is 0)
TUESDAY_TO_SATURDAY = (1, 2, 3, 4, 5)


def make_network(*, name: str = "Réseau test") -> Network:
    """The network of the test database (created once)."""
    return Network.objects.order_by("pk").first() or Network.objects.create(name=name)


def make_library(
    *,
    code: str = "",
    name: str = "",
    commune: str = "",
    network: Network | None = None,
    **fields: object,
) -> Library:
    n = next(_seq)
    code = code or f"bib-{n}"
    values: dict[str, object] = {
        "street": "1 rue des Livres", "postcode": "62300", "city": "Lens", **fields,
    }  # fmt: skip
    return Library.objects.create(
        network=network or make_network(), code=code, name=name or f"Médiathèque {code}",
        commune=commune or f"Ville {n}", **values,
    )  # fmt: skip


def make_opening_hours(
    *,
    libraries: Iterable[Library],
    weekdays: Iterable[int] = TUESDAY_TO_SATURDAY,
    opens: dt.time = dt.time(10),
    closes: dt.time = dt.time(18),
) -> list[OpeningPeriod]:
    """The same opening hours every given weekday for each library."""
    days = tuple(weekdays)
    return OpeningPeriod.objects.bulk_create(
        OpeningPeriod(library=library, weekday=day, opens=opens, closes=closes)
        for library in libraries
        for day in days
    )
