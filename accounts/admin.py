"""The operators' admin site (accounts/admin_site.py): accounts and organisations read-only.

Administrators change them on the service's pages, through the services: there a password is
never set by someone else, nobody changes their own roles, and every change is logged.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from core.admin import ReadOnlyAdmin

from .models import AccessEvent, Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    list_display = ("name", "code", "kind", "contact_team", "contact_email")
    list_filter = ("kind",)
    search_fields = ("name", "code")
    exclude = ("group",)


@admin.register(User)
class UserAdmin(ReadOnlyAdmin, BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "organisation", "is_active", "is_superuser")
    list_filter = ("organisation__kind", "is_active", "groups")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email",)}),
        ("Person", {"fields": ("full_name", "organisation")}),
        ("Access", {"fields": ("is_active", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    filter_horizontal = ("groups",)


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):
    """Read-only: the access log can be read, never changed."""

    list_display = ("at", "actor_email", "action", "object_type", "object_id", "outcome")
    list_filter = ("action", "outcome")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.has_role("auditor")
