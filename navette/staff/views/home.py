"""The staff home page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from navette.staff.permissions import network_admin_required, staff_required


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    libraries = list(request.user.libraries.order_by("commune"))  # type: ignore[union-attr]
    return render(request, "staff/home.html", {"libraries": libraries})


@network_admin_required
def network_settings(request: HttpRequest) -> HttpResponse:
    """A network administrator's overview; librarians are refused (403)."""
    from navette.core.models import User
    from navette.network.models import Library

    return render(
        request,
        "staff/network.html",
        {
            "library_count": Library.objects.count(),
            "staff": User.objects.order_by("role", "username").prefetch_related("libraries"),
        },
    )
