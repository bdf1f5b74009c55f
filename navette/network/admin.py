from django.contrib import admin

from navette.network.models import Closure, Library, MemberSystem, Network, OpeningPeriod


class OpeningPeriodInline(admin.TabularInline):
    model = OpeningPeriod
    extra = 0


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone")


@admin.register(Library)
class LibraryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "commune", "phone", "hours_are_examples", "is_active")
    list_filter = ("is_active", "hours_are_examples")
    search_fields = ("code", "name", "commune")
    inlines = [OpeningPeriodInline, ClosureInline]


@admin.register(MemberSystem)
class MemberSystemAdmin(admin.ModelAdmin):
    """Network administrators attach a library running another system: its system, how its
    patrons log in (in order), how Navette reaches it."""

    list_display = ("library", "system_name", "auth_order", "sip2_host", "is_active")
    list_filter = ("is_active", "system_name")
    search_fields = ("library__name", "library__commune", "system_name")
    fieldsets = (
        (None, {"fields": ("library", "system_name", "auth_order", "offline_grace_hours",
                           "default_category", "account_url", "is_active")}),
        ("SIP2", {"fields": ("sip2_host", "sip2_port", "sip2_tls", "sip2_ca_file", "sip2_login",
                             "sip2_password", "sip2_location", "sip2_institution",
                             "sip2_connect_timeout", "sip2_read_timeout", "sip2_pool_size")}),
        ("OpenID Connect / CAS", {"fields": ("oidc_issuer", "oidc_client_id",
                                              "oidc_client_secret", "cas_server_url")}),
    )  # fmt: skip


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ("start_date", "end_date", "library", "reason")
    list_filter = ("library",)
    date_hierarchy = "start_date"
