"""Who may reach which staff page.

Every staff page needs a login. Network administrators reach everything;
librarians reach desk and catalogue pages; statisticians read statistics.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

View = Callable[..., HttpResponseBase]


def role_required(*roles: str) -> Callable[[View], View]:
    """Allow logged-in, active staff whose role is in ``roles`` (admins always)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.is_active:
                raise PermissionDenied
            if user.role != "network_admin" and user.role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


staff_required = role_required("librarian", "cataloguer", "statistician")
librarian_required = role_required("librarian", "cataloguer")
#: the shared catalogue's duplicates: cataloguers (and network administrators)
cataloguer_required = role_required("cataloguer")
statistician_required = role_required("statistician")
network_admin_required = role_required()
