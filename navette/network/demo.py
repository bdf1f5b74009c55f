"""Demo part of the network: the 27 Relire libraries, example hours, holidays."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from navette.core import clock
from navette.network.models import Library, OpeningPeriod
from navette.network.services import (
    library_set_week,
    load_network_csv,
    network_declare_public_holidays,
)

DATA = Path(__file__).parent / "data" / "relire-libraries.csv"
NETWORK_NAME = "Relire — Bibliothèques en réseau de Lens-Liévin"
LARGE_COMMUNES = {"Lens", "Liévin", "Avion", "Harnes"}


def _t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def example_week(commune: str) -> dict[int, list[tuple[dt.time, dt.time]]]:
    """Example hours: the press kit gives none. Larger libraries open longer."""
    afternoon = [(_t("14:00"), _t("18:00"))]
    split = [(_t("10:00"), _t("12:00")), (_t("14:00"), _t("18:00"))]
    if commune in LARGE_COMMUNES:
        return {
            1: split, 2: [(_t("10:00"), _t("18:00"))], 3: afternoon, 4: split,
            5: [(_t("10:00"), _t("17:00"))],
        }  # fmt: skip
    return {1: afternoon, 2: split, 4: afternoon, 5: [(_t("10:00"), _t("12:30"))]}


def load(ctx) -> None:
    report = load_network_csv(DATA, network_name=NETWORK_NAME)
    ctx.log(f"Réseau : {report}")
    for library in Library.objects.all():
        if not OpeningPeriod.objects.filter(library=library).exists():
            library_set_week(library, example_week(library.commune), examples=True)
    year = clock.today().year
    for y in (year, year + 1):
        network_declare_public_holidays(y)
