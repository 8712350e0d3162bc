"""Plain words for signposting (DOMAIN.md "Routes to regularise stay"), ready for translation
into every victim language (core/languages.py: this file is victim-facing). Information, never
advice: each route says when it may fit, and every list ends with a regulated adviser."""

from django.utils.translation import gettext_lazy as _

from protocol.rules import signposting as rules

ROUTE_WORDS = {
    rules.KEEP_IN_TOUCH: (
        _("Keep in touch with your adviser"),
        _(
            "An application for you to stay is already being decided, or a refusal is being "
            "challenged. Keep in touch with the adviser handling it before doing anything new."
        ),
    ),
    rules.FAMILY_OR_PRIVATE_LIFE: (
        _("Family or private life"),
        _(
            "If you have children here or have lived here many years, you may be able to stay "
            "because of your family or private life."
        ),
    ),
    rules.MVDAC: (
        _("Migrant Victims of Domestic Abuse Concession"),
        _(
            "If you came to the UK as the partner of a British citizen or a settled person and "
            "your relationship broke down because of abuse, you may get three months' permission "
            "to stay, with access to public funds, while you apply to stay."
        ),
    ),
    rules.DOMESTIC_ABUSE_SETTLEMENT: (
        _("Settlement as a victim of domestic abuse"),
        _(
            "If you came to the UK as the partner of a British citizen or a settled person and "
            "your relationship broke down because of domestic abuse, you may be able to apply "
            "to stay permanently."
        ),
    ),
    rules.NRM: (
        _("National Referral Mechanism"),
        _(
            "A referral can identify you as a victim of modern slavery. The police can make it, "
            "with your agreement if you are an adult. A positive first decision gives you at "
            "least 30 days to recover. It is not permission to stay."
        ),
    ),
    rules.VTS: (
        _("Permission to stay for victims of trafficking or slavery"),
        _(
            "After a positive final decision in the National Referral Mechanism, you may get "
            "permission to stay to recover, to claim compensation or to help the police."
        ),
    ),
    rules.LATE_EUSS: (
        _("A late EU Settlement Scheme application"),
        _(
            "As a national of a European Economic Area country or Switzerland, you may still "
            "apply to the EU Settlement Scheme. Abuse and exploitation are accepted reasons for "
            "applying late."
        ),
    ),
    rules.ASYLUM: (
        _("Asylum or humanitarian protection"),
        _(
            "If you fear going back to your country, you may be able to ask for asylum or "
            "humanitarian protection."
        ),
    ),
}

NEXT_STEP_WORDS = {
    rules.NEXT_STEP: _(
        "Speak to a regulated, independent immigration adviser: one registered with the OISC, "
        "or a solicitor. A support organisation can arrange one for you. Immigration "
        "Enforcement never gives immigration advice."
    ),
}

RIGHT_WORDS = {
    1: _("Right 1: to understand and be understood, with an interpreter if you need one."),
    4: _("Right 4: to be referred to services that can support you."),
    6: _("Right 6: to be told how the police investigation is going."),
    12: _("Right 12: to complain if you do not get these rights."),
}


def signposting_words(signposting: rules.Signposting) -> dict:
    """The rules' answer in the active language: each route's title and words, the rights and
    the next step."""
    return {
        "routes": [
            {
                "code": route.code,
                "title": str(ROUTE_WORDS[route.code][0]),
                "words": str(ROUTE_WORDS[route.code][1]),
                "because": route.because,
            }
            for route in signposting.routes
        ],
        "rights": [
            {"number": number, "text": str(RIGHT_WORDS[number])} for number in signposting.rights
        ],
        "next_step": str(NEXT_STEP_WORDS[signposting.next_step]),
    }
