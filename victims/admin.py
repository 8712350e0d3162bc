"""Operational admin pages: references and versions only, never a victim's personal data.

Administrators manage organisations and accounts; they do not see victim data by virtue of
being administrators (PROTOCOL.md), so these pages show only what operators need.
"""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Victim


@admin.register(Victim)
class VictimAdmin(ReadOnlyAdmin):
    list_display = ("reference", "facts_version", "created_at")
    fields = ("reference", "facts_version", "created_at", "updated_at")
    readonly_fields = fields
    search_fields = ("reference",)
