"""Writes to the network: loading libraries from a CSV file, hours, closures."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import ngettext

from navette.network.models import Closure, Library, Network, OpeningPeriod

REQUIRED_COLUMNS = ("commune", "name")
KNOWN_COLUMNS = (
    "code", "commune", "name", "phone", "phone_alt", "street", "postcode", "city",
    "email", "website", "latitude", "longitude", "note",
)  # fmt: skip
_GENERIC_WORDS = {"mediatheque", "bibliotheque", "pole", "de", "d", "la", "le", "l", "municipale"}
_PHONE_IN_NOTE = re.compile(
    r"(?:second|autre|other)\s+(?:phone|téléphone|tel\.?)\s*:?\s*([0-9 .]{10,})", re.I
)


class NetworkFileError(Exception):
    """The CSV file cannot be read at all (missing file, missing columns)."""


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def __str__(self) -> str:
        n_errors = len(self.errors)
        text = ", ".join(
            (
                ngettext("%(n)d bibliothèque créée", "%(n)d bibliothèques créées", self.created)
                % {"n": self.created},
                ngettext("%(n)d mise à jour", "%(n)d mises à jour", self.updated)
                % {"n": self.updated},
                ngettext("%(n)d inchangée", "%(n)d inchangées", self.unchanged)
                % {"n": self.unchanged},
                ngettext("%(n)d erreur", "%(n)d erreurs", n_errors) % {"n": n_errors},
            )
        )
        return text


def library_code(commune: str, name: str, commune_is_shared: bool) -> str:
    """A stable code: the commune, plus the distinctive part of the name when a
    commune has several libraries ('avion-emile-zola', 'lievin-gambetta')."""
    if not commune_is_shared:
        return slugify(commune)[:40]
    words = [w for w in slugify(name).split("-") if w not in _GENERIC_WORDS]
    return slugify(f"{commune} {' '.join(words)}")[:40]


def _decimal_or_none(raw: str, line: int, column: str) -> str | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        float(raw)
    except ValueError:
        raise ValueError(f"colonne {column} : « {raw} » n'est pas un nombre") from None
    return raw


def load_network_csv(path: Path | str, *, network_name: str | None = None) -> LoadReport:
    """Create or update the libraries listed in a CSV file, idempotently.

    Rows are matched on their code (given in a ``code`` column, or derived from
    commune and name). A bad row is reported with its line number; the other
    rows load. Raises ``NetworkFileError`` if the file itself is unusable.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NetworkFileError(f"{path} : fichier introuvable") from None
    except UnicodeDecodeError as exc:
        raise NetworkFileError(f"{path} : le fichier n'est pas en UTF-8 ({exc})") from None
    reader = csv.DictReader(text.splitlines())
    columns = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise NetworkFileError(
            ngettext("%(path)s : colonne manquante : %(cols)s",
                     "%(path)s : colonnes manquantes : %(cols)s", len(missing))
            % {"path": path, "cols": ", ".join(missing)}
        )  # fmt: skip
    rows = list(enumerate(reader, start=2))
    commune_counts = Counter((row.get("commune") or "").strip() for _, row in rows)
    report = LoadReport()
    with transaction.atomic():
        network = Network.objects.order_by("pk").first()
        if network is None:
            network = Network.objects.create(name=network_name or "Réseau de bibliothèques")
        elif network_name and network.name != network_name:
            network.name = network_name
            network.save(update_fields=["name"])
        for line, row in rows:
            try:
                _load_row(network, row, commune_counts, report)
            except ValueError as exc:
                report.errors.append((line, f"{path.name}, ligne {line} : {exc}"))
    return report


def _load_row(
    network: Network, row: dict[str, str], commune_counts: Counter[str], report: LoadReport
) -> None:
    values = {k: (row.get(k) or "").strip() for k in KNOWN_COLUMNS}
    if not values["commune"] or not values["name"]:
        raise ValueError("commune et nom sont obligatoires")
    note = values["note"]
    phone_alt = values["phone_alt"]
    match = _PHONE_IN_NOTE.search(note)
    if match and not phone_alt:
        phone_alt = match.group(1).strip()
        note = (note[: match.start()] + note[match.end() :]).strip(" ,;")
    code = values["code"] or library_code(
        values["commune"], values["name"], commune_counts[values["commune"]] > 1
    )
    wanted = {
        "network": network,
        "name": values["name"],
        "commune": values["commune"],
        "street": values["street"],
        "postcode": values["postcode"],
        "city": values["city"] or values["commune"],
        "phone": values["phone"],
        "phone_alt": phone_alt,
        "email": values["email"],
        "website": values["website"],
        "note": note,
    }
    for column in ("latitude", "longitude"):
        if values[column]:
            wanted[column] = _decimal_or_none(values[column], 0, column)
    library = Library.objects.filter(code=code).first()
    if library is None:
        Library.objects.create(code=code, **wanted)
        report.created += 1
        return
    changed = [
        name for name, value in wanted.items()
        if str(getattr(library, name) if name != "network" else library.network) != str(value)
    ]  # fmt: skip
    if not changed:
        report.unchanged += 1
        return
    for name in changed:
        setattr(library, name, wanted[name])
    library.save(update_fields=changed)
    report.updated += 1


@transaction.atomic
def library_set_week(
    library: Library, week: dict[int, list[tuple[dt.time, dt.time]]], *, examples: bool
) -> None:
    """Replace a library's weekly opening ranges."""
    OpeningPeriod.objects.filter(library=library).delete()
    OpeningPeriod.objects.bulk_create(
        OpeningPeriod(library=library, weekday=wd, opens=o, closes=c)
        for wd, ranges in week.items()
        for o, c in ranges
    )
    if library.hours_are_examples != examples:
        library.hours_are_examples = examples
        library.save(update_fields=["hours_are_examples"])


def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def french_public_holidays(year: int) -> list[tuple[dt.date, str]]:
    easter = easter_sunday(year)
    return [
        (dt.date(year, 1, 1), "Jour de l'an"),
        (easter + dt.timedelta(days=1), "Lundi de Pâques"),
        (dt.date(year, 5, 1), "Fête du Travail"),
        (dt.date(year, 5, 8), "Victoire 1945"),
        (easter + dt.timedelta(days=39), "Ascension"),
        (easter + dt.timedelta(days=50), "Lundi de Pentecôte"),
        (dt.date(year, 7, 14), "Fête nationale"),
        (dt.date(year, 8, 15), "Assomption"),
        (dt.date(year, 11, 1), "Toussaint"),
        (dt.date(year, 11, 11), "Armistice 1918"),
        (dt.date(year, 12, 25), "Noël"),
    ]


@transaction.atomic
def network_declare_public_holidays(year: int) -> int:
    """Declare France's public holidays of ``year`` as network-wide closed days.

    Idempotent: a holiday already declared is not declared twice.
    """
    created = 0
    for day, reason in french_public_holidays(year):
        _, was_created = Closure.objects.get_or_create(
            library=None, start_date=day, end_date=day, defaults={"reason": reason}
        )
        created += int(was_created)
    return created
