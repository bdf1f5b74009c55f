"""Remote catalogues for copy cataloguing and cover services, set up by network
administrators.

Records and copies are not edited here: they change through the catalogue's services
(the record editor, the copy pages), which validate, keep the history and audit.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from navette.catalogue.models import (
    CataloguingSettings,
    CoverService,
    HarvestSource,
    LibraryShelving,
    Location,
    RemoteTarget,
    SavedCopySearch,
)
from navette.core import clock
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_record


@admin.register(RemoteTarget)
class RemoteTargetAdmin(admin.ModelAdmin):
    list_display = ("name", "protocol", "address", "database", "record_syntax", "is_active")
    list_filter = ("protocol", "is_active")
    fieldsets = (
        (None, {"fields": ("name", "protocol", "address", "database", "record_syntax", "charset",
                           "is_active", "timeout")}),
        ("SRU", {"fields": ("sru_version", "record_schema", "isbn_index", "title_index",
                            "author_index")}),
    )  # fmt: skip

    def save_model(self, request: HttpRequest, obj: RemoteTarget, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            actor=Actor.staff(request.user), now=clock.now(), obj=obj,
            action=AuditAction.REMOTE_TARGET_CHANGE if change else AuditAction.REMOTE_TARGET_ADD,
            data={"name": obj.name, "protocol": obj.protocol, "address": obj.address},
        )  # fmt: skip


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    """Each library's list of locations (and the shelf-mark prefix of each)."""

    list_display = ("name", "library", "code", "call_number_prefix", "is_active")
    list_filter = ("library", "is_active")
    search_fields = ("name", "code")


@admin.register(LibraryShelving)
class LibraryShelvingAdmin(admin.ModelAdmin):
    list_display = ("library", "call_number_prefix")


@admin.register(CataloguingSettings)
class CataloguingSettingsAdmin(admin.ModelAdmin):
    """The network's barcode check-digit rule."""

    list_display = ("network", "barcode_checksum")


@admin.register(SavedCopySearch)
class SavedCopySearchAdmin(admin.ModelAdmin):
    list_display = ("name", "created_by", "created_at")


@admin.register(CoverService)
class CoverServiceAdmin(admin.ModelAdmin):
    """Where covers are fetched by ISBN (``navette.catalogue.covers``)."""

    list_display = ("name", "url_template", "is_active")
    list_filter = ("is_active",)

    def save_model(self, request: HttpRequest, obj: CoverService, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            actor=Actor.staff(request.user), now=clock.now(), obj=obj,
            action=AuditAction.COVER_SERVICE_CHANGE if change else AuditAction.COVER_SERVICE_ADD,
            data={"name": obj.name, "url_template": obj.url_template},
        )  # fmt: skip


@admin.register(HarvestSource)
class HarvestSourceAdmin(admin.ModelAdmin):
    """Member libraries' catalogues harvested into the union catalogue (network
    administrators): how and how often, and how their copies' availability is shown."""

    list_display = ("name", "library", "protocol", "state", "finished_at", "is_active")
    list_filter = ("protocol", "state", "is_active")
    readonly_fields = ("state", "harvested_until", "started_at", "finished_at", "last_counts",
                       "last_error")  # fmt: skip
    fieldsets = (
        (None, {"fields": ("name", "library", "protocol", "is_active", "every_minutes")}),
        ("OAI-PMH", {"fields": ("url", "set_spec", "metadata_prefix", "flavour", "timeout")}),
        (_("Fichiers MARC"), {"fields": ("directory",)}),
        (_("Affichage"), {"fields": ("record_url_template", "live_availability")}),
        (_("Dernière moisson"), {"fields": readonly_fields}),
    )  # fmt: skip

    def save_model(self, request: HttpRequest, obj: HarvestSource, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            actor=Actor.staff(request.user), now=clock.now(), obj=obj,
            action=AuditAction.HARVEST_SOURCE_CHANGE if change else AuditAction.HARVEST_SOURCE_ADD,
            data={"name": obj.name, "protocol": obj.protocol, "library": obj.library.code},
        )  # fmt: skip
