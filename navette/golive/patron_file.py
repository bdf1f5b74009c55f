"""The patron file a member library deposits when its system has no online interface
(issue 22): its cards, validity, categories and birth dates, read with the go-live mapping
(docs/go-live.md: the ``patrons`` columns and the ``category`` codes, Koha's preset).

Only what the login needs is kept (``PatronFileEntry``): the card, the category, the end
of membership, the birth year (for the age band) and a keyed digest of the birth date
(to check a first login); names and contact details are read past, never stored.

A file replaces the library's previous one in one transaction, and only when every row
reads: a file with a bad row changes nothing, and the report says which line and why.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from navette.golive.mapping import Mapping, parse_date
from navette.network.models import Library
from navette.patrons.federation import birth_date_digest
from navette.patrons.models import PatronFileEntry


@dataclass(frozen=True)
class Rejected:
    line: int
    code: str  # card_missing, card_twice, bad_date, column_missing, not_utf8
    detail: str = ""


@dataclass
class PatronFileReport:
    loaded: int = 0
    removed: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        return not self.rejected


def patron_file_load(
    *, library: Library, path: Path, mapping: Mapping, now: dt.datetime
) -> PatronFileReport:
    """Replace ``library``'s deposited patron file with the CSV at ``path``.

    Rows are read with ``mapping`` (columns ``card``, ``category``, ``expires_on``,
    ``birth_date``; category codes through ``[codes.category]``). When any row is
    rejected nothing is written and the report lists every rejected line.
    """
    report = PatronFileReport()
    entries: dict[str, PatronFileEntry] = {}
    column = {name: mapping.column("patrons", name) for name in
              ("card", "category", "expires_on", "birth_date")}  # fmt: skip
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle, delimiter=mapping.delimiter)
            if column["card"] not in (reader.fieldnames or ()):
                report.rejected.append(Rejected(1, "column_missing", column["card"]))
                return report
            for record in reader:
                line = reader.line_num
                values = {n: (record.get(c) or "").strip() for n, c in column.items()}
                card = values["card"].replace(" ", "").upper()
                if not card:
                    report.rejected.append(Rejected(line, "card_missing"))
                    continue
                if card in entries:
                    report.rejected.append(Rejected(line, "card_twice", card))
                    continue
                dates: dict[str, dt.date | None] = {}
                for name in ("expires_on", "birth_date"):
                    try:
                        dates[name] = (
                            parse_date(values[name], mapping.date_formats) if values[name] else None
                        )
                    except ValueError:
                        report.rejected.append(Rejected(line, "bad_date", f"{name}={values[name]}"))
                        break
                else:
                    birth = dates["birth_date"]
                    entries[card] = PatronFileEntry(
                        library=library, card_number=card,
                        category=mapping.code("category", values["category"])[:60],
                        expires_on=dates["expires_on"],
                        birth_year=birth.year if birth else None,
                        birth_date_digest=birth_date_digest(card, birth) if birth else "",
                        loaded_at=now,
                    )  # fmt: skip
    except UnicodeDecodeError as exc:
        report.rejected.append(Rejected(0, "not_utf8", exc.reason))
    except csv.Error as exc:
        report.rejected.append(Rejected(0, "csv", str(exc)))
    if report.rejected:
        return report
    with transaction.atomic():
        removed, _detail = PatronFileEntry.objects.filter(library=library).delete()
        PatronFileEntry.objects.bulk_create(entries.values(), batch_size=2000)
    report.loaded, report.removed = len(entries), removed
    return report
