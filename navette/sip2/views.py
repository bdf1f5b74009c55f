"""The kiosk monitor: a staff page per network and per library (each machine, when it was
last seen, today's transactions by type, its refusal rate and top refusal reasons), and the
alerts it raises on the staff home."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from navette.core import clock
from navette.core.alerts import StaffAlert
from navette.network.models import Library
from navette.network.scope import staff_libraries
from navette.sip2.activity import kiosk_monitor

#: refusal codes of the monitor, in words (the circulation reasons keep their code)
REASONS = {
    "not_identified": _("lecteur non identifié (code PIN)"),
    "card_not_found": _("carte inconnue"),
    "item_not_found": _("code-barres inconnu"),
    "not_on_loan": _("retour d'un document non prêté"),
    "not_permitted": _("opération non permise"),
    "out_of_hours": _("hors des heures de service"),
    "unsupported": _("message non pris en charge"),
    "refused": _("refus"),
}


def monitor(request: HttpRequest) -> HttpResponse:
    """The kiosks of the staff member's libraries (all for a network administrator), or of
    the library chosen (``?bibliotheque=``)."""
    user: Any = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not (user.is_active and (user.is_librarian or user.is_network_admin)):
        raise PermissionDenied
    allowed = staff_libraries(user).order_by("commune", "name")
    code = request.GET.get("bibliotheque", "")
    libraries = list(allowed.filter(code=code) if code else allowed)
    rows = kiosk_monitor(libraries, clock.now())
    return render(request, "sip2/monitor.html", {
        "rows": [(row, [(REASONS.get(c, c), n) for c, n in row.reasons]) for row in rows],
        "libraries": list(allowed), "chosen": code,
    })  # fmt: skip


def kiosk_alerts(libraries: Sequence[Library], now: dt.datetime) -> list[StaffAlert]:
    """The staff home's alerts: machines silent during opening hours, refusals jumping."""
    rows = kiosk_monitor(list(libraries), now)
    silent = [r for r in rows if r.silent]
    jumped = [r for r in rows if r.rate_jumped]
    link = reverse("kiosk_monitor")
    alerts = []
    if silent:
        alerts.append(StaffAlert(ngettext(
            "%(n)d automate silencieux depuis 30 minutes pendant l'ouverture : %(names)s",
            "%(n)d automates silencieux depuis 30 minutes pendant l'ouverture : %(names)s",
            len(silent),
        ) % {"n": len(silent), "names": ", ".join(str(r.kiosk) for r in silent)}, link))  # fmt: skip
    if jumped:
        alerts.append(StaffAlert(ngettext(
            "%(n)d automate refuse bien plus que d'habitude : %(names)s",
            "%(n)d automates refusent bien plus que d'habitude : %(names)s",
            len(jumped),
        ) % {"n": len(jumped), "names": ", ".join(str(r.kiosk) for r in jumped)}, link))  # fmt: skip
    return alerts
