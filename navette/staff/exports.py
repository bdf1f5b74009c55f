"""The statistics pages' tables as files: one table as CSV, or every table as ODS (a sheet
each). A table is ``(slug, title, header, rows)``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import Http404, HttpResponse

from navette.core.csvexport import csv_writer
from navette.core.odsexport import Sheet, ods_bytes

Table = tuple[str, str, Sequence[Any], Sequence[Sequence[Any]]]


def tables_response(
    tables: Sequence[Table], *, table: str, extension: str, name: str, widths: tuple[int, ...]
) -> HttpResponse:
    """``name``.ods with every table, or ``name``-``table``.csv with the one asked (404 for
    a table that does not exist)."""
    if extension == "ods":
        sheets = []
        for _slug, title, header, rows in tables:
            sheet = Sheet(title, widths=widths)
            sheet.add(header, "heading")
            for row in rows:
                sheet.add(row)
            sheets.append(sheet)
        response = HttpResponse(
            ods_bytes(sheets), content_type="application/vnd.oasis.opendocument.spreadsheet"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.ods"'
        return response
    found = next((t for t in tables if t[0] == table), None)
    if found is None:
        raise Http404(table)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{table}.csv"'
    writer = csv_writer(response, delimiter=";")
    writer.writerow(found[2])
    writer.writerows(found[3])
    return response
