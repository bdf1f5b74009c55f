"""OpenDocument spreadsheets (ODS) for exports, written with odfpy.

Every text cell is written as a string cell (``office:value-type="string"``): a spreadsheet
never evaluates a string cell, so text typed by anyone (``=HYPERLINK(...)``) stays text,
without the apostrophe the CSV exports need (navette.core.csvexport). Numbers are float cells.
A row may carry a style: ``"heading"`` (bold) for section and column titles.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from odf.opendocument import OpenDocumentSpreadsheet
from odf.style import Style, TableColumnProperties, TextProperties
from odf.table import Table, TableCell, TableColumn, TableRow
from odf.text import P

#: characters a sheet name may not hold (LibreOffice refuses them)
_FORBIDDEN = str.maketrans({c: " " for c in "[]*?:/\\'"})


@dataclass
class Sheet:
    name: str
    rows: list[tuple[Sequence[Any], str]] = field(default_factory=list)
    #: column widths in centimetres (the first ones; the others take the default)
    widths: Sequence[float] = ()

    def add(self, cells: Sequence[Any], style: str = "") -> None:
        self.rows.append((cells, style))


def _cell(value: Any, style: Style | None) -> TableCell:
    if value is None or value == "":
        return TableCell()
    if isinstance(value, int | float) and not isinstance(value, bool):
        cell = TableCell(valuetype="float", value=value)
    elif style is not None:
        cell = TableCell(valuetype="string", stylename=style)
    else:
        cell = TableCell(valuetype="string")
    cell.addElement(P(text=str(value)))
    return cell


def ods_bytes(sheets: Iterable[Sheet]) -> bytes:
    """The spreadsheet, one table per sheet, as the bytes of an .ods file."""
    doc = OpenDocumentSpreadsheet()
    bold = Style(name="heading", family="table-cell")
    bold.addElement(TextProperties(fontweight="bold"))
    doc.automaticstyles.addElement(bold)
    used: set[str] = set()
    for sheet in sheets:
        name = sheet.name.translate(_FORBIDDEN).strip()[:31] or "Feuille"
        while name in used:
            name = name[:28] + f" {len(used)}"
        used.add(name)
        table = Table(name=name)
        for i, width in enumerate(sheet.widths):
            column_style = Style(name=f"col-{name}-{i}", family="table-column")
            column_style.addElement(TableColumnProperties(columnwidth=f"{width}cm"))
            doc.automaticstyles.addElement(column_style)
            table.addElement(TableColumn(stylename=column_style))
        for cells, style in sheet.rows:
            row = TableRow()
            for value in cells:
                row.addElement(_cell(value, bold if style == "heading" else None))
            table.addElement(row)
        doc.spreadsheet.addElement(table)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()
