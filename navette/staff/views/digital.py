"""Staff pages of the online media library: usage statistics, CSV export, refunds."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from navette.core import clock
from navette.core.actors import Actor
from navette.core.csvexport import csv_writer
from navette.core.errors import DomainError
from navette.digital.formats import format_tokens
from navette.digital.models import EntryKind, TokenEntry
from navette.digital.selectors import (
    network_cap_usage,
    patron_balance,
    patron_entries,
    usage_by_month_resource_library,
)
from navette.digital.services import tokens_refund
from navette.patrons.models import Patron
from navette.staff.permissions import librarian_required, staff_required


def _months(request: HttpRequest) -> tuple[str, str]:
    def clean(value: str) -> str:
        value = value.strip()
        return (
            value
            if len(value) == 7 and value[4] == "-" and value.replace("-", "").isdigit()
            else ""
        )

    return clean(request.GET.get("de", "")), clean(request.GET.get("a", ""))


@staff_required
def usage(request: HttpRequest) -> HttpResponse:
    """Launches and tokens per month, resource and home library; the network's caps."""
    month_from, month_to = _months(request)
    rows = usage_by_month_resource_library(month_from=month_from, month_to=month_to)
    caps = network_cap_usage(clock.now())
    return render(
        request,
        "staff/digital/usage.html",
        {
            "rows": rows, "caps": caps, "month_from": month_from, "month_to": month_to,
            "total_launches": sum(r.launches for r in rows),
            "total_tokens": format_tokens(sum(r.tokens_halves for r in rows)),
            "fmt": format_tokens,
        },
    )  # fmt: skip


@staff_required
def usage_csv(request: HttpRequest) -> HttpResponse:
    month_from, month_to = _months(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="mediatheque-en-ligne-usage.csv"'
    writer = csv_writer(response, delimiter=";")
    writer.writerow(["mois", "ressource", "bibliotheque", "lancements", "jetons"])
    for row in usage_by_month_resource_library(month_from=month_from, month_to=month_to):
        writer.writerow(
            [row.month, row.resource, row.library, row.launches, format_tokens(row.tokens_halves)]
        )
    return response


@librarian_required
def patron_tokens(request: HttpRequest) -> HttpResponse:
    """Find a card and list its token movements, with a refund form on each spend."""
    card = request.GET.get("carte", "").strip()
    patron = Patron.objects.filter(card_number=card).first() if card else None
    return render(
        request,
        "staff/digital/tokens.html",
        {
            "card": card, "patron": patron,
            "balance": patron_balance(patron, clock.now()) if patron else None,
            "entries": patron_entries(patron, limit=50) if patron else [],
            "spend": EntryKind.SPEND,
        },
    )  # fmt: skip


@librarian_required
@require_POST
def refund(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(TokenEntry.objects.select_related("patron"), pk=pk)
    try:
        tokens_refund(
            entry=entry, reason=request.POST.get("motif", ""), actor=Actor.staff(request.user),
            now=clock.now(),
        )  # fmt: skip
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Jetons remboursés : %(n)s.") % {"n": entry.amount_display})
    card = entry.patron.card_number if entry.patron else ""
    return redirect(f"{reverse('staff:digital_tokens')}?{urlencode({'carte': card})}")
