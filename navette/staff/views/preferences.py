"""A librarian's preferences: the desk's library, the sound of refusals."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from navette.core import clock
from navette.core.actors import Actor
from navette.desk.preferences import desk_preferences_save
from navette.network.scope import staff_libraries
from navette.network.selectors import in_french_order
from navette.staff.outcomes import say
from navette.staff.permissions import staff_required
from navette.staff.views.circulation import SESSION_LIBRARY


@staff_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Choose the library the desk opens on (once: it is kept with the account) and whether
    a short sound goes with each refusal."""
    user = request.user
    if request.method == "POST":
        outcome = desk_preferences_save(
            user=user,  # type: ignore[arg-type]
            library_code=request.POST.get("bibliotheque", ""),
            alert_sound=request.POST.get("son") == "1",
            actor=Actor.staff(user), now=clock.now(),
        )  # fmt: skip
        say(request, outcome)
        if outcome.ok:
            library = outcome.data["library"]
            if library is not None:
                request.session[SESSION_LIBRARY] = library.pk
            return redirect("staff:preferences")
    return render(request, "staff/preferences.html",
                  {"libraries": in_french_order(staff_libraries(user))})  # fmt: skip
