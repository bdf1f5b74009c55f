"""Circulation statistics for the network's staff (statisticians, librarians, administrators):
loans, returns, renewals, holds and the navette per library, loans by document type,
patron category, age band and borrower's library, month by month; CSV export. Read from the
anonymous facts only."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.utils.translation import gettext as _

from navette.catalogue.models import DocType
from navette.core import clock, formats
from navette.core.actors import Actor
from navette.core.csvexport import csv_writer
from navette.network.models import Library
from navette.network.scope import scope_check, statistics_libraries
from navette.network.selectors import in_french_order
from navette.patrons.models import PatronCategory
from navette.staff import charts
from navette.staff.exports import tables_response
from navette.staff.permissions import staff_required
from navette.stats import selectors


def _filters(request: HttpRequest) -> tuple[dt.date, dt.date, Library | None]:
    """The period and the library asked for. A librarian reads the statistics of the
    libraries of the account only: by default the first of them; another one is refused
    (``OutOfScope``: 403, audited)."""
    month_from, month_to = request.GET.get("de", ""), request.GET.get("a", "")
    start, end = selectors.month_bounds(month_from, month_to, clock.today())
    code = request.GET.get("bibliotheque", "")
    library = Library.objects.filter(code=code).first() if code else None
    readable = statistics_libraries(request.user)
    if readable is not None:
        if library is None:
            library = next(iter(in_french_order(readable)), None)
        if library is None or not readable.filter(pk=library.pk).exists():
            scope_check(actor=Actor.staff(request.user),
                        library_ids=[library.pk if library else None],
                        action="stats.read", now=clock.now())  # fmt: skip
    return start, end, library


def _libraries(request: HttpRequest) -> QuerySet[Library]:
    """The libraries the user may choose (and whose rows the per-library table shows)."""
    readable = statistics_libraries(request.user)
    return readable if readable is not None else Library.objects.all()


@staff_required
def circulation(request: HttpRequest) -> HttpResponse:
    try:
        start, end, library = _filters(request)
    except selectors.InvalidPeriod as exc:
        return render(request, "staff/stats/invalid.html", {"error": exc.message}, status=400)
    return render(request, "staff/stats/circulation.html", _context(request, start, end, library))


def _context(
    request: HttpRequest, start: dt.date, end: dt.date, library: Library | None
) -> dict[str, Any]:
    """What the statistics page shows (and its exports write), for the user's libraries."""
    choices = _libraries(request)
    mine = set(choices.values_list("pk", flat=True))
    by_library = [r for r in selectors.by_library(start, end) if r.library.pk in mine]
    doc_labels = dict(DocType.choices)
    categories = dict(PatronCategory.objects.values_list("code", "label"))
    libraries = {str(lib.pk): str(lib) for lib in Library.objects.all()}

    def labelled(dimension: str, labels: dict[str, str]) -> list[tuple[str, int, int]]:
        return [
            (labels.get(s.key, s.key) or "—", s.count, s.percent)
            for s in selectors.checkouts_by(dimension, start, end, library)
        ]

    months = selectors.checkouts_by_month(start, end, library)
    before = selectors.checkouts_by_month(
        _year_before(start), _year_before(end, last=True), library
    )
    peak = max((n for _m, n in months), default=0)
    borrowers = selectors.active_borrowers_by_month(end.year, library)
    by_doc_type = labelled("doc_type", {str(k): str(v) for k, v in doc_labels.items()})
    month_names = [formats.month_short(m) for m, _n in months]
    query = urlencode(
        {"de": start.strftime("%Y-%m"), "a": end.strftime("%Y-%m"),
         "bibliotheque": library.code if library else ""}
    )  # fmt: skip
    return {
            "start": start, "end": end, "library": library,
            "libraries": in_french_order(choices),
            "whole_network": statistics_libraries(request.user) is None,
            "by_library": by_library,
            "totals": {
                "checkouts": sum(r.checkouts for r in by_library),
                "checkins": sum(r.checkins for r in by_library),
                "renewals": sum(r.renewals for r in by_library),
                "holds_placed": sum(r.holds_placed for r in by_library),
                "holds_fulfilled": sum(r.holds_fulfilled for r in by_library),
                "transits_sent": sum(r.transits_sent for r in by_library),
            },
            "by_doc_type": by_doc_type,
            "months_chart": charts.columns(
                month_names, [[n for _m, n in months], [n for _m, n in before]]
            ),
            "months_legend": [f"{start:%Y}–{end:%Y}" if start.year != end.year else str(end.year),
                              str(end.year - 1) if start.year == end.year else _("un an plus tôt")],
            "borrowers": borrowers,
            "borrowers_chart": charts.columns(
                [formats.month_short(m) for m, _n in borrowers], [[n for _m, n in borrowers]]
            ),
            "media_chart": charts.shares(by_doc_type),
            "by_category": labelled("patron_category", categories),
            "by_age": labelled("age_band", {}),
            "by_home": labelled("home_library", libraries),
            "months": [
                (m, n, round(100 * n / peak) if peak else 0, b)
                for (m, n), (_b, b) in zip(months, before, strict=False)
            ],
            "query": query,
        }  # fmt: skip


def _year_before(day: dt.date, *, last: bool = False) -> dt.date:
    """The same day a year earlier (the last day of that month for ``last``)."""
    first = day.replace(year=day.year - 1, day=1)
    if not last:
        return first
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


@staff_required
def circulation_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    try:
        start, end, library = _filters(request)
    except selectors.InvalidPeriod as exc:
        return HttpResponseBadRequest(exc.message, content_type="text/plain; charset=utf-8")

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv_writer(Echo(), delimiter=";")
    lines = (
        writer.writerow(row)
        for row in [selectors.CSV_HEADER, *selectors.csv_rows(start, end, library)]
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    name = f"circulation-{start:%Y-%m}-{end:%Y-%m}{'-' + library.code if library else ''}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _tables(context: dict[str, Any]) -> list[tuple[str, str, list[str], list[list[Any]]]]:
    """Every table of the page: (slug, title, header, rows), in the page's order."""
    loans, share = _("Prêts"), "%"
    return [
        ("bibliotheques", _("Par bibliothèque"),
         [_("Bibliothèque"), loans, _("dont lecteurs d'une autre bibliothèque"), _("Retours"),
          _("Prolongations"), _("Réservations posées"), _("Réservations satisfaites"),
          _("Envois en navette")],
         [[str(r.library), r.checkouts, r.checkouts_visitors, r.checkins, r.renewals,
           r.holds_placed, r.holds_fulfilled, r.transits_sent] for r in context["by_library"]]),
        ("mois", _("Prêts par mois"), [_("Mois"), loans, _("Un an plus tôt")],
         [[formats.month_year(m), n, b] for m, n, _pct, b in context["months"]]),
        ("emprunteurs", _("Emprunteurs actifs cumulés par mois"),
         [_("Mois"), _("Emprunteurs actifs depuis janvier")],
         [[formats.month_year(m), n] for m, n in context["borrowers"]]),
        ("types", _("Prêts par type de document"), [_("Type de document"), loans, share],
         [list(row) for row in context["by_doc_type"]]),
        ("categories", _("Prêts par catégorie de lecteur"), [_("Catégorie"), loans, share],
         [list(row) for row in context["by_category"]]),
        ("ages", _("Prêts par tranche d'âge"), [_("Tranche d'âge"), loans, share],
         [list(row) for row in context["by_age"]]),
        ("origine", _("Prêts par bibliothèque d'inscription du lecteur"),
         [_("Bibliothèque d'inscription"), loans, share],
         [list(row) for row in context["by_home"]]),
    ]  # fmt: skip


@staff_required
def circulation_table(request: HttpRequest, table: str, extension: str) -> HttpResponse:
    """One table of the page as CSV, or every table as ODS (one sheet each)."""
    try:
        start, end, library = _filters(request)
    except selectors.InvalidPeriod as exc:
        return HttpResponseBadRequest(exc.message, content_type="text/plain; charset=utf-8")
    tables = _tables(_context(request, start, end, library))
    name = f"statistiques-{start:%Y-%m}-{end:%Y-%m}{'-' + library.code if library else ''}"
    return tables_response(tables, table=table, extension=extension, name=name, widths=(7,))
