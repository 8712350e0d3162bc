"""What each kind of recipient can see of a victim: ONE declaration, read both to build the
recipient's view (the API's serializers and the pages' context) and to write the categories of
a disclosure to them, so that what the victim's record says was shared cannot drift from what
the recipient is shown (issue 11).

A category groups personal fields (`victim.nationality`, `dependant.date_of_birth`,
`case.narrative`...). A recipient kind sees the fields of its categories and nothing else;
fields of no category (ids, references, timestamps) say nothing about the person.
"""

from django.utils.translation import gettext_lazy

from core.roles import POLICE_ROLES, Role

POLICE = "police"
SUPPORT_ADVISER = "support_adviser"
IMMIGRATION_ENFORCEMENT = "immigration_enforcement"

# code: (plain label for staff, the personal fields it covers)
CATEGORIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "identity": (
        gettext_lazy("Name and date of birth"),
        ("victim.given_names", "victim.family_name", "victim.date_of_birth"),
    ),
    "nationality": (gettext_lazy("Nationality"), ("victim.nationality",)),
    "home_office_reference": (
        gettext_lazy("Home Office reference"),
        ("victim.home_office_reference",),
    ),
    "dependants": (
        gettext_lazy("Dependants' names and dates of birth"),
        ("dependant.given_names", "dependant.family_name", "dependant.date_of_birth"),
    ),
    "contact_details": (
        gettext_lazy("Safe contact details and address"),
        ("victim.contact", "victim.address"),
    ),
    "language_needs": (
        gettext_lazy("Preferred language and interpreter needs"),
        ("victim.preferred_language", "victim.interpreter_needed"),
    ),
    "case_status": (
        gettext_lazy("How the police case is progressing (not what happened)"),
        (
            "case.crime_type",
            "case.role",
            "case.referred_on",
            "case.investigation_status",
            "case.prosecution_status",
        ),
    ),
    "crime_narrative": (gettext_lazy("What happened (the crime narrative)"), ("case.narrative",)),
    "support_and_applications": (
        gettext_lazy("Support from advisers and applications to stay"),
        ("victim.support_engagements", "victim.applications"),
    ),
    "hold_status": (gettext_lazy("Whether a hold is in force, and until when"), ("victim.hold",)),
}

# What each recipient kind sees. IE's hold check shows the hold alone (and the force's contact
# point, which is not the person's).
RECIPIENTS: dict[str, tuple[str, ...]] = {
    POLICE: tuple(CATEGORIES),
    SUPPORT_ADVISER: tuple(code for code in CATEGORIES if code != "crime_narrative"),
    IMMIGRATION_ENFORCEMENT: ("hold_status",),
}

FIELD_CATEGORY: dict[str, str] = {
    field: code for code, (_label, fields) in CATEGORIES.items() for field in fields
}


def categories_for(recipient: str) -> list[str]:
    """The categories a disclosure to `recipient` records: exactly what it is shown."""
    return list(RECIPIENTS[recipient])


def shows(recipient: str, field: str) -> bool:
    """Whether `recipient` is shown the personal field `field` (`victim.nationality`)."""
    return FIELD_CATEGORY[field] in RECIPIENTS[recipient]


def visible_fields(recipient: str) -> frozenset[str]:
    """Every personal field `recipient` is shown (for the pages' `shown` context)."""
    return frozenset(
        field for field, code in FIELD_CATEGORY.items() if code in RECIPIENTS[recipient]
    )


def category_label(code: str) -> str:
    """The plain label of a category; an unknown code (an old record) in words."""
    return str(CATEGORIES[code][0]) if code in CATEGORIES else code.replace("_", " ")


def recipient_of(user) -> str | None:
    """The recipient kind a signed-in user reads as (None: not a reader of victims)."""
    if user.has_role(*POLICE_ROLES):
        return POLICE
    if user.has_role(Role.SUPPORT_ADVISER):
        return SUPPORT_ADVISER
    if user.has_role(Role.IE_CASEWORKER, Role.IE_SENIOR):
        return IMMIGRATION_ENFORCEMENT
    return None
