"""The staff home page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from navette.circulation.selectors import desk_summary
from navette.core import clock
from navette.core.alerts import StaffAlert, staff_alerts
from navette.core.models import User
from navette.network.models import Library
from navette.network.selectors import in_french_order
from navette.staff.permissions import network_admin_required, staff_required
from navette.staff.views.circulation import SESSION_LIBRARY


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    """What waits today in the librarian's libraries (for a network administrator, in the
    library chosen at the desk): documents to pull for holds, the navette to pack and to
    receive, the hold shelf, overdue loans and transits, each linking to its list."""
    user = request.user
    libraries = in_french_order(user.libraries.all())  # type: ignore[union-attr]
    shown = libraries
    if user.is_network_admin:  # type: ignore[union-attr]
        pk = request.session.get(SESSION_LIBRARY)
        shown = list(Library.objects.filter(pk=pk)) if pk else []
    summaries = []
    alerts: list[StaffAlert] = []
    if user.is_librarian or user.is_network_admin:  # type: ignore[union-attr]
        now = clock.now()
        summaries = [desk_summary(library, now) for library in shown]
        watched = list(Library.objects.all()) if user.is_network_admin else libraries  # type: ignore[union-attr]
        alerts = staff_alerts(watched, now)
    return render(request, "staff/home.html",
                  {"libraries": libraries, "summaries": summaries, "alerts": alerts})  # fmt: skip


@network_admin_required
def network_settings(request: HttpRequest) -> HttpResponse:
    """A network administrator's overview; librarians are refused (403)."""
    return render(
        request,
        "staff/network.html",
        {
            "library_count": Library.objects.count(),
            "staff": User.objects.order_by("role", "username").prefetch_related("libraries"),
        },
    )
