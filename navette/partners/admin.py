"""API keys in the network administration: the token is shown once, when the key is made."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from navette.core import clock
from navette.core.actors import Actor
from navette.partners.models import ApiKey, Scope
from navette.partners.services import api_key_create


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("droits"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiKey
        fields = ["name", "scopes", "rate_per_minute", "library", "is_active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if Scope.CIRCULATION in (data.get("scopes") or []) and not data.get("library"):
            self.add_error(
                "library",
                _("Le droit de circulation demande la bibliothèque où le partenaire prête."),
            )
        return data


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ["name", "prefix", "rate_per_minute", "library", "is_active", "created_at"]
    readonly_fields = ["prefix", "created_at", "created_by"]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        user: Any = request.user
        key, token = api_key_create(
            name=obj.name, scopes=form.cleaned_data["scopes"],
            rate_per_minute=obj.rate_per_minute, actor=Actor.staff(user), user_id=user.pk,
            is_network_admin=user.is_network_admin, now=clock.now(),
            library_id=obj.library_id,
        )  # fmt: skip
        obj.pk = key.pk
        obj.prefix, obj.created_at = key.prefix, key.created_at
        messages.warning(
            request,
            _("Clé créée. Transmettez ce jeton au partenaire, il ne sera plus affiché : %(t)s")
            % {"t": token},
        )
