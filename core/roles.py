"""Organisation kinds and roles, defined once (API.md "Roles and organisations")."""

from django.db import models


class OrganisationKind(models.TextChoices):
    POLICE_FORCE = "police_force", "Police force"
    SUPPORT_ORGANISATION = "support_organisation", "Support organisation"
    IMMIGRATION_ENFORCEMENT = "immigration_enforcement", "Immigration Enforcement"
    OVERSIGHT = "oversight", "Oversight body"


class Role(models.TextChoices):
    POLICE_OFFICER = "police_officer", "Police officer"
    POLICE_SUPERVISOR = "police_supervisor", "Police supervisor"
    SUPPORT_ADVISER = "support_adviser", "Support adviser"
    IE_CASEWORKER = "ie_caseworker", "IE caseworker"
    IE_SENIOR = "ie_senior", "IE senior caseworker"
    AUDITOR = "auditor", "Auditor"
    ANALYST = "analyst", "Analyst"
    ADMINISTRATOR = "administrator", "Administrator"


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
