"""The mapping file (TOML) that translates a source's export into Navette's columns and codes.

Pure: it reads a TOML document and answers questions about columns, codes and rules; no
database. The format is documented in docs/go-live.md.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: the files of an export, in the order they are brought in, and the columns each may have
#: (Navette's names; a mapping renames the source's columns to these)
KINDS: dict[str, tuple[str, ...]] = {
    "libraries": ("code", "name", "commune"),
    "patrons": (
        "card", "last_name", "first_name", "birth_date", "category", "library", "email",
        "phone", "street", "postcode", "city", "pin_hash", "registered_on", "expires_on",
        "history_opt_in",
    ),
    "copies": ("barcode", "library", "status", "record", "call_number"),
    "loans": ("card", "barcode", "library", "loaned_on", "due_on", "renewals"),
    "holds": (
        "hold_id", "card", "record", "barcode", "pickup_library", "placed_at", "queue",
        "status",
    ),
    "fines": ("fine_id", "card", "barcode", "amount", "created_on"),
    "history": ("day", "library", "action", "doc_type", "patron_category", "age_band"),
}  # fmt: skip
REQUIRED: dict[str, tuple[str, ...]] = {
    "libraries": ("code",),
    "patrons": ("card", "last_name", "first_name", "category", "library"),
    "copies": ("barcode", "library"),
    "loans": ("card", "barcode", "loaned_on", "due_on"),
    "holds": ("card", "pickup_library", "placed_at"),
    "fines": ("card", "barcode", "amount", "created_on"),
    "history": ("day", "library"),
}
#: which code table translates each column holding a code
CODE_TABLES = {
    "category": "category",
    "patron_category": "category",
    "library": "library",
    "pickup_library": "library",
    "status": None,  # per file: copy_status or hold_status
    "doc_type": "doc_type",
    "action": "action",
}

#: Koha's patron import tool (Tools > Import patrons) reads these columns of the borrowers
#: table; the preset reads such a file as it is
KOHA_PATRON_COLUMNS = {
    "card": "cardnumber",
    "last_name": "surname",
    "first_name": "firstname",
    "birth_date": "dateofbirth",
    "category": "categorycode",
    "library": "branchcode",
    "email": "email",
    "phone": "phone",
    "street": "address",
    "postcode": "zipcode",
    "city": "city",
    "pin_hash": "password",
    "registered_on": "dateenrolled",
    "expires_on": "dateexpiry",
    "history_opt_in": "privacy",
}
#: Koha's ``privacy``: 0 keeps the reading history forever, 1 by default, 2 never
KOHA_PRIVACY_OPT_IN = {"0": "1", "1": "0", "2": "0"}

PRESETS = ("generic", "koha")


class MappingError(ValueError):
    """The mapping file is unreadable or says something impossible."""


@dataclass
class Mapping:
    preset: str = "generic"
    #: kind → {navette column: source column}
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    #: kind → file name pattern (``patrons`` reads ``patrons.csv`` and ``patrons.*.csv``)
    files: dict[str, str] = field(default_factory=dict)
    #: table → {source code: navette code}
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    #: categories to create when missing: code → label
    categories: dict[str, str] = field(default_factory=dict)
    delimiter: str = ","
    date_formats: tuple[str, ...] = ("%Y-%m-%d", "%d/%m/%Y")
    #: "exact": patrons with the same normalised names and birth date are merged at apply;
    #: "none": they are listed for a librarian to decide
    merge_patrons: str = "none"
    #: "reject": a copy whose barcode another library holds is rejected (and listed);
    #: "prefix": it is brought in with the library's code before its barcode
    barcode_collision: str = "reject"
    #: a PIN that is not a hash (Koha's import tool takes clear passwords): "hash" or "drop"
    clear_pins: str = "drop"

    def column(self, kind: str, name: str) -> str:
        return self.columns.get(kind, {}).get(name, name)

    def code(self, table: str, value: str) -> str:
        return self.codes.get(table, {}).get(value, value)

    def file_stem(self, kind: str) -> str:
        return self.files.get(kind, kind)


def load_mapping(path: Path | None) -> Mapping:
    """Read a mapping file (or the defaults when ``path`` is None).

    Raises ``MappingError`` saying what is wrong and where.
    """
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise MappingError(f"{path}: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise MappingError(f"{path}: {exc}") from None
    return mapping_from_dict(data, where=str(path or "défauts"))


def mapping_from_dict(data: dict[str, Any], *, where: str = "mapping") -> Mapping:
    known = {"preset", "delimiter", "date_formats", "files", "columns", "codes", "categories",
             "patrons", "copies"}  # fmt: skip
    unknown = sorted(set(data) - known)
    if unknown:
        raise MappingError(f"{where}: clé inconnue {unknown[0]!r}")
    m = Mapping()
    m.preset = str(data.get("preset", "generic"))
    if m.preset not in PRESETS:
        raise MappingError(f"{where}: preset {m.preset!r} inconnu ({', '.join(PRESETS)})")
    if m.preset == "koha":
        m.columns["patrons"] = dict(KOHA_PATRON_COLUMNS)
        m.codes["koha_privacy"] = dict(KOHA_PRIVACY_OPT_IN)
        m.clear_pins = "hash"
    m.delimiter = str(data.get("delimiter", m.delimiter))
    if len(m.delimiter) != 1:
        raise MappingError(f"{where}: delimiter doit être un seul caractère")
    if "date_formats" in data:
        m.date_formats = tuple(str(f) for f in data["date_formats"])
    for kind, stem in _table(data, "files", where).items():
        _known_kind(kind, where)
        m.files[kind] = str(stem)
    for kind, cols in _table(data, "columns", where).items():
        _known_kind(kind, where)
        if not isinstance(cols, dict):
            raise MappingError(f"{where}: [columns.{kind}] doit être une table")
        for name, source in cols.items():
            if name not in KINDS[kind]:
                raise MappingError(f"{where}: [columns.{kind}] colonne inconnue {name!r}")
            m.columns.setdefault(kind, {})[name] = str(source)
    for table, codes in _table(data, "codes", where).items():
        if not isinstance(codes, dict):
            raise MappingError(f"{where}: [codes.{table}] doit être une table")
        m.codes.setdefault(table, {}).update({str(k): str(v) for k, v in codes.items()})
    m.categories = {str(k): str(v) for k, v in _table(data, "categories", where).items()}
    patrons = _table(data, "patrons", where)
    m.merge_patrons = str(patrons.get("merge", m.merge_patrons))
    if m.merge_patrons not in ("none", "exact"):
        raise MappingError(f'{where}: [patrons] merge vaut "none" ou "exact"')
    m.clear_pins = str(patrons.get("clear_pins", m.clear_pins))
    if m.clear_pins not in ("hash", "drop"):
        raise MappingError(f'{where}: [patrons] clear_pins vaut "hash" ou "drop"')
    copies = _table(data, "copies", where)
    m.barcode_collision = str(copies.get("barcode_collision", m.barcode_collision))
    if m.barcode_collision not in ("reject", "prefix"):
        raise MappingError(f'{where}: [copies] barcode_collision vaut "reject" ou "prefix"')
    return m


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise MappingError(f"{where}: [{key}] doit être une table")
    return value


def _known_kind(kind: str, where: str) -> None:
    if kind not in KINDS:
        raise MappingError(f"{where}: fichier inconnu {kind!r} ({', '.join(KINDS)})")


def parse_date(value: str, formats: tuple[str, ...]) -> dt.date:
    """A date in one of ``formats``; raises ValueError otherwise."""
    text = value.strip()
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    # a date-time (Koha exports some dates as "2024-03-01 10:12:00")
    return dt.date.fromisoformat(text[:10])


def parse_bool(value: str) -> bool:
    text = value.strip().lower()
    if text in ("1", "true", "yes", "oui", "o", "y", "vrai"):
        return True
    if text in ("", "0", "false", "no", "non", "n", "faux"):
        return False
    raise ValueError(value)
