"""The ministry's annual report (SCRIB survey) for the staff: one site or the network, as a
page and as CSV or ODS laid out like the form (section, code, question, answer, method);
figures to type by hand are listed as such."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from navette.catalogue.models import DocType
from navette.circulation.policies import RuleRow
from navette.core import clock
from navette.core.csvexport import csv_writer
from navette.core.odsexport import Sheet, ods_bytes
from navette.network.models import Library
from navette.patrons.models import PatronCategory
from navette.reports.annual import Report, annual_report
from navette.reports.simulator import rules_replay
from navette.staff.permissions import network_admin_required, staff_required

FIRST_YEAR = 2000


class _BadYear(Exception):
    pass


def _choice(request: HttpRequest) -> tuple[int, Library | None]:
    this_year = clock.today().year
    raw = request.GET.get("annee", "").strip()
    if raw:
        if not raw.isdigit() or not FIRST_YEAR <= int(raw) <= this_year:
            raise _BadYear(
                _("Année hors limites : %(year)s. Choisissez une année entre %(first)d et "
                  "%(last)d.") % {"year": raw[:10], "first": FIRST_YEAR, "last": this_year}
            )  # fmt: skip
        year = int(raw)
    else:
        year = this_year - 1
    code = request.GET.get("bibliotheque", "")
    library = Library.objects.filter(code=code).first() if code else None
    return year, library


def _bad(request: HttpRequest, exc: _BadYear) -> HttpResponse:
    return render(request, "staff/stats/invalid.html", {"error": str(exc)}, status=400)


def report_lines(report: Report) -> Iterator[tuple[list[Any], str]]:
    """The report as the form's lines: (cells, style), for the CSV and the ODS alike."""
    where = report.library.name if report.library else _("Réseau (unité administrative)")
    yield [_("Rapport annuel %(year)d") % {"year": report.year}, str(where)], "heading"
    yield [_("Code"), _("Question"), _("Réponse"), _("Mode de calcul")], "heading"
    for section in report.sections:
        yield [section.code, str(section.title), "", ""], "heading"
        for figure in section.figures:
            answer: Any = _("à saisir") if figure.manual else figure.total
            yield [figure.code, str(figure.label), answer, str(figure.how)], ""
            for key, n in figure.rows:
                yield ["", key or "—", n, ""], ""


def _name(report: Report) -> str:
    place = report.library.code if report.library else "reseau"
    return f"rapport-annuel-{report.year}-{place}"


@staff_required
def annual(request: HttpRequest) -> HttpResponse:
    try:
        year, library = _choice(request)
    except _BadYear as exc:
        return _bad(request, exc)
    report = annual_report(year, library)
    query = f"annee={year}&bibliotheque={library.code if library else ''}"
    return render(
        request,
        "staff/stats/annual.html",
        {"report": report, "year": year, "library": library, "query": query,
         "years": range(clock.today().year, FIRST_YEAR - 1, -1),
         "libraries": Library.objects.order_by("commune", "name")},
    )  # fmt: skip


@staff_required
def annual_csv(request: HttpRequest) -> HttpResponse:
    try:
        year, library = _choice(request)
    except _BadYear as exc:
        return _bad(request, exc)
    report = annual_report(year, library)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_name(report)}.csv"'
    writer = csv_writer(response, delimiter=";")
    for cells, _style in report_lines(report):
        writer.writerow(cells)
    return response


@staff_required
def annual_ods(request: HttpRequest) -> HttpResponse:
    """The network's report and, for the network, one sheet per site after it."""
    try:
        year, library = _choice(request)
    except _BadYear as exc:
        return _bad(request, exc)
    reports = [annual_report(year, library)]
    if library is None:
        reports += [annual_report(year, lib) for lib in Library.objects.order_by("commune")]
    sheets = []
    for report in reports:
        sheet = Sheet(report.library.commune if report.library else _("Réseau"),
                      widths=(1.5, 9, 3, 14))  # fmt: skip
        for cells, style in report_lines(report):
            sheet.add(cells, style)
        sheets.append(sheet)
    response = HttpResponse(
        ods_bytes(sheets), content_type="application/vnd.oasis.opendocument.spreadsheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{_name(reports[0])}.ods"'
    return response


def _optional_int(request: HttpRequest, name: str, errors: list[str], label: str) -> int | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) > 999:
        errors.append(_("%(field)s : un nombre entier entre 0 et 999.") % {"field": label})
        return None
    return int(raw)


@network_admin_required
def simulator(request: HttpRequest) -> HttpResponse:
    """A draft change of one loan rule replayed over the last 12 months of facts; the
    published rules are never changed (they are edited in the administration)."""
    errors: list[str] = []
    impact = None
    library = Library.objects.filter(code=request.GET.get("bibliotheque", "")).first()
    category = PatronCategory.objects.filter(code=request.GET.get("categorie", "")).first()
    doc_type = request.GET.get("type", "")
    if doc_type not in {str(k) for k, _v in DocType.choices}:
        doc_type = ""
    values: dict[str, Any] = {
        "loan_days": _optional_int(request, "duree", errors, _("Durée du prêt (jours)")),
        "max_loans": _optional_int(request, "maximum", errors, _("Nombre de prêts maximum")),
        "max_renewals": _optional_int(request, "prolongations", errors,
                                      _("Prolongations maximum")),
    }  # fmt: skip
    asked = any(v is not None for v in values.values())
    if asked and not errors:
        change = RuleRow(
            library_id=library.pk if library else None,
            category_id=category.pk if category else None, doc_type=doc_type, **values,
        )  # fmt: skip
        impact = rules_replay(change=change, today=clock.today())
    libraries = {lib.pk: str(lib) for lib in Library.objects.all()}
    docs = {str(k): str(v) for k, v in DocType.choices}
    return render(
        request,
        "staff/stats/simulator.html",
        {
            "errors": errors, "impact": impact, "library": library, "category": category,
            "doc_type": doc_type, "values": request.GET,
            "libraries": Library.objects.order_by("commune", "name"),
            "categories": PatronCategory.objects.all(), "doc_types": DocType.choices,
            "by_library": sorted(((libraries.get(k, "—") if k else "—", n) for k, n in
                                  impact.refused_by_library.items()), key=lambda r: -r[1])
            if impact else [],
            "by_doc_type": sorted(((docs.get(k, k), n) for k, n in
                                   impact.refused_by_doc_type.items()), key=lambda r: -r[1])
            if impact else [],
            "by_age": sorted(impact.refused_by_age_group.items()) if impact else [],
        },
        status=400 if errors else 200,
    )  # fmt: skip
