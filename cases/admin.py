from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Case


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    """References, force and dates only: no names, no crime details."""

    list_display = ("reference", "force", "referred_on", "created_at")
    list_filter = ("force",)
    fields = ("reference", "force", "referred_on", "created_at", "updated_at")
    readonly_fields = fields
    search_fields = ("reference",)
