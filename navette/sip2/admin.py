"""Kiosk accounts in the admin (network administrators only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from navette.sip2.models import ExtensionField, Kiosk, KioskOperation, KioskProfile


class KioskForm(forms.ModelForm):  # type: ignore[type-arg]
    password = forms.CharField(
        label=_("mot de passe"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Laisser vide pour garder le mot de passe actuel."),
    )
    allowed_operations = forms.MultipleChoiceField(
        label=_("opérations permises"),
        choices=KioskOperation.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Kiosk
        fields = [
            "login", "name", "library", "profile", "allowed_operations", "encoding", "is_active",
        ]  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.instance.pk and not data.get("password"):
            self.add_error("password", _("Un mot de passe est requis pour un nouvel automate."))
        return data

    def save(self, commit: bool = True) -> Kiosk:
        kiosk = super().save(commit=False)
        if self.cleaned_data.get("password"):
            kiosk.set_password(self.cleaned_data["password"])
        if commit:
            kiosk.save()
        return kiosk  # type: ignore[no-any-return]


@admin.register(Kiosk)
class KioskAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = KioskForm
    list_display = (
        "login", "name", "library", "profile", "encoding", "is_active", "last_login_at",
        "locked_until",
    )  # fmt: skip
    list_filter = ("is_active", "library", "profile")
    search_fields = ("login", "name")
    readonly_fields = ("last_login_at", "failed_logins", "locked_until")
    actions = ["unlock"]

    @admin.action(description=_("Débloquer la connexion"))
    def unlock(self, request: HttpRequest, queryset: QuerySet[Kiosk]) -> None:
        queryset.update(failed_logins=0, locked_until=None)


class KioskProfileForm(forms.ModelForm):  # type: ignore[type-arg]
    extension_fields = forms.MultipleChoiceField(
        label=_("champs d'extension"),
        choices=ExtensionField.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Champs hors de la norme 2.00 que certains automates lisent (docs/kiosks.md)."),
    )

    class Meta:
        model = KioskProfile
        exclude: list[str] = []


@admin.register(KioskProfile)
class KioskProfileAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """How a make of machine is answered; docs/kiosks.md explains each option."""

    form = KioskProfileForm

    list_display = ("name", "pin_for_checkout", "pin_for_renew", "pin_for_patron_info",
                    "language", "checkin_not_on_loan_ok")  # fmt: skip
    search_fields = ("name",)
    fieldsets = (
        (None, {"fields": ("name",)}),
        (_("Code PIN"), {"fields": ("pin_for_checkout", "pin_for_renew", "pin_for_patron_info",
                                    "name_without_pin")}),
        (_("Réponses"), {"fields": ("checkin_not_on_loan_ok", "language", "fixed_language",
                                    "checkin_patron", "counts_as_zero", "queue_position",
                                    "media_type", "extension_fields")}),
        (_("Heures de service"), {"fields": ("works_from", "works_until")}),
    )  # fmt: skip
