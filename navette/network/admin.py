from django.contrib import admin

from navette.network.models import Closure, Library, Network, OpeningPeriod


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


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ("start_date", "end_date", "library", "reason")
    list_filter = ("library",)
    date_hierarchy = "start_date"
