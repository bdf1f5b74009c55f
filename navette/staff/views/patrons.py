"""Staff pages for patrons: search, registration at the desk (with the duplicate
warning), membership renewal, card replacement, first PIN."""

from __future__ import annotations

import secrets

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from navette.core import clock
from navette.core.actors import Actor
from navette.desk.patrons import (
    desk_card_replace,
    desk_membership_renew,
    desk_patron_register,
    desk_pin_set,
)
from navette.network.models import Library
from navette.network.scope import staff_libraries
from navette.patrons.models import Patron, PatronCategory
from navette.patrons.selectors import patron_search
from navette.patrons.services import ContactDetails
from navette.staff.outcomes import say, text
from navette.staff.permissions import librarian_required


def _desk_libraries(user) -> list[Library]:
    return list(staff_libraries(user).filter(is_active=True).order_by("name"))


class RegisterForm(forms.Form):
    card_number = forms.CharField(
        label=gettext_lazy("Numéro de carte (scanné)"), max_length=32,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )  # fmt: skip
    last_name = forms.CharField(label=gettext_lazy("Nom"), max_length=100)
    first_name = forms.CharField(label=gettext_lazy("Prénom"), max_length=100)
    birth_date = forms.DateField(
        label=gettext_lazy("Date de naissance"), widget=forms.DateInput(attrs={"type": "date"})
    )
    email = forms.EmailField(label=gettext_lazy("Courriel"), required=False)
    phone = forms.CharField(label=gettext_lazy("Téléphone"), max_length=40, required=False)
    street = forms.CharField(label=gettext_lazy("Adresse"), max_length=200, required=False)
    postcode = forms.CharField(label=gettext_lazy("Code postal"), max_length=10, required=False)
    city = forms.CharField(label=gettext_lazy("Ville"), max_length=100, required=False)
    category = forms.ModelChoiceField(
        label=gettext_lazy("Catégorie"), queryset=PatronCategory.objects.all(), empty_label=None
    )
    home_library = forms.ModelChoiceField(
        label=gettext_lazy("Bibliothèque d'inscription"), queryset=Library.objects.none(),
        empty_label=None,
    )  # fmt: skip
    confirm_not_duplicate = forms.BooleanField(
        label=gettext_lazy("J'ai vérifié : il s'agit d'une autre personne"), required=False
    )

    def __init__(self, *args, libraries: list[Library], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["home_library"].queryset = Library.objects.filter(  # type: ignore[attr-defined]
            pk__in=[lib.pk for lib in libraries]
        ).order_by("name")


@librarian_required
def patron_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    return render(
        request,
        "staff/patrons/list.html",
        {"query": query, "patrons": list(patron_search(query)) if query else []},
    )


@librarian_required
def register(request: HttpRequest) -> HttpResponse:
    libraries = _desk_libraries(request.user)
    form = RegisterForm(request.POST or None, libraries=libraries)
    duplicates: list[Patron] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outcome = desk_patron_register(
            first_name=data["first_name"], last_name=data["last_name"],
            birth_date=data["birth_date"],
            contact=ContactDetails(
                email=data["email"], phone=data["phone"], street=data["street"],
                postcode=data["postcode"], city=data["city"],
            ),
            category=data["category"], home_library=data["home_library"],
            card_number=data["card_number"], allow_duplicate=data["confirm_not_duplicate"],
            actor=Actor.staff(request.user), now=clock.now(),
        )  # fmt: skip
        if outcome.ok:
            say(request, outcome)
            return redirect("staff:patron", pk=outcome.data["patron"].pk)
        duplicates = outcome.data.get("duplicates", [])
        form.add_error(None, text(outcome))
    return render(request, "staff/patrons/register.html", {"form": form, "duplicates": duplicates})


@librarian_required
def patron_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patron = get_object_or_404(Patron.objects.select_related("category", "home_library"), pk=pk)
    return render(
        request,
        "staff/patrons/detail.html",
        {
            "patron": patron,
            "cards": list(patron.cards.all()),
            "blocks": list(patron.blocks.all()),
            "today": clock.today(),
            "locked": patron.locked_until is not None and patron.locked_until > clock.now(),
        },
    )


@require_POST
@librarian_required
def renew(request: HttpRequest, pk: int) -> HttpResponse:
    patron = get_object_or_404(Patron.objects.select_related("category"), pk=pk)
    say(request, desk_membership_renew(patron=patron, actor=Actor.staff(request.user),
                                       now=clock.now()))  # fmt: skip
    return redirect("staff:patron", pk=pk)


@require_POST
@librarian_required
def replace_card(request: HttpRequest, pk: int) -> HttpResponse:
    patron = get_object_or_404(Patron, pk=pk)
    say(request, desk_card_replace(
        patron=patron, new_number=request.POST.get("new_number", ""),
        reason=request.POST.get("reason", ""), actor=Actor.staff(request.user), now=clock.now(),
    ))  # fmt: skip
    return redirect("staff:patron", pk=pk)


@require_POST
@librarian_required
def set_pin(request: HttpRequest, pk: int) -> HttpResponse:
    """Set the patron's PIN; left empty, a random 4-digit PIN is drawn and shown once."""
    patron = get_object_or_404(Patron, pk=pk)
    pin = request.POST.get("pin", "").strip() or "".join(
        secrets.choice("0123456789") for _n in range(4)
    )
    say(request, desk_pin_set(patron=patron, pin=pin, actor=Actor.staff(request.user),
                              now=clock.now()))  # fmt: skip
    return redirect("staff:patron", pk=pk)
