"""Operational admin pages: references and versions only, never a victim's personal data.

Administrators manage organisations and accounts; they do not see victim data by virtue of
being administrators (PROTOCOL.md), so these pages show only what operators need.
"""

from django.contrib import admin

from .models import Victim


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Victim)
class VictimAdmin(ReadOnlyAdmin):
    list_display = ("reference", "facts_version", "created_at")
    fields = ("reference", "facts_version", "created_at", "updated_at")
    readonly_fields = fields
    search_fields = ("reference",)
