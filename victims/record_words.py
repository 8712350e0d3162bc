"""Plain words for the victim's own record, ready for translation into every victim language
(core/languages.py: this file is victim-facing)."""

from django.utils.translation import gettext_lazy

from .services import CONSENT_WITHDRAWN_PURPOSE

CATEGORY_WORDS = {
    "identity": gettext_lazy("your name and date of birth"),
    "nationality": gettext_lazy("your nationality"),
    "home_office_reference": gettext_lazy("your Home Office reference"),
    "dependants": gettext_lazy("the names and dates of birth of the people who depend on you"),
    "contact_details": gettext_lazy("how to contact you safely"),
    "language_needs": gettext_lazy("the language you speak and whether you need an interpreter"),
    "case_status": gettext_lazy("how far the police investigation and any court case have got"),
    "crime_narrative": gettext_lazy("what happened to you"),
    "support_and_applications": gettext_lazy(
        "the support you get from advisers and your applications to stay"
    ),
    "hold_status": gettext_lazy("whether your hold is in force"),
}
GROUND_WORDS = {
    "investigation_ongoing": gettext_lazy("The police are investigating the crime."),
    "prosecution_ongoing": gettext_lazy(
        "The case against the offender is going through the courts."
    ),
    "review_window": gettext_lazy(
        "You can still ask for a review of the decision not to charge the offender or to stop "
        "the case."
    ),
    "appeal_window": gettext_lazy(
        "The time allowed for an appeal against the sentence has not passed yet."
    ),
    "regularisation_support": gettext_lazy(
        "You are getting support and advice to apply to stay in the UK."
    ),
    "application_pending": gettext_lazy(
        "Your application to stay is waiting for a decision, or you can still challenge a refusal."
    ),
    "nrm_pending": gettext_lazy(
        "Your modern slavery referral (National Referral Mechanism) is still being decided, or "
        "you are in the time given after a decision."
    ),
}
_REFERRAL_PURPOSE = "Referral for independent support and advice, with the victim's consent"
_CHECK_PURPOSE = "Immigration Enforcement checked whether a hold is in force and was told: "
PURPOSE_WORDS = {
    CONSENT_WITHDRAWN_PURPOSE: gettext_lazy(
        "You withdrew your consent. They can no longer see your information."
    ),
    _REFERRAL_PURPOSE: gettext_lazy(
        "You agreed to be referred to them for independent support and advice."
    ),
    _CHECK_PURPOSE + "a hold is in force": gettext_lazy(
        "Immigration Enforcement checked whether you have a hold. They were told only that a "
        "hold is in force, its reference, the date it lasts until and how to contact the police."
    ),
    _CHECK_PURPOSE + "no hold in force": gettext_lazy(
        "Immigration Enforcement checked whether you have a hold. They were told that no hold is "
        "in force, and nothing else."
    ),
}
