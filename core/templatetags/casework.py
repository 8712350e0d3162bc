"""Template helpers for the GOV.UK pages: form fields as design-system markup, and plain words
for the codes the rules and records use."""

import datetime as dt

from django import forms, template
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import languages
from core.forms import DATE_PARTS, DateField
from core.forms import language_name as _language_name
from core.roles import Role
from core.validation import long_date
from protocol.rules import values

register = template.Library()

# --- Form fields ----------------------------------------------------------------------------

DATE_PART_LABELS = {"day": _("Day"), "month": _("Month"), "year": _("Year")}
_HANDLED_ATTRS = {
    "class",
    "inline",
    "small",
    "rows",
    "autocomplete",
    "spellcheck",
    "inputmode",
    "reveal",
}
_DATE_WIDTHS = {"day": "govuk-input--width-2", "month": "govuk-input--width-2"}


def _field_kind(field: forms.Field) -> str:
    widget = field.widget
    if isinstance(field, DateField):
        return "date"
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    return "input"


def _options(choices, current) -> list[dict]:
    """Choices (flat or grouped) as items with `selected`; the blank choice kept first."""
    current = "" if current is None else str(current)
    items = []
    for value, text in choices:
        if isinstance(text, list | tuple):
            items.append(
                {"group": _words(value), "options": [_option(v, t, current) for v, t in text]},
            )
        else:
            items.append(_option(value, text, current))
    return items


def _option(value, text, current: str) -> dict:
    value = "" if value is None else str(value)
    return {"value": value, "text": _words(text), "selected": value == current}


def _words(text):
    """A choice's label in the page's language: the English labels of `protocol.rules.values`
    (core/label_words.py marks them) are translated here, when the page renders; a lazy
    translation is left to translate itself."""
    return gettext(text) if isinstance(text, str) and not isinstance(text, Promise) else text


@register.simple_tag
def govuk_field(bound, heading: bool = False, size: str = "", hint: str = "", **options):
    """Render a bound field as GOV.UK markup: input, textarea, select, radios, checkbox(es) or
    date.

    `heading=True` makes the label or legend the page's `<h1>` (one question per page);
    `size` is `l`, `m` or `s` for the label or legend. Widget `attrs` give the input's width
    class, `autocomplete`, `spellcheck`, `inputmode`, `rows`, and for radios `inline`/`small`.
    """
    field = bound.field
    kind = _field_kind(field)
    attrs = dict(field.widget.attrs)
    attrs.update(options)
    if heading and not size:
        size = "l"
    error = bound.errors[0] if bound.errors else ""
    hint_text = hint or field.help_text
    ident = bound.auto_id
    described = " ".join(
        part for part in (hint_text and f"{ident}-hint", error and f"{ident}-error") if part
    )
    context = {
        "field": bound,
        "id": ident,
        "name": bound.html_name,
        "label": bound.label,
        "heading": heading,
        "size": size,
        "hint": hint_text,
        "error": error,
        "described_by": described,
        "width": attrs.get("class", ""),
        "inline": attrs.get("inline", False),
        "small": attrs.get("small", False),
        "rows": attrs.get("rows", 5),
        "autocomplete": attrs.get("autocomplete", ""),
        "spellcheck": attrs.get("spellcheck", ""),
        "inputmode": attrs.get("inputmode", ""),
        "extra": {key: value for key, value in attrs.items() if key not in _HANDLED_ATTRS},
    }
    value = bound.value()
    if kind == "date":
        parts = field.prepare_value(value)
        context["parts"] = [
            {
                "name": f"{bound.html_name}_{part}",
                "id": f"{ident}_{part}",
                "label": DATE_PART_LABELS[part],
                "value": "" if parts[index] is None else parts[index],
                "width": _DATE_WIDTHS.get(part, "govuk-input--width-4"),
                "error": bool(error) and (not field.error_parts or part in field.error_parts),
            }
            for index, part in enumerate(DATE_PARTS)
        ]
    elif kind == "checkboxes":
        chosen = {str(item) for item in (value or [])}
        context["items"] = [
            {
                "value": str(choice),
                "text": _words(text),
                "selected": str(choice) in chosen,
                "id": ident if index == 0 else f"{ident}_{index + 1}",
            }
            for index, (choice, text) in enumerate(field.choices)
        ]
    elif kind in ("radios", "select"):
        items = _options(field.choices, value)
        if kind == "radios":
            items = [item for item in items if item.get("value") != ""]
            reveals = _reveals(bound, attrs.get("reveal", ""))
            for index, item in enumerate(items):
                item["id"] = ident if index == 0 else f"{ident}_{index + 1}"
                item["conditional"] = reveals.get(str(item.get("value")), "")
        context["items"] = items
    elif kind == "checkbox":
        context["checked"] = bool(value) and value not in ("", "false", "False", "0")
    else:
        context["type"] = getattr(field.widget, "input_type", "text")
        context["value"] = "" if value is None or context["type"] == "password" else value
    return render_to_string(f"partials/fields/{kind}.html", context)


def _reveals(bound, reveal: str) -> dict[str, str]:
    """GOV.UK conditional reveal for radios: `reveal="no_further_action:closed_on"` nests the
    form's `closed_on` under that choice (several as `a:x,y;b:z`). Hidden by GOV.UK Frontend's
    script until the choice is picked; without JavaScript every nested field shows."""
    reveals = {}
    for part in filter(None, reveal.split(";")):
        choice, names = part.split(":", 1)
        reveals[choice] = mark_safe(  # noqa: S308 - our own rendered fields
            "".join(govuk_field(bound.form[name]) for name in names.split(","))
        )
    return reveals


# --- Plain words ----------------------------------------------------------------------------

TAG_COLOURS = {
    "active": "govuk-tag--green",
    "ending": "govuk-tag--yellow",
    "review_due": "govuk-tag--orange",
    "ended": "govuk-tag--grey",
    "not_covered": "govuk-tag--grey",
    "overridden": "govuk-tag--red",
    "regularised": "govuk-tag--turquoise",
    # overrides
    "requested": "govuk-tag--yellow",
    "approved": "govuk-tag--red",
    "rejected": "govuk-tag--grey",
    "revoked": "govuk-tag--grey",
}

GROUND_PLAIN = {
    "investigation_ongoing": _("A police investigation is ongoing"),
    "prosecution_ongoing": _("A prosecution is ongoing"),
    "review_window": _(
        "The victim can still ask for a review of a decision not to charge or "
        "to stop the case (Victims' Right to Review)"
    ),
    "appeal_window": _("The time to appeal the sentence has not yet passed"),
    "regularisation_support": _(
        "The victim is getting support and advice to regularise their stay"
    ),
    "application_pending": _(
        "An application to stay is waiting for a decision or can still be challenged"
    ),
    "nrm_pending": _(
        "A National Referral Mechanism (modern slavery) decision is pending or can "
        "still be reconsidered"
    ),
}

FLAG_PLAIN = {
    "support_contact_overdue": _(
        "No contact from the support adviser for a long time: record "
        "contact, or the support ground will end"
    ),
    "data_incomplete": _(
        "Some recorded facts are missing or unclear, so the hold is kept in force "
        "until they are corrected"
    ),
    "override_expiring": _("The public-protection override ends within 14 days"),
}

STATUS_PLAIN = {
    "active": _("In force: no enforcement action may be taken"),
    "ending": _("In force during the grace period after the last ground ended"),
    "review_due": _("Still in force, waiting for Immigration Enforcement to review it"),
    "ended": _("Ended: an IE senior caseworker confirmed the end after review"),
    "not_covered": _("Not covered: no case counts under the protocol"),
    "overridden": _("Not in force: a public-protection override was approved"),
    "regularised": _("Not needed: the victim has permission to stay"),
}


@register.filter
def role_labels(account) -> list[str]:
    """An account's roles in words, from its prefetched groups (no query per account)."""
    names = {group.name for group in account.groups.all()}
    return [str(text) for value, text in Role.choices if value in names]


@register.filter
def label(code) -> str:
    """The human label of a code from PROTOCOL.md's enumerations."""
    if code in (None, ""):
        return ""
    text = values.LABELS.get(str(code))
    return gettext(text) if text else str(code).replace("_", " ").capitalize()


@register.filter
def outcome_label(code) -> str:
    if code in (None, ""):
        return ""
    text = values.OUTCOME_CODE_LABELS.get(int(code), "")
    return f"{code}: {gettext(text) if text else ''}"


@register.filter
def tag_class(status) -> str:
    return TAG_COLOURS.get(status, "")


@register.filter
def ground_plain(code) -> str:
    return str(GROUND_PLAIN[code]) if code in GROUND_PLAIN else label(code)


@register.filter
def flag_plain(code) -> str:
    return str(FLAG_PLAIN[code]) if code in FLAG_PLAIN else label(code)


@register.filter
def status_plain(code) -> str:
    return str(STATUS_PLAIN[code]) if code in STATUS_PLAIN else label(code)


# --- Navigation -----------------------------------------------------------------------------

_SECTIONS = {
    ("cases", "referral"): "referral",
    ("cases", ""): "cases",
    ("victims", "referral_"): "referrals",
    ("victims", "referrals"): "referrals",
    ("victims", "possible_duplicate"): "duplicates",
    ("victims", ""): "victims",
    ("", "hold_check"): "check",
    ("", "review_queue"): "review",
    ("", "hold_detail"): "review",
    ("", "hold_confirm_end"): "review",
    ("", "override"): "overrides",
    ("", "hold_override"): "overrides",
    ("", "home"): "home",
    ("", "notification"): "notifications",
    ("", "statistics"): "statistics",
    ("", "simulation"): "simulation",
    ("accounts", "audit_log"): "audit",
    ("accounts", "user"): "users",
    ("accounts", "organisation"): "organisations",
}


@register.simple_tag(takes_context=True)
def nav_section(context) -> str:
    """Which item of the service navigation the current page belongs to."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    namespace, name = match.namespace or "", match.url_name or ""
    for (space, prefix), section in _SECTIONS.items():
        if namespace == space and name.startswith(prefix):
            return section
    return ""


@register.filter
def has_any(user_roles, roles: str) -> bool:
    """`user_roles|has_any:"police_officer,police_supervisor"`."""
    return bool(set(user_roles or ()) & set(roles.split(",")))


TRIGGER_LABELS = {
    "referral": _("Referral logged"),
    "case_status": _("Case status changed"),
    "support": _("Support changed"),
    "application": _("Application changed"),
    "override": _("Override decided"),
    "end_confirmation": _("End confirmed"),
    "merge": _("Records merged"),
    "sweep": _("Scheduled check"),
    "command": _("Re-evaluated by an operator"),
    "hold_check": _("Re-evaluated for a hold check"),
}


@register.filter
def trigger_label(code) -> str:
    return str(TRIGGER_LABELS[code]) if code in TRIGGER_LABELS else label(code)


@register.filter
def isodate(value):
    """An ISO date string (as the referral draft keeps dates) as a date, for `|date`."""
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


_CHANGE_FIELDS = {
    "investigation_status": _("Investigation"),
    "closed_on": _("Closed on"),
    "outcome_code": _("Outcome type"),
    "prosecution_status": _("Prosecution"),
    "court": _("Court"),
    "concluded_on": _("Concluded on"),
}


@register.filter
def change_lines(change) -> list[str]:
    """A case status change's `{"field": [from, to]}` as plain lines."""
    lines = []
    for field, (before, after) in (change.changes or {}).items():

        def plain(value, field=field):
            if value in (None, ""):
                return gettext("not recorded")
            if field == "outcome_code":
                return outcome_label(value)
            if field.endswith("_on"):
                day = isodate(value)
                return long_date(day) if day else str(value)
            return label(value)

        lines.append(
            gettext("%(field)s: %(before)s to %(after)s")
            % {
                "field": _CHANGE_FIELDS.get(field, field),
                "before": plain(before),
                "after": plain(after),
            }
        )
    return lines


@register.filter
def language_name(code) -> str:
    return _language_name(code)


@register.filter
def headline(message) -> str:
    """A message's first sentence: the heading of its notification banner."""
    head, separator, _ = str(message).partition(". ")
    return head + ("." if separator else "")


@register.filter
def after_headline(message) -> str:
    return str(message).partition(". ")[2]


@register.filter
def when(value) -> str:
    """A timestamp in GOV.UK style, in the service's time zone: 24 November 2026 at 7:49pm."""
    if not value:
        return ""
    local = timezone.localtime(value)
    time = f"{local.hour % 12 or 12}:{local:%M}" + (
        gettext("am") if local.hour < 12 else gettext("pm")
    )
    return gettext("%(date)s at %(time)s") % {
        "date": long_date(local),
        "time": time,
    }


# --- Languages, countries and numbers (core/languages.py) -------------------------------------


@register.filter
def language_direction(code: str) -> str:
    """`rtl` for a right-to-left language (Arabic, Urdu), `ltr` otherwise."""
    try:
        return "rtl" if translation.get_language_info(code)["bidi"] else "ltr"
    except KeyError:
        return "ltr"


@register.filter
def country_name(alpha3: str) -> str:
    """An ISO 3166-1 alpha-3 code ("SEN") as the country's name in the page's language."""
    return languages.country_name(alpha3, translation.get_language() or languages.ENGLISH)


@register.filter
def local_number(value) -> str:
    """A number as the page's language writes it (CLDR, through Babel)."""
    return languages.format_number(value, translation.get_language() or languages.ENGLISH)
