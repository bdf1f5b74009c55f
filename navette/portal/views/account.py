""" "Mon compte": the patron's own pages on the portal.

Views parse, call one patrons or circulation service/selector, and render.
Every state change is a POST with CSRF protection.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from navette.catalogue.models import Record
from navette.circulation.models import Hold, Loan
from navette.circulation.selectors import patron_fines, patron_holds, patron_loans
from navette.core import clock
from navette.core.actors import Actor
from navette.core.client import client_ip
from navette.core.errors import DomainError, worded
from navette.desk.holds import desk_hold_cancel, desk_hold_change_pickup, desk_hold_place
from navette.desk.loans import desk_renew, desk_renew_all
from navette.digital.selectors import patron_digital_summary
from navette.events.selectors import patron_upcoming_registrations
from navette.network.models import Library
from navette.network.selectors import active_libraries, member_system_by_pk, member_systems
from navette.patrons import privacy
from navette.patrons.errors import FirstLoginNeeded
from navette.patrons.federation import patron_federation, patron_file_first_login, patron_login
from navette.patrons.models import Patron
from navette.patrons.services import (
    ContactDetails,
    email_report_check,
    patron_change_pin,
    patron_report_email_change,
    patron_reset_pin,
    patron_send_reset_link,
    patron_update_contact,
    reset_token_check,
)
from navette.patrons.session import current_patron, login_patron, logout_patron
from navette.portal.outcomes import refusal, say

View = Callable[..., HttpResponse]


def patron_required(view: View) -> View:
    """Send visitors who are not logged in to the login page, then back."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        patron = current_patron(request)
        if patron is None:
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('portal:login')}?{query}")
        return view(request, patron, *args, **kwargs)

    return never_cache(wrapped)


def client_address(request: HttpRequest) -> str:
    return client_ip(request) or "inconnue"


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# --- login, logout, PIN ---------------------------------------------------------------------


class LoginForm(forms.Form):
    card_number = forms.CharField(
        label=gettext_lazy("Numéro de carte"), max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "numeric"}),
    )  # fmt: skip
    pin = forms.CharField(
        label=gettext_lazy("Code PIN ou mot de passe"), max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )  # fmt: skip
    public_computer = forms.BooleanField(
        label=gettext_lazy("Ordinateur public ou partagé"), required=False,
        help_text=gettext_lazy(
            "Vous serez déconnecté à la fermeture du navigateur, "
            "ou après quelques minutes sans activité."
        ),
    )  # fmt: skip


def _member_choices() -> list[tuple[str, str]]:
    return [("", _("Je ne sais pas"))] + [
        (str(m.pk), f"{m.library.commune} — {m.library.name}") for m in member_systems()
    ]


@never_cache
def login(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, reverse("portal:account"))
    if current_patron(request) is not None and request.method != "POST":
        return redirect(next_url)
    form = LoginForm(request.POST or None)
    members = _member_choices()
    if len(members) > 1:
        form.fields["member"] = forms.ChoiceField(
            label=gettext_lazy("Ma bibliothèque, si elle n'utilise pas Navette"),
            choices=members, required=False,
        )  # fmt: skip
    error = ""
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data.get("member")
        try:
            outcome = patron_login(
                card_number=form.cleaned_data["card_number"],
                pin=form.cleaned_data["pin"],
                now=clock.now(),
                ip=client_address(request),
                member=member_system_by_pk(int(chosen)) if chosen else None,
            )
        except FirstLoginNeeded as exc:
            messages.info(request, exc.message)
            query = urlencode({"card": form.cleaned_data["card_number"], "next": next_url})
            return redirect(f"{reverse('portal:account_first_login')}?{query}")
        except DomainError as exc:
            error = exc.message
        else:
            login_patron(
                request, outcome.patron, public_computer=form.cleaned_data["public_computer"]
            )
            if outcome.deferred:
                messages.warning(request, worded("federated_check_deferred", {
                    "library": outcome.library_name, "confirmed_at": outcome.confirmed_at,
                }) or "")  # fmt: skip
            return redirect(next_url)
    status = 200 if not error else 401
    return render(
        request, "portal/account/login.html",
        {"form": form, "error": error, "next": next_url}, status=status,
    )  # fmt: skip


class FirstLoginForm(forms.Form):
    card_number = forms.CharField(label=gettext_lazy("Numéro de carte"), max_length=40)
    birth_date = forms.DateField(
        label=gettext_lazy("Date de naissance"),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
    )
    password = forms.CharField(
        label=gettext_lazy("Mot de passe du portail"),
        help_text=gettext_lazy("De 4 à 8 chiffres, ou un mot de passe d'au moins 8 caractères."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    confirm = forms.CharField(
        label=gettext_lazy("Mot de passe, à nouveau"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("confirm"):
            self.add_error("confirm", _("Les deux saisies du mot de passe diffèrent."))
        return data


@never_cache
def first_login(request: HttpRequest) -> HttpResponse:
    """A patron of a member library that deposited its patron file: card and date of
    birth once, then the portal password they choose."""
    next_url = _safe_next(request, reverse("portal:account"))
    form = FirstLoginForm(request.POST or None, initial={"card_number": request.GET.get("card")})
    if request.method == "POST" and form.is_valid():
        try:
            patron = patron_file_first_login(
                card_number=form.cleaned_data["card_number"],
                birth_date=form.cleaned_data["birth_date"],
                password=form.cleaned_data["password"],
                now=clock.now(),
                ip=client_address(request),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            login_patron(request, patron)
            messages.success(request, _("Votre mot de passe est enregistré."))
            return redirect(next_url)
    return render(
        request, "portal/account/first_login.html", {"form": form, "next": next_url},
        status=200 if not form.errors else 400,
    )  # fmt: skip


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    logout_patron(request)
    messages.success(request, _("Vous êtes déconnecté."))
    return redirect("portal:home")


class PinChangeForm(forms.Form):
    current = forms.CharField(
        label=gettext_lazy("Code actuel"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new = forms.CharField(
        label=gettext_lazy("Nouveau code"),
        help_text=gettext_lazy("De 4 à 8 chiffres, ou un mot de passe d'au moins 8 caractères."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    confirm = forms.CharField(
        label=gettext_lazy("Nouveau code, à nouveau"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("new") and data.get("new") != data.get("confirm"):
            self.add_error("confirm", _("Les deux saisies du nouveau code diffèrent."))
        return data


@patron_required
def pin_change(request: HttpRequest, patron: Patron) -> HttpResponse:
    form = PinChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patron_change_pin(
                patron=patron, current=form.cleaned_data["current"],
                new=form.cleaned_data["new"], now=clock.now(),
            )  # fmt: skip
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Votre code a été changé."))
            return redirect("portal:account")
    return render(request, "portal/account/pin_change.html", {"form": form, "patron": patron})


class ForgotForm(forms.Form):
    card_number = forms.CharField(label=gettext_lazy("Numéro de carte"), max_length=40)
    email = forms.EmailField(label=gettext_lazy("Adresse électronique connue de la bibliothèque"))


@never_cache
def pin_forgot(request: HttpRequest) -> HttpResponse:
    form = ForgotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        patron_send_reset_link(
            card_number=form.cleaned_data["card_number"],
            email=form.cleaned_data["email"],
            now=clock.now(),
            link_for=lambda token: request.build_absolute_uri(
                reverse("portal:account_pin_reset", args=[token])
            ),
        )
        # The same answer whether or not the card and address matched.
        messages.success(
            request,
            _(
                "Si ce numéro de carte et cette adresse correspondent, un lien pour choisir "
                "un nouveau code vient d'être envoyé."
            ),
        )
        return redirect("portal:login")
    return render(request, "portal/account/pin_forgot.html", {"form": form})


class PinResetForm(forms.Form):
    new = PinChangeForm.base_fields["new"]
    confirm = PinChangeForm.base_fields["confirm"]

    def clean(self):
        data = super().clean()
        if data.get("new") and data.get("new") != data.get("confirm"):
            self.add_error("confirm", _("Les deux saisies du nouveau code diffèrent."))
        return data


@never_cache
def pin_reset(request: HttpRequest, token: str) -> HttpResponse:
    now = clock.now()
    try:
        reset_token_check(token=token, now=now)
    except DomainError as exc:
        return render(
            request, "portal/account/pin_reset.html", {"invalid": exc.message}, status=400
        )
    form = PinResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patron_reset_pin(token=token, secret=form.cleaned_data["new"], now=now)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Votre nouveau code est enregistré : connectez-vous."))
            return redirect("portal:login")
    return render(request, "portal/account/pin_reset.html", {"form": form})


# --- contact details, preferences, data --------------------------------------------------------


class ContactForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Adresse électronique"), required=False)
    current_pin = forms.CharField(
        label=gettext_lazy("Code actuel"),
        help_text=gettext_lazy("Demandé seulement pour changer d'adresse électronique."),
        required=False, max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )  # fmt: skip
    phone = forms.CharField(label=gettext_lazy("Téléphone"), max_length=40, required=False)
    street = forms.CharField(label=gettext_lazy("Adresse"), max_length=200, required=False)
    postcode = forms.CharField(label=gettext_lazy("Code postal"), max_length=10, required=False)
    city = forms.CharField(label=gettext_lazy("Ville"), max_length=100, required=False)
    notify_by_email = forms.BooleanField(
        label=gettext_lazy(
            "Recevoir les avis par courriel (réservation disponible, retour proche, retards)"
        ),
        required=False,
    )
    history_opt_in = forms.BooleanField(
        label=gettext_lazy("Conserver l'historique de mes prêts"),
        help_text=gettext_lazy(
            "Sans votre accord, le lien entre vous et un prêt est effacé quelques mois après le retour."
        ),
        required=False,
    )
    preferred_language = forms.ChoiceField(
        label=gettext_lazy("Langue des avis"), choices=[("fr", "Français"), ("en", "English")]
    )


@patron_required
def contact(request: HttpRequest, patron: Patron) -> HttpResponse:
    initial = {
        name: getattr(patron, name) for name in ContactForm.base_fields if name != "current_pin"
    }
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            patron_update_contact(
                patron=patron,
                contact=ContactDetails(
                    email=data["email"],
                    phone=data["phone"],
                    street=data["street"],
                    postcode=data["postcode"],
                    city=data["city"],
                ),  # fmt: skip
                notify_by_email=data["notify_by_email"],
                history_opt_in=data["history_opt_in"],
                preferred_language=data["preferred_language"],
                actor=Actor.patron(patron.pk),
                now=clock.now(),
                current_pin=data["current_pin"],
                report_link_for=lambda token: request.build_absolute_uri(
                    reverse("portal:account_email_report", args=[token])
                ),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Vos coordonnées et préférences sont enregistrées."))
            return redirect("portal:account")
    return render(request, "portal/account/contact.html", {"form": form, "patron": patron})


@never_cache
def email_report(request: HttpRequest, token: str) -> HttpResponse:
    """The previous address reports an e-mail change its owner did not make (link in the
    mail sent to it): a confirmation page, then a POST that puts the address back."""
    now = clock.now()
    try:
        email_report_check(token=token, now=now)
    except DomainError as exc:
        return render(
            request, "portal/account/email_report.html", {"invalid": exc.message}, status=400
        )
    if request.method == "POST":
        if patron_report_email_change(token=token, now=now):
            messages.success(
                request,
                _("Votre adresse électronique est rétablie et la bibliothèque est prévenue. "
                  "Changez aussi votre code."),
            )  # fmt: skip
        else:
            messages.success(request, _("Votre signalement est transmis à la bibliothèque."))
        return redirect("portal:login")
    return render(request, "portal/account/email_report.html", {})


@patron_required
def data(request: HttpRequest, patron: Patron) -> HttpResponse:
    return render(request, "portal/account/data.html", {"patron": patron})


@patron_required
def export(request: HttpRequest, patron: Patron, fmt: str) -> HttpResponse:
    """Everything held about the patron, as a download (JSON or CSV)."""
    if fmt not in ("json", "csv"):
        raise Http404
    stamp = clock.today().isoformat()
    if fmt == "json":
        response = HttpResponse(
            privacy.export_json(patron), content_type="application/json; charset=utf-8"
        )
    else:
        # A byte order mark so that spreadsheets open the UTF-8 file with its accents.
        response = HttpResponse(
            "\ufeff" + privacy.export_csv(patron), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="mes-donnees-{stamp}.{fmt}"'
    return response


# --- loans and holds (circulation services and selectors) ---------------------------------------


def _libraries() -> list[Library]:
    return list(active_libraries())


@patron_required
def account(request: HttpRequest, patron: Patron) -> HttpResponse:
    """The account page: card, loans (late ones first and marked), holds with queue position."""
    now = clock.now()
    today = clock.today(now)
    loans = list(patron_loans(patron))
    holds = list(patron_holds(patron))
    fines = patron_fines(patron)
    return render(
        request,
        "portal/account/home.html",
        {
            "patron": patron,
            "loans": loans,
            "late_count": sum(1 for loan in loans if loan.due_on < today),
            "holds": holds,
            "fines": fines,
            "fines_due_cents": sum(f.due_cents for f in fines),
            "today": today,
            "libraries": _libraries(),
            "membership_expired": patron.membership_expires_on < today,
            **patron_federation(patron),
            "registrations": patron_upcoming_registrations(patron.pk, now=now),
            **patron_digital_summary(patron, now),
        },
    )


def _own_loan(patron: Patron, pk: int):

    return get_object_or_404(Loan.objects.open(), pk=pk, patron_id=patron.pk)


def _own_hold(patron: Patron, pk: int):

    return get_object_or_404(Hold, pk=pk, patron_id=patron.pk)


@require_POST
@patron_required
def loan_renew(request: HttpRequest, patron: Patron, pk: int) -> HttpResponse:
    loan = _own_loan(patron, pk)
    say(request, desk_renew(loan_id=loan.pk, patron=patron, library=None,
                            actor=Actor.patron(patron.pk), now=clock.now()))  # fmt: skip
    return redirect("portal:account")


@require_POST
@patron_required
def loans_renew_all(request: HttpRequest, patron: Patron) -> HttpResponse:
    say(request, desk_renew_all(patron=patron, library=None, actor=Actor.patron(patron.pk),
                                now=clock.now()))  # fmt: skip
    return redirect("portal:account")


@require_POST
@patron_required
def hold_cancel(request: HttpRequest, patron: Patron, pk: int) -> HttpResponse:
    hold = _own_hold(patron, pk)
    say(request, desk_hold_cancel(hold_id=hold.pk, patron=patron, library=None,
                                  actor=Actor.patron(patron.pk), now=clock.now()))  # fmt: skip
    return redirect("portal:account")


@require_POST
@patron_required
def hold_change_pickup(request: HttpRequest, patron: Patron, pk: int) -> HttpResponse:
    hold = _own_hold(patron, pk)
    chosen = request.POST.get("pickup_library", "")
    library = (
        Library.objects.filter(pk=int(chosen), is_active=True).first() if chosen.isdigit() else None
    )
    if library is None:
        messages.error(request, _("Choisissez une bibliothèque de retrait dans la liste."))
        return redirect("portal:account")
    say(request, desk_hold_change_pickup(hold=hold, pickup_library=library, library=None,
                                         actor=Actor.patron(patron.pk), now=clock.now()))  # fmt: skip
    return redirect("portal:account")


@patron_required
def hold_place(request: HttpRequest, patron: Patron, record_id: int) -> HttpResponse:
    """The reserve button of a record page: choose the pickup library, confirm."""
    record = get_object_or_404(Record, pk=record_id)
    libraries = _libraries()
    error = ""
    selected = patron.home_library_id
    if request.method == "POST":
        library = next(
            (lib for lib in libraries if str(lib.pk) == request.POST.get("pickup_library")), None
        )
        if library is None:
            error = _("Choisissez une bibliothèque de retrait dans la liste.")
        else:
            selected = library.pk
            outcome = desk_hold_place(patron=patron, record=record, pickup_library=library,
                                      library=None, actor=Actor.patron(patron.pk),
                                      now=clock.now())  # fmt: skip
            if outcome.ok:
                say(request, outcome)
                return redirect("portal:account")
            error = refusal(outcome)
    return render(
        request,
        "portal/account/hold_place.html",
        {"patron": patron, "record": record, "libraries": libraries, "selected": selected,
         "error": error},
        status=400 if error else 200,
    )  # fmt: skip


@patron_required
def history(request: HttpRequest, patron: Patron) -> HttpResponse:
    """Returned loans, only for patrons who opted in (others' links are erased)."""
    loans = []
    if patron.history_opt_in:
        loans = list(
            Loan.objects.filter(patron_id=patron.pk, returned_at__isnull=False)
            .select_related("item__record", "library")
            .order_by("-returned_at")[:500]
        )
    return render(request, "portal/account/history.html", {"patron": patron, "loans": loans})
