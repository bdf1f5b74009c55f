"""Usage for the network's councils and vendors: online resources and event registrations
by the patron's library (members attached through a connector or served by Navette) and by
commune, month by month, as a page and as CSV or ODS. Anonymous figures only."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from navette.core import clock, formats
from navette.network.scope import statistics_libraries
from navette.reports.usage import CommuneRow, UsageRow, usage_by_commune, usage_by_library
from navette.staff.exports import tables_response
from navette.staff.permissions import staff_required
from navette.stats import selectors


def _period(request: HttpRequest) -> tuple[dt.date, dt.date]:
    return selectors.month_bounds(
        request.GET.get("de", ""), request.GET.get("a", ""), clock.today()
    )


def _rows(request: HttpRequest, start: dt.date, end: dt.date) -> list[UsageRow]:
    readable = statistics_libraries(request.user)
    ids = None if readable is None else set(readable.values_list("pk", flat=True))
    return usage_by_library(start, end, ids)


def _tokens(halves: int) -> int | float:
    """Tokens as a number for the spreadsheets: whole when they are (half tokens exist)."""
    return halves / 2 if halves % 2 else halves // 2


def _tables(
    rows: list[UsageRow], communes: list[CommuneRow]
) -> list[tuple[str, str, list[str], list[list[Any]]]]:
    """(slug, title, header, rows) of the page's tables, for the page and the exports."""
    figures = [_("Lancements de ressources en ligne"), _("Jetons dépensés"),
               _("Inscriptions aux événements"), _("Places réservées")]  # fmt: skip
    nobody = _("Sans bibliothèque (invités)")
    return [
        ("bibliotheques", _("Par bibliothèque du lecteur"),
         [_("Mois"), _("Commune"), _("Bibliothèque"), *figures],
         [[formats.month_year(r.month), r.library.commune if r.library else "",
           r.library.name if r.library else nobody, r.launches, _tokens(r.tokens_halves),
           r.registrations, r.seats] for r in rows]),
        ("communes", _("Par commune"), [_("Mois"), _("Commune"), *figures],
         [[formats.month_year(r.month), r.commune or nobody, r.launches,
           _tokens(r.tokens_halves), r.registrations, r.seats] for r in communes]),
    ]  # fmt: skip


@staff_required
def usage(request: HttpRequest) -> HttpResponse:
    try:
        start, end = _period(request)
    except selectors.InvalidPeriod as exc:
        return render(request, "staff/stats/invalid.html", {"error": exc.message}, status=400)
    rows = _rows(request, start, end)
    communes = usage_by_commune(rows)
    query = urlencode({"de": f"{start:%Y-%m}", "a": f"{end:%Y-%m}"})
    return render(request, "staff/stats/usage.html", {
        "start": start, "end": end, "tables": _tables(rows, communes), "query": query,
        "whole_network": statistics_libraries(request.user) is None,
    })  # fmt: skip


@staff_required
def usage_export(request: HttpRequest, table: str, extension: str) -> HttpResponse:
    """One table as CSV, or both as ODS (a sheet each)."""
    try:
        start, end = _period(request)
    except selectors.InvalidPeriod as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    rows = _rows(request, start, end)
    tables = _tables(rows, usage_by_commune(rows))
    name = f"usages-{start:%Y-%m}-{end:%Y-%m}"
    return tables_response(tables, table=table, extension=extension, name=name, widths=(4, 5, 8))
