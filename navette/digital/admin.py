"""Network administrators configure vendors, resources, services and token rules here."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.hashers import make_password
from django.utils.translation import gettext_lazy as _

from navette.digital.models import (
    CategoryAllowance,
    Resource,
    ServiceRegistration,
    TokenSettings,
    Vendor,
)


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "website"]
    search_fields = ["name", "code"]


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = [
        "name", "kind", "vendor", "sso_service", "uses_tokens", "access_hours", "minimum_age",
        "is_active",
    ]  # fmt: skip
    list_filter = ["kind", "is_active", "uses_tokens"]
    filter_horizontal = ["allowed_categories"]
    search_fields = ["name", "code"]


class ServiceRegistrationForm(forms.ModelForm):
    new_client_secret = forms.CharField(
        label=_("nouveau secret client OIDC"), required=False, widget=forms.PasswordInput,
        help_text=_("Laissez vide pour garder le secret actuel. Il n'est conservé que haché."),
    )  # fmt: skip

    class Meta:
        model = ServiceRegistration
        fields = [
            "vendor",
            "name",
            "protocol",
            "service_url",
            "client_id",
            "redirect_uris",
            "is_active",
        ]

    def save(self, commit: bool = True) -> ServiceRegistration:
        secret = self.cleaned_data.get("new_client_secret")
        if secret:
            self.instance.client_secret_hash = make_password(secret)
        return super().save(commit=commit)


@admin.register(ServiceRegistration)
class ServiceRegistrationAdmin(admin.ModelAdmin):
    form = ServiceRegistrationForm
    list_display = ["name", "protocol", "vendor", "service_url", "client_id", "is_active"]
    list_filter = ["protocol", "is_active"]


class CategoryAllowanceInline(admin.TabularInline):
    model = CategoryAllowance
    extra = 0


@admin.register(TokenSettings)
class TokenSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "network",
        "monthly_allowance_halves",
        "monthly_cap_halves",
        "yearly_cap_halves",
    ]
    inlines = [CategoryAllowanceInline]
