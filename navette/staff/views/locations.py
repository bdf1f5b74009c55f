"""Staff page for each library's locations: listed for the librarian's libraries, added
or changed by code (the catalogue's ``location_save`` checks the library and audits)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from navette.catalogue.locations import location_save
from navette.catalogue.models import Location
from navette.core import clock
from navette.core.actors import Actor
from navette.core.errors import DomainError
from navette.network.models import Library
from navette.network.scope import staff_libraries
from navette.network.selectors import in_french_order
from navette.staff.permissions import librarian_required


class LocationForm(forms.Form):
    library = forms.ModelChoiceField(label=_("Bibliothèque"), queryset=Library.objects.none())
    code = forms.SlugField(label=_("Code (le même code modifie l'emplacement)"), max_length=40)
    name = forms.CharField(label=_("Nom"), max_length=100)
    call_number_prefix = forms.CharField(
        label=_("Préfixe des cotes"), max_length=20, required=False
    )
    is_active = forms.BooleanField(label=_("Actif"), required=False, initial=True)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        mine = staff_libraries(user).filter(is_active=True)
        self.fields["library"].queryset = mine  # type: ignore[attr-defined]
        self.fields["library"].choices = [  # type: ignore[attr-defined]
            (lib.pk, f"{lib.commune} — {lib.name}") for lib in in_french_order(mine)
        ]


@librarian_required
def locations(request: HttpRequest) -> HttpResponse:
    """The locations of the librarian's libraries, and a form to add or change one."""
    form = LocationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            location = location_save(actor=Actor.staff(request.user), now=clock.now(),
                                     **form.cleaned_data)  # fmt: skip
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Emplacement « %(name)s » enregistré.")
                             % {"name": location.name})  # fmt: skip
            return redirect("staff:catalogue_locations")
    libraries = in_french_order(staff_libraries(request.user).filter(is_active=True))
    by_library: dict[int, list[Location]] = {lib.pk: [] for lib in libraries}
    for loc in Location.objects.filter(library__in=list(by_library)).order_by("name"):
        by_library[loc.library_id].append(loc)
    return render(request, "staff/catalogue/locations.html",
                  {"form": form, "rows": [(lib, by_library[lib.pk]) for lib in libraries]},
                  status=400 if form.errors else 200)  # fmt: skip
