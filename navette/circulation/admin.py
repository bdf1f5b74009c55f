"""Circulation in Django's admin, for network administrators.

Loan rules and circulation settings are edited here (each save appends an
audit event). Loans, holds, transits and fines are listed for follow-up only:
they change through the circulation services (desk, portal, API, kiosks), which
lock, re-check and audit, never by editing rows.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from navette.circulation.models import (
    CirculationSettings,
    Fine,
    FinePayment,
    Hold,
    LibraryCirculationSettings,
    Loan,
    LoanRule,
    OfflineTransaction,
    Transit,
)
from navette.circulation.policies import PARAMETERS
from navette.core import clock
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_record

PRECEDENCE = _(
    "Ordre de priorité, paramètre par paramètre : la première règle qui fixe une valeur "
    "l'emporte. 1. Une règle de la bibliothèque (de prêt ou de retrait) passe avant une règle "
    "du réseau. 2. À bibliothèque égale, une règle pour un type de document passe avant une "
    "règle pour tous les types. 3. Ensuite, une règle pour une catégorie de lecteur passe "
    "avant une règle pour toutes les catégories. Un champ laissé vide veut dire « pas fixé "
    "ici » : la règle suivante décide. La règle par défaut du réseau (ni bibliothèque, ni "
    "catégorie, ni type) doit fixer tous les paramètres."
)


class LoanRuleForm(forms.ModelForm):
    class Meta:
        model = LoanRule
        fields = ("library", "patron_category", "doc_type", *PARAMETERS)
        help_texts = {
            "library": _(
                "Vide : règle de tout le réseau. Renseignée : s'applique aux prêts faits dans "
                "cette bibliothèque et aux réservations à y retirer, et passe avant les règles "
                "du réseau."
            ),
            "patron_category": _(
                "Vide : toutes les catégories. Une règle pour une catégorie passe avant une "
                "règle pour toutes les catégories (à bibliothèque et type égaux)."
            ),
            "doc_type": _(
                "Vide : tous les types. Une règle pour un type passe avant une règle pour "
                "tous les types (à bibliothèque égale), même si celle-ci vise une catégorie."
            ),
            "loan_days": _(
                "La date de retour est reportée au prochain jour d'ouverture de la "
                "bibliothèque de prêt. Vide : pas fixé ici."
            ),
            "max_renewals": _("Vide : pas fixé ici."),
            "renew_when_waiting": _(
                "Oui : prolongation permise même si un autre lecteur attend le document. "
                "Inconnu : pas fixé ici."
            ),
            "max_loans": _(
                "Sans type de document : nombre total de documents par carte. Avec un type : "
                "nombre de documents de ce type (par exemple 5 DVD sur 20). Vide : pas fixé ici."
            ),
            "holds_allowed": _("Inconnu : pas fixé ici."),
            "max_holds": _("Réservations en cours par carte. Vide : pas fixé ici."),
            "hold_shelf_days": _(
                "Jours pendant lesquels un document réservé attend son lecteur sur l'étagère "
                "des réservations, avant de passer au suivant. Vide : pas fixé ici."
            ),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        values = {name: data.get(name) for name in PARAMETERS}
        if all(v is None for v in values.values()):
            raise forms.ValidationError(_("Une règle doit fixer au moins un paramètre."))
        is_network_default = (
            data.get("library") is None
            and data.get("patron_category") is None
            and not data.get("doc_type")
        )
        if is_network_default:
            for name, value in values.items():
                if value is None:
                    self.add_error(
                        name,
                        _(
                            "La règle par défaut du réseau doit fixer ce paramètre : "
                            "elle comble tout ce que les autres règles laissent vide."
                        ),
                    )
        return data


def _audit_admin_change(
    request: HttpRequest, obj: Any, change: bool, actions: tuple[AuditAction, AuditAction]
) -> None:
    """Journal an addition or a change made in the administration: ``actions`` is the
    (added, changed) pair of names of the model."""
    audit_record(
        actor=Actor.staff(request.user),
        action=actions[1] if change else actions[0],
        now=clock.now(),
        library_id=getattr(obj, "library_id", None),
        obj=obj,
        data={"via": "admin"},
    )


@admin.register(LoanRule)
class LoanRuleAdmin(admin.ModelAdmin):
    form = LoanRuleForm
    list_display = (
        "scope_library", "patron_category", "scope_doc_type", "loan_days", "max_renewals",
        "renew_when_waiting", "max_loans", "holds_allowed", "max_holds", "hold_shelf_days",
    )  # fmt: skip
    list_filter = ("library", "patron_category", "doc_type")
    search_fields = ("library__commune", "library__name", "patron_category__code")
    list_select_related = ("library", "patron_category")
    ordering = ("library__commune", "patron_category__code", "doc_type")
    fieldsets = (
        (_("À qui et où la règle s'applique"), {
            "description": PRECEDENCE,
            "fields": ("library", "patron_category", "doc_type"),
        }),
        (_("Prêt"), {"fields": ("loan_days", "max_loans")}),
        (_("Prolongations"), {"fields": ("max_renewals", "renew_when_waiting")}),
        (_("Réservations"), {"fields": ("holds_allowed", "max_holds", "hold_shelf_days")}),
    )  # fmt: skip

    @admin.display(description=_("bibliothèque"), ordering="library__commune")
    def scope_library(self, obj: LoanRule) -> str:
        return str(obj.library) if obj.library is not None else str(_("Réseau (toutes)"))

    @admin.display(description=_("type de document"), ordering="doc_type")
    def scope_doc_type(self, obj: LoanRule) -> str:
        return obj.get_doc_type_display() if obj.doc_type else str(_("Tous les types"))

    def save_model(self, request: HttpRequest, obj: LoanRule, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _audit_admin_change(
            request, obj, change, (AuditAction.LOAN_RULE_ADD, AuditAction.LOAN_RULE_CHANGE)
        )


class CirculationSettingsForm(forms.ModelForm):
    class Meta:
        model = CirculationSettings
        fields = (
            "network", "return_policy", "prefer_local_pickup", "penalty",
            "suspension_days_per_day_late", "fine_cents_per_day", "fine_max_cents",
            "fines_block_cents", "transit_overdue_days",
        )  # fmt: skip
        labels = {"network": _("réseau")}
        help_texts = {
            "return_policy": _(
                "Où va un document rendu sans réservation : chez sa bibliothèque propriétaire "
                "(par la navette) ou reste dans la bibliothèque où il est rendu. Une "
                "bibliothèque peut choisir autrement dans ses propres paramètres."
            ),
            "penalty": _(
                "Ce qui arrive au lecteur qui rend en retard : rien, une suspension du droit "
                "d'emprunt, ou une amende."
            ),
            "suspension_days_per_day_late": _(
                "Avec la suspension : jours sans emprunt pour chaque jour de retard."
            ),
            "fine_cents_per_day": _("Avec l'amende : en centimes, par document et par jour."),
            "fine_max_cents": _("Avec l'amende : plafond par document, en centimes."),
            "fines_block_cents": _(
                "Total d'amendes impayées (en centimes) à partir duquel le prêt est refusé ; "
                "0 : jamais."
            ),
            "transit_overdue_days": _(
                "Un document dans la navette depuis plus de jours est signalé pour suivi."
            ),
        }


@admin.register(CirculationSettings)
class CirculationSettingsAdmin(admin.ModelAdmin):
    form = CirculationSettingsForm
    list_display = ("network", "return_policy", "prefer_local_pickup", "penalty")
    fieldsets = (
        (None, {"fields": ("network",)}),
        (_("Retours et réservations"), {"fields": ("return_policy", "prefer_local_pickup")}),
        (_("Retards"), {"fields": (
            "penalty", "suspension_days_per_day_late", "fine_cents_per_day", "fine_max_cents",
            "fines_block_cents",
        )}),
        (_("Navette"), {"fields": ("transit_overdue_days",)}),
    )  # fmt: skip

    def save_model(
        self, request: HttpRequest, obj: CirculationSettings, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        _audit_admin_change(
            request, obj, change,
            (AuditAction.CIRCULATION_SETTINGS_ADD, AuditAction.CIRCULATION_SETTINGS_CHANGE),
        )  # fmt: skip


class LibraryCirculationSettingsForm(forms.ModelForm):
    class Meta:
        model = LibraryCirculationSettings
        fields = ("library", "return_policy")
        labels = {"library": _("bibliothèque")}
        help_texts = {
            "return_policy": _(
                "Vide : comme le réseau. Sinon, ce choix passe avant celui du réseau pour les "
                "documents rendus dans cette bibliothèque."
            ),
        }


@admin.register(LibraryCirculationSettings)
class LibraryCirculationSettingsAdmin(admin.ModelAdmin):
    form = LibraryCirculationSettingsForm
    list_display = ("library", "return_policy")
    list_select_related = ("library",)
    search_fields = ("library__commune", "library__name")

    def save_model(
        self, request: HttpRequest, obj: LibraryCirculationSettings, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        _audit_admin_change(
            request, obj, change,
            (AuditAction.LIBRARY_CIRCULATION_SETTINGS_ADD,
             AuditAction.LIBRARY_CIRCULATION_SETTINGS_CHANGE),
        )  # fmt: skip


class ReadOnlyAdmin(admin.ModelAdmin):
    """Listed for follow-up; changes go through the circulation services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Loan)
class LoanAdmin(ReadOnlyAdmin):
    list_display = (
        "item_barcode", "title", "patron_card", "library", "loaned_at", "due_on", "renewals",
        "returned_at", "return_library",
    )  # fmt: skip
    list_filter = ("library", "doc_type", ("returned_at", admin.EmptyFieldListFilter))
    search_fields = ("=item__barcode", "=patron__card_number")
    list_select_related = ("item__record", "patron", "library", "return_library")
    date_hierarchy = "loaned_at"
    ordering = ("-loaned_at",)
    show_full_result_count = False

    @admin.display(description=_("exemplaire"), ordering="item__barcode")
    def item_barcode(self, obj: Loan) -> str:
        return obj.item.barcode

    @admin.display(description=_("titre"))
    def title(self, obj: Loan) -> str:
        return obj.item.record.title

    @admin.display(description=_("carte"))
    def patron_card(self, obj: Loan) -> str:
        return obj.patron.card_number if obj.patron else "—"


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = (
        "record", "patron_card", "pickup_library", "status", "placed_at", "trapped_barcode",
        "shelf_expires_on",
    )  # fmt: skip
    list_filter = ("status", "pickup_library")
    search_fields = ("=patron__card_number", "=item__barcode", "=trapped_item__barcode")
    list_select_related = ("record", "patron", "pickup_library", "trapped_item")
    date_hierarchy = "placed_at"
    ordering = ("-placed_at",)
    show_full_result_count = False

    @admin.display(description=_("carte"))
    def patron_card(self, obj: Hold) -> str:
        return obj.patron.card_number if obj.patron else "—"

    @admin.display(description=_("exemplaire mis de côté"))
    def trapped_barcode(self, obj: Hold) -> str:
        return obj.trapped_item.barcode if obj.trapped_item else ""


@admin.register(Transit)
class TransitAdmin(ReadOnlyAdmin):
    list_display = (
        "item",
        "from_library",
        "to_library",
        "reason",
        "status",
        "sent_at",
        "closed_at",
    )
    list_filter = ("status", "reason", "from_library", "to_library")
    search_fields = ("=item__barcode",)
    list_select_related = ("item", "from_library", "to_library")
    date_hierarchy = "sent_at"
    ordering = ("-sent_at",)
    show_full_result_count = False


@admin.register(Fine)
class FineAdmin(ReadOnlyAdmin):
    list_display = (
        "patron_card", "loan", "amount_cents", "paid_cents", "waived_cents", "created_at", "paid_at",
    )  # fmt: skip
    list_filter = (("paid_at", admin.EmptyFieldListFilter),)
    search_fields = ("=patron__card_number", "=loan__item__barcode")
    list_select_related = ("patron", "loan")
    ordering = ("-created_at",)

    @admin.display(description=_("carte"))
    def patron_card(self, obj: Fine) -> str:
        return obj.patron.card_number if obj.patron else "—"


@admin.register(FinePayment)
class FinePaymentAdmin(ReadOnlyAdmin):
    """Money received for fines: recorded at the desk or a kiosk, never edited here."""

    list_display = ("patron_card", "amount_cents", "method", "library", "received_by", "paid_at")
    list_filter = ("method", "library")
    search_fields = ("=patron__card_number",)
    list_select_related = ("patron", "library")
    date_hierarchy = "paid_at"
    ordering = ("-paid_at",)

    @admin.display(description=_("carte"))
    def patron_card(self, obj: FinePayment) -> str:
        return obj.patron.card_number if obj.patron else "—"


@admin.register(OfflineTransaction)
class OfflineTransactionAdmin(admin.ModelAdmin):
    """The offline log, read only: what was replayed, when it happened, how it ended."""

    list_display = ("happened_at", "kind", "barcode", "card_number", "library", "source",
                    "outcome", "code", "replayed_at")  # fmt: skip
    list_filter = ("outcome", "source", "kind", "library")
    search_fields = ("barcode", "card_number")
    date_hierarchy = "happened_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
