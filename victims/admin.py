"""Operational admin pages: references and versions only, never a victim's personal data.

Administrators manage organisations and accounts; they do not see victim data by virtue of
being administrators (PROTOCOL.md), so these pages show only what operators need.
"""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import NoticeText, Victim


@admin.register(Victim)
class VictimAdmin(ReadOnlyAdmin):
    list_display = ("reference", "facts_version", "created_at")
    fields = ("reference", "facts_version", "created_at", "updated_at")
    readonly_fields = fields
    search_fields = ("reference",)


@admin.register(NoticeText)
class NoticeTextAdmin(admin.ModelAdmin):
    """Administrators add the notice's texts: a new wording is a new version, and a text once
    added is never changed or removed (victims' records show the exact words they were given;
    the database refuses a change too)."""

    list_display = ("version", "language", "created_at")
    list_filter = ("version", "language")
    fields = ("version", "language", "text")

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj is not None else ()
