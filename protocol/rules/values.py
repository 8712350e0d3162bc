"""The enumerations of PROTOCOL.md, defined once.

Plain tuples of codes, in the order PROTOCOL.md lists them, and human labels. The Django
models build their choices and check constraints from these; the rules read them. A code that
appears in more than one enumeration (`charged`, `referred`, `closed`) has one label, so a
single `LABELS` mapping serves every enumeration; each enumeration also has its own
`*_LABELS` mapping restricted to its codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# --- Cases ------------------------------------------------------------------------------------

CASE_ROLES: tuple[str, ...] = ("victim", "witness")

INVESTIGATION_STATUSES: tuple[str, ...] = (
    "reported",
    "under_investigation",
    "suspect_bailed",
    "released_under_investigation",
    "referred_to_cps",
    "charged",
    "no_further_action",
    "reopened",
)

PROSECUTION_STATUSES: tuple[str, ...] = (
    "none",
    "charged",
    "awaiting_trial",
    "trial",
    "convicted_awaiting_sentence",
    "appeal_lodged",
    "sentenced",
    "acquitted",
    "discontinued",
    "no_charge",
)

COURTS: tuple[str, ...] = ("magistrates", "crown")

CRIME_TYPES: tuple[str, ...] = (
    "domestic_abuse",
    "controlling_or_coercive_behaviour",
    "stalking_or_harassment",
    "sexual_offence",
    "modern_slavery_or_trafficking",
    "labour_exploitation",
    "forced_marriage",
    "female_genital_mutilation",
    "honour_based_abuse",
    "violence_against_the_person",
    "hate_crime",
    "robbery_or_theft",
    "fraud",
    "other",
)

# Home Office crime outcome types, recorded with an investigation closed `no_further_action` or
# `charged`. Not read by the rules; statistics group by them.
OUTCOME_CODES: tuple[int, ...] = tuple(range(1, 23))

OUTCOME_CODE_LABELS: Mapping[int, str] = MappingProxyType(
    {
        1: "Charge or summons",
        2: "Caution (youth)",
        3: "Caution (adult)",
        4: "Taken into consideration",
        5: "Offender died",
        6: "Penalty notice for disorder",
        7: "Cannabis or khat warning",
        8: "Community resolution",
        9: "Not in the public interest (CPS)",
        10: "Not in the public interest (police)",
        11: "Prosecution prevented: suspect under age",
        12: "Prosecution prevented: suspect too ill",
        13: "Prosecution prevented: victim or key witness dead or too ill",
        14: "Evidential difficulties: no suspect identified",
        15: "Evidential difficulties: victim supports action",
        16: "Evidential difficulties: victim does not support action",
        17: "Prosecution time limit expired",
        18: "Investigation complete: no suspect identified",
        19: "Referred to the National Fraud Intelligence Bureau",
        20: "Another body has primacy",
        21: "Further investigation not in the public interest",
        22: "Diversionary, educational or intervention activity",
    }
)

# --- Support and applications -------------------------------------------------------------------

SUPPORT_STATUSES: tuple[str, ...] = (
    "referred",
    "engaged",
    "application_in_preparation",
    "closed",
    "disengaged",
)

APPLICATION_ROUTES: tuple[str, ...] = (
    "mvdac",
    "victim_of_domestic_abuse",
    "nrm",
    "vts",
    "asylum",
    "euss",
    "family_or_private_life",
    "other",
)

NRM_ROUTE = "nrm"

# Statuses of an application on any route other than `nrm`.
APPLICATION_STATUSES: tuple[str, ...] = (
    "submitted",
    "granted",
    "refused",
    "challenge_lodged",
    "challenge_dismissed",
    "withdrawn",
    "invalid",
)

# Statuses of an application on the `nrm` route.
NRM_STATUSES: tuple[str, ...] = (
    "referred",
    "rg_positive",
    "rg_negative",
    "cg_positive",
    "cg_negative",
)

# --- Overrides and end confirmations -----------------------------------------------------------

OVERRIDE_STATUSES: tuple[str, ...] = ("requested", "approved", "rejected", "revoked")

OVERRIDE_CATEGORIES: tuple[str, ...] = (
    "serious_harm_risk",
    "foreign_national_offender",
    "national_security",
)

END_CONFIRMATION_REASONS: tuple[str, ...] = (
    "proceedings_concluded_no_application",
    "left_the_uk",
    "deceased",
    "duplicate_record",
    "referral_withdrawn",
)
END_REASONS = END_CONFIRMATION_REASONS

# --- Decisions ----------------------------------------------------------------------------------

HOLD_STATUSES: tuple[str, ...] = (
    "not_covered",
    "overridden",
    "regularised",
    "active",
    "ending",
    "review_due",
    "ended",
)

IN_FORCE_STATUSES: tuple[str, ...] = ("active", "ending", "review_due")

JUSTICE = "justice"
REGULARISATION = "regularisation"
LIMBS: tuple[str, ...] = (JUSTICE, REGULARISATION)

GROUND_CODES: tuple[str, ...] = (
    "investigation_ongoing",
    "prosecution_ongoing",
    "review_window",
    "appeal_window",
    "regularisation_support",
    "application_pending",
    "nrm_pending",
)

# The rule that gives each ground, and its limb (PROTOCOL.md "Grounds").
GROUND_RULES: Mapping[str, str] = MappingProxyType(
    {
        "investigation_ongoing": "H1",
        "prosecution_ongoing": "H2",
        "review_window": "H3",
        "appeal_window": "H4",
        "regularisation_support": "H5",
        "application_pending": "H6",
        "nrm_pending": "H7",
    }
)
GROUND_LIMBS: Mapping[str, str] = MappingProxyType(
    {
        "investigation_ongoing": JUSTICE,
        "prosecution_ongoing": JUSTICE,
        "review_window": JUSTICE,
        "appeal_window": JUSTICE,
        "regularisation_support": REGULARISATION,
        "application_pending": REGULARISATION,
        "nrm_pending": REGULARISATION,
    }
)

# The rule that decides each status (PROTOCOL.md "Status").
STATUS_RULES: Mapping[str, str] = MappingProxyType(
    {
        "not_covered": "H8",
        "overridden": "H9",
        "regularised": "H10",
        "active": "H11",
        "ending": "H12",
        "review_due": "H13",
        "ended": "H14",
    }
)

FLAG_CODES: tuple[str, ...] = ("support_contact_overdue", "data_incomplete", "override_expiring")

# --- Labels ---------------------------------------------------------------------------------------

LABELS: Mapping[str, str] = MappingProxyType(
    {
        # case roles
        "victim": "Victim",
        "witness": "Witness",
        # investigation statuses
        "reported": "Reported",
        "under_investigation": "Under investigation",
        "suspect_bailed": "Suspect on pre-charge bail",
        "released_under_investigation": "Released under investigation",
        "referred_to_cps": "Referred to the CPS",
        "charged": "Charged",
        "no_further_action": "No further action",
        "reopened": "Reopened",
        # prosecution statuses
        "none": "No prosecution",
        "awaiting_trial": "Awaiting trial",
        "trial": "At trial",
        "convicted_awaiting_sentence": "Convicted, awaiting sentence",
        "appeal_lodged": "Appeal lodged",
        "sentenced": "Sentenced",
        "acquitted": "Acquitted",
        "discontinued": "Discontinued",
        "no_charge": "CPS decided not to charge",
        # courts
        "magistrates": "Magistrates' court",
        "crown": "Crown Court",
        # crime types
        "domestic_abuse": "Domestic abuse",
        "controlling_or_coercive_behaviour": "Controlling or coercive behaviour",
        "stalking_or_harassment": "Stalking or harassment",
        "sexual_offence": "Sexual offence",
        "modern_slavery_or_trafficking": "Modern slavery or trafficking",
        "labour_exploitation": "Labour exploitation",
        "forced_marriage": "Forced marriage",
        "female_genital_mutilation": "Female genital mutilation",
        "honour_based_abuse": "Honour-based abuse",
        "violence_against_the_person": "Violence against the person",
        "hate_crime": "Hate crime",
        "robbery_or_theft": "Robbery or theft",
        "fraud": "Fraud",
        "other": "Other",
        # support statuses
        "referred": "Referred",
        "engaged": "Engaged",
        "application_in_preparation": "Application in preparation",
        "closed": "Closed",
        "disengaged": "Disengaged",
        # application routes
        "mvdac": "Migrant Victims of Domestic Abuse Concession",
        "victim_of_domestic_abuse": "Settlement as a victim of domestic abuse",
        "nrm": "National Referral Mechanism",
        "vts": "Temporary permission to stay for victims of trafficking or slavery",
        "asylum": "Asylum",
        "euss": "Late EU Settlement Scheme application",
        "family_or_private_life": "Family or private life",
        # application statuses
        "submitted": "Submitted",
        "granted": "Granted",
        "refused": "Refused",
        "challenge_lodged": "Challenge lodged",
        "challenge_dismissed": "Challenge dismissed",
        "withdrawn": "Withdrawn",
        "invalid": "Invalid",
        # NRM statuses
        "rg_positive": "Positive reasonable grounds decision",
        "rg_negative": "Negative reasonable grounds decision",
        "cg_positive": "Positive conclusive grounds decision",
        "cg_negative": "Negative conclusive grounds decision",
        # override statuses
        "requested": "Requested",
        "approved": "Approved",
        "rejected": "Rejected",
        "revoked": "Revoked",
        # override categories
        "serious_harm_risk": "Risk of serious harm to the public",
        "foreign_national_offender": "Foreign national offender",
        "national_security": "National security",
        # end-confirmation reasons
        "proceedings_concluded_no_application": "Proceedings concluded, no application made",
        "left_the_uk": "Left the UK",
        "deceased": "Deceased",
        "duplicate_record": "Duplicate record",
        "referral_withdrawn": "Referral withdrawn",
        # hold statuses
        "not_covered": "Not covered",
        "overridden": "Overridden (public protection)",
        "regularised": "Regularised",
        "active": "Active",
        "ending": "Ending (grace period)",
        "review_due": "Review due",
        "ended": "Ended",
        # grounds
        "investigation_ongoing": "Investigation ongoing",
        "prosecution_ongoing": "Prosecution ongoing",
        "review_window": "Victims' Right to Review window",
        "appeal_window": "Appeal window",
        "regularisation_support": "Support to regularise stay",
        "application_pending": "Application pending",
        "nrm_pending": "National Referral Mechanism decision pending",
        # flags
        "support_contact_overdue": "Support contact overdue",
        "data_incomplete": "Data incomplete",
        "override_expiring": "Override expiring",
        # limbs
        "justice": "Criminal-justice limb",
        "regularisation": "Regularisation limb",
    }
)


def _labels_for(codes: tuple[str, ...]) -> Mapping[str, str]:
    return MappingProxyType({code: LABELS[code] for code in codes})


CASE_ROLE_LABELS = _labels_for(CASE_ROLES)
INVESTIGATION_STATUS_LABELS = _labels_for(INVESTIGATION_STATUSES)
PROSECUTION_STATUS_LABELS = _labels_for(PROSECUTION_STATUSES)
COURT_LABELS = _labels_for(COURTS)
CRIME_TYPE_LABELS = _labels_for(CRIME_TYPES)
SUPPORT_STATUS_LABELS = _labels_for(SUPPORT_STATUSES)
APPLICATION_ROUTE_LABELS = _labels_for(APPLICATION_ROUTES)
APPLICATION_STATUS_LABELS = _labels_for(APPLICATION_STATUSES)
NRM_STATUS_LABELS = _labels_for(NRM_STATUSES)
OVERRIDE_STATUS_LABELS = _labels_for(OVERRIDE_STATUSES)
OVERRIDE_CATEGORY_LABELS = _labels_for(OVERRIDE_CATEGORIES)
END_CONFIRMATION_REASON_LABELS = _labels_for(END_CONFIRMATION_REASONS)
END_REASON_LABELS = END_CONFIRMATION_REASON_LABELS
HOLD_STATUS_LABELS = _labels_for(HOLD_STATUSES)
GROUND_LABELS = _labels_for(GROUND_CODES)
FLAG_LABELS = _labels_for(FLAG_CODES)
LIMB_LABELS = _labels_for(LIMBS)


def as_choices(codes: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """`(code, label)` pairs for an enumeration, in its order (for Django `choices`)."""
    return tuple((code, LABELS[code]) for code in codes)


# --- Barriers to reporting (API.md "Evaluating the protocol") --------------------------------

# Why a victim withdrew support for a case, or chose not to report a crime at all.
WITHDRAWAL_REASONS: tuple[str, ...] = (
    "fear_of_immigration_consequences",
    "fear_of_perpetrator",
    "lack_of_trust_in_police",
    "practical_barriers",
    "reconciled",
    "other",
    "not_stated",
)

WITHDRAWAL_REASON_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "fear_of_immigration_consequences": "Fear of immigration consequences",
        "fear_of_perpetrator": "Fear of the perpetrator",
        "lack_of_trust_in_police": "Lack of trust in the police",
        "practical_barriers": "Practical barriers",
        "reconciled": "Reconciled",
        "other": "Other",
        "not_stated": "Not stated",
    }
)
