"""Printed slips: one template per slip, shown as a page with a print stylesheet (the
desk's browser prints it), or rendered as PDF by WeasyPrint for a printer that needs one
(a receipt printer's driver, a slip sent by e-mail)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

#: the slips' own stylesheet: linked from the page, given inline to WeasyPrint (which would
#: otherwise fetch it over HTTP from the server that is rendering it)
PRINT_CSS = "staff/print.css"


def printable(
    request: HttpRequest, template: str, context: dict[str, Any], *, pdf: bool, filename: str
) -> HttpResponse:
    """``template`` as a printable page, or as a PDF document named ``filename``."""
    if not pdf:
        return render(request, template, {**context, "pdf": False})
    # WeasyPrint loads Pango and parses its stylesheets (half a second of CPU): only when a
    # PDF is asked, not when each web worker starts
    from weasyprint import CSS, HTML  # noqa: PLC0415

    html = render_to_string(template, {**context, "pdf": True}, request=request)
    found = finders.find(PRINT_CSS)
    css = Path(str(found)).read_text(encoding="utf-8") if found else ""
    document = HTML(string=html).write_pdf(stylesheets=[CSS(string=css)])
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
