"""The Django admin site, for operators only.

Administrators manage accounts and organisations on the service's own pages
(`accounts.views`), which go through the services and the access log. The admin site is for
the operators' superuser accounts (`createsuperuser`), and shows accounts and organisations
read-only: nobody sets a password or a role there.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class OperatorsAdminSite(admin.AdminSite):
    site_header = "Protocol Casework operations"
    site_title = "Protocol Casework operations"

    def has_permission(self, request) -> bool:
        user = request.user
        return user.is_active and user.is_superuser


class OperatorsAdminConfig(AdminConfig):
    """`django.contrib.admin`, with the operators-only site above (INSTALLED_APPS names it)."""

    default_site = "accounts.admin_site.OperatorsAdminSite"
