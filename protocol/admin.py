from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Hold


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    """Operational view of the holds' evaluation state: no grounds or victim details."""

    list_display = ("reference", "evaluated_version", "evaluated_at", "next_due_on")
    fields = ("reference", "evaluated_version", "evaluated_at", "evaluated_on", "next_due_on")
    readonly_fields = fields
    search_fields = ("reference",)
