"""Organisation kinds and roles, defined once (API.md "Roles and organisations")."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    POLICE_FORCE = "police_force", _("Police force")
    SUPPORT_ORGANISATION = "support_organisation", _("Support organisation")
    IMMIGRATION_ENFORCEMENT = "immigration_enforcement", _("Immigration Enforcement")
    OVERSIGHT = "oversight", _("Oversight body")


class Role(models.TextChoices):
    POLICE_OFFICER = "police_officer", _("Police officer")
    POLICE_SUPERVISOR = "police_supervisor", _("Police supervisor")
    SUPPORT_ADVISER = "support_adviser", _("Support adviser")
    IE_CASEWORKER = "ie_caseworker", _("IE caseworker")
    IE_SENIOR = "ie_senior", _("IE senior caseworker")
    AUDITOR = "auditor", _("Auditor")
    ANALYST = "analyst", _("Analyst")
    ADMINISTRATOR = "administrator", _("Administrator")


ROLE_ORGANISATION_KIND: dict[str, str] = {
    Role.POLICE_OFFICER: OrganisationKind.POLICE_FORCE,
    Role.POLICE_SUPERVISOR: OrganisationKind.POLICE_FORCE,
    Role.SUPPORT_ADVISER: OrganisationKind.SUPPORT_ORGANISATION,
    Role.IE_CASEWORKER: OrganisationKind.IMMIGRATION_ENFORCEMENT,
    Role.IE_SENIOR: OrganisationKind.IMMIGRATION_ENFORCEMENT,
    Role.AUDITOR: OrganisationKind.OVERSIGHT,
    Role.ANALYST: OrganisationKind.OVERSIGHT,
    Role.ADMINISTRATOR: OrganisationKind.OVERSIGHT,
}

POLICE_ROLES = frozenset({Role.POLICE_OFFICER, Role.POLICE_SUPERVISOR})
IE_ROLES = frozenset({Role.IE_CASEWORKER, Role.IE_SENIOR})


def role_fits(role: str, organisation_kind: str) -> bool:
    """True when `role` may be held by a member of an organisation of `organisation_kind`."""
    return ROLE_ORGANISATION_KIND.get(role) == organisation_kind
