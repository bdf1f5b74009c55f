"""Admin for network administrators: categories; patrons read-mostly (no PIN hash shown)."""

from django.contrib import admin

from navette.patrons.models import Patron, PatronBlock, PatronCard, PatronCategory


@admin.register(PatronCategory)
class PatronCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "membership_months"]


class PatronCardInline(admin.TabularInline):
    model = PatronCard
    extra = 0
    readonly_fields = ["number", "issued_at", "replaced_at", "reason"]
    can_delete = False


class PatronBlockInline(admin.TabularInline):
    model = PatronBlock
    extra = 0


@admin.register(Patron)
class PatronAdmin(admin.ModelAdmin):
    list_display = [
        "card_number",
        "last_name",
        "first_name",
        "home_library",
        "membership_expires_on",
    ]
    search_fields = ["card_number", "last_name", "first_name"]
    list_filter = ["category", "home_library"]
    exclude = ["pin_hash", "failed_logins"]
    readonly_fields = ["card_number", "locked_until", "created_at", "last_activity_at"]
    inlines = [PatronCardInline, PatronBlockInline]
