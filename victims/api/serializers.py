"""Input and output serializers of the victims API. Inputs validate; outputs render."""

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import (
    NOTE_MAX,
    CodeField,
    FactDateField,
    OrganisationRefSerializer,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictDateField,
)
from protocol.api.serializers import HoldSummarySerializer
from protocol.rules import values
from victims import disclosure

ALPHA3 = RegexValidator(r"^[A-Z]{3}$", "Give an ISO 3166-1 alpha-3 code, like SEN or GBR.")
ISO639_1 = RegexValidator(r"^[a-z]{2}$", "Give an ISO 639-1 code, like fr or en.")
TEXT_MAX = 2000
# --- Inputs ----------------------------------------------------------------------------------


class UpperCharField(StrictCharField):
    def to_internal_value(self, data):
        return super().to_internal_value(data).upper()


class LowerCharField(StrictCharField):
    def to_internal_value(self, data):
        return super().to_internal_value(data).lower()


class NameField(StrictCharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 200)
        super().__init__(**kwargs)


class VictimInputSerializer(serializers.Serializer):
    given_names = NameField()
    family_name = NameField()
    date_of_birth = FactDateField()
    nationality = UpperCharField(
        max_length=3, min_length=3, validators=[ALPHA3], help_text="ISO 3166-1 alpha-3"
    )
    home_office_reference = StrictCharField(
        max_length=40, required=False, allow_blank=True, default=""
    )
    preferred_language = LowerCharField(
        max_length=2, min_length=2, validators=[ISO639_1], help_text="ISO 639-1"
    )
    interpreter_needed = StrictBooleanField(required=False, default=False)
    contact = StrictCharField(
        max_length=TEXT_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text="Safe contact details (never shown to IE).",
    )
    address = StrictCharField(
        max_length=TEXT_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text="Never shown to IE.",
    )


class DependantInputSerializer(serializers.Serializer):
    given_names = NameField()
    family_name = NameField()
    date_of_birth = FactDateField()


class NoticeInputSerializer(serializers.Serializer):
    version = StrictCharField(max_length=20)
    language = LowerCharField(max_length=2, min_length=2, validators=[ISO639_1])
    given_on = FactDateField()


class SupportReferralInputSerializer(serializers.Serializer):
    organisation = StrictCharField(max_length=32, help_text="The support organisation's code")
    consent_given_on = FactDateField(
        help_text="The date the victim consented to the referral: without consent, no referral.",
        error_messages={
            "required": "Record the date the victim consented to the referral: without "
            "consent, no referral.",
            "null": "Record the date the victim consented to the referral: without "
            "consent, no referral.",
        },
    )


class SupportUpdateInputSerializer(serializers.Serializer):
    status = CodeField(enum_name="SupportStatus", choices=values.SUPPORT_STATUSES)
    contact_on = FactDateField(
        required=False, allow_null=True, help_text="Date of the latest contact"
    )
    closed_on = FactDateField(
        required=False, allow_null=True, help_text="For a closed or disengaged engagement"
    )
    note = StrictCharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")


APPLICATION_STATUS_CHOICES = tuple(dict.fromkeys(values.APPLICATION_STATUSES + values.NRM_STATUSES))


class ApplicationInputSerializer(serializers.Serializer):
    route = StrictChoiceField(choices=values.APPLICATION_ROUTES)
    status = CodeField(
        enum_name="ApplicationStatus",
        choices=APPLICATION_STATUS_CHOICES,
        help_text="For `nrm`: referred, rg_positive, rg_negative, cg_positive, cg_negative; "
        "for other routes: submitted, granted, refused, challenge_lodged, "
        "challenge_dismissed, withdrawn, invalid.",
    )
    submitted_on = FactDateField()
    decided_on = FactDateField(required=False, allow_null=True)
    leave_expires_on = StrictDateField(
        required=False, allow_null=True, help_text="For a granted application: may be ahead"
    )


class ApplicationUpdateSerializer(ApplicationInputSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False

    def validate(self, data):
        if not data:
            raise serializers.ValidationError(
                {"non_field_errors": ["Give at least one of: " + ", ".join(self.fields) + "."]}
            )
        return data


# --- Outputs ---------------------------------------------------------------------------------


class DependantSerializer(serializers.Serializer):
    given_names = serializers.CharField()
    family_name = serializers.CharField()
    date_of_birth = serializers.DateField()


class SupportEngagementSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    organisation = OrganisationRefSerializer()
    status = CodeField(enum_name="SupportStatus", choices=values.SUPPORT_STATUSES)
    started_on = serializers.DateField()
    last_contact_on = serializers.DateField(allow_null=True)
    closed_on = serializers.DateField(allow_null=True)
    consent_withdrawn_on = serializers.DateField(
        source="consent.withdrawn_on",
        allow_null=True,
        help_text="When the victim withdrew consent to this referral; null while it stands",
    )


class ApplicationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    victim_id = serializers.UUIDField()
    route = serializers.ChoiceField(choices=values.APPLICATION_ROUTES)
    status = CodeField(enum_name="ApplicationStatus", choices=APPLICATION_STATUS_CHOICES)
    submitted_on = serializers.DateField()
    decided_on = serializers.DateField(allow_null=True)
    leave_expires_on = serializers.DateField(allow_null=True)
    organisation = OrganisationRefSerializer(help_text="The organisation that recorded it")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class VictimCaseSerializer(serializers.Serializer):
    """A case of the victim's, as a line on the victim's record (no narrative)."""

    id = serializers.UUIDField()
    reference = serializers.CharField()
    force = OrganisationRefSerializer()
    crime_type = serializers.ChoiceField(choices=values.CRIME_TYPES)
    role = serializers.ChoiceField(choices=values.CASE_ROLES)
    referred_on = serializers.DateField()
    investigation_status = serializers.ChoiceField(choices=values.INVESTIGATION_STATUSES)
    prosecution_status = serializers.ChoiceField(choices=values.PROSECUTION_STATUSES)


class MergedRecordSerializer(serializers.Serializer):
    reference = serializers.CharField()
    merged_at = serializers.DateTimeField()


# Each personal field of the victim's answer, as the declaration names it (victims.disclosure):
# the answer keeps only those its reader's kind is shown.
VICTIM_ANSWER_FIELDS = {
    "given_names": "victim.given_names",
    "family_name": "victim.family_name",
    "date_of_birth": "victim.date_of_birth",
    "nationality": "victim.nationality",
    "home_office_reference": "victim.home_office_reference",
    "preferred_language": "victim.preferred_language",
    "interpreter_needed": "victim.interpreter_needed",
    "contact": "victim.contact",
    "address": "victim.address",
    "dependants": "dependant.given_names",
    "hold": "victim.hold",
    "cases": "case.crime_type",
    "support_engagements": "victim.support_engagements",
    "applications": "victim.applications",
}


class NoticeGivenSerializer(serializers.Serializer):
    """The data-sharing notice given to the victim, with the exact words they were given."""

    version = serializers.CharField()
    language = serializers.CharField()
    given_on = serializers.DateField()
    text = serializers.CharField(allow_null=True)


class VictimSerializer(serializers.Serializer):
    """The victim as its reader's kind is shown it (`context["recipient"]`, a kind of
    victims.disclosure): a field of a category not declared for that kind is left out."""

    id = serializers.UUIDField()
    reference = serializers.CharField()
    given_names = serializers.CharField()
    family_name = serializers.CharField()
    date_of_birth = serializers.DateField()
    nationality = serializers.CharField()
    home_office_reference = serializers.CharField()
    preferred_language = serializers.CharField()
    interpreter_needed = serializers.BooleanField()
    contact = serializers.CharField()
    address = serializers.CharField()
    dependants = DependantSerializer(many=True)
    hold = HoldSummarySerializer()
    cases = VictimCaseSerializer(
        many=True, source="visible_cases", help_text="The cases you may see"
    )
    support_engagements = SupportEngagementSerializer(many=True)
    applications = ApplicationSerializer(many=True)
    merged_records = MergedRecordSerializer(
        many=True, help_text="Records merged into this one (possible duplicates), oldest first."
    )
    created_at = serializers.DateTimeField()
    notice = serializers.SerializerMethodField()

    @extend_schema_field(NoticeGivenSerializer(allow_null=True))
    def get_notice(self, victim) -> dict | None:
        """The latest notice given (a person referred by two forces was given two)."""
        given = getattr(victim, "notices_given", None)
        if not given:
            return None
        return NoticeGivenSerializer(given[0]).data

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Without a recipient, the narrowest view: fail closed, never the adviser's.
        recipient = self.context.get("recipient") or disclosure.IMMIGRATION_ENFORCEMENT
        for name, field in VICTIM_ANSWER_FIELDS.items():
            if not disclosure.shows(recipient, field):
                self.fields.pop(name, None)


class DisclosureCategorySerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField(help_text="In plain words")


class DisclosureSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    organisation = OrganisationRefSerializer()
    categories = serializers.SerializerMethodField(help_text="Which kinds of data")
    purpose = serializers.CharField(help_text="Why, in plain words")
    consent_withdrawn_on = serializers.DateField(
        allow_null=True,
        help_text="On the entry recording that the victim withdrew consent from the "
        "organisation: the date; null on every other entry",
    )

    @extend_schema_field(DisclosureCategorySerializer(many=True))
    def get_categories(self, entry) -> list[dict]:
        return DisclosureCategorySerializer(
            [{"code": code, "label": disclosure.category_label(code)} for code in entry.categories],
            many=True,
        ).data


# --- Support referrals, consent, application history -----------------------------------------


class ReferredVictimSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    reference = serializers.CharField()


REFERRAL_STATUSES = ("new", "accepted", "declined")


class SupportReferralSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    victim = ReferredVictimSerializer()
    organisation = OrganisationRefSerializer(help_text="The support organisation referred to")
    referring_force = OrganisationRefSerializer(allow_null=True)
    referred_on = serializers.DateField(source="started_on")
    status = CodeField(
        enum_name="SupportReferralStatus", choices=REFERRAL_STATUSES, source="referral_status"
    )
    decided_at = serializers.DateTimeField(source="referral_decided_at", allow_null=True)
    decline_reason = serializers.CharField()
    engagement_status = CodeField(
        enum_name="SupportStatus", choices=values.SUPPORT_STATUSES, source="status"
    )
    closed_on = serializers.DateField(allow_null=True)
    consent_withdrawn_on = serializers.DateField(source="consent.withdrawn_on", allow_null=True)


class SupportReferralFilterSerializer(serializers.Serializer):
    status = StrictChoiceField(choices=REFERRAL_STATUSES, required=False)


class SupportReferralDeclineSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=NOTE_MAX, help_text="Why the organisation declines")


class ConsentWithdrawalInputSerializer(serializers.Serializer):
    organisation = StrictCharField(max_length=32, help_text="The support organisation's code")
    withdrawn_on = FactDateField(help_text="The date the victim withdrew consent")


class ConsentWithdrawalSerializer(serializers.Serializer):
    organisation = OrganisationRefSerializer()
    given_on = serializers.DateField()
    withdrawn_on = serializers.DateField()
    withdrawn_at = serializers.DateTimeField()


class ApplicationChangeSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    by = serializers.EmailField(source="by.email", help_text="Who made the change")
    organisation = OrganisationRefSerializer()
    field = serializers.CharField()
    from_value = serializers.CharField(help_text="Empty when it had no value")
    to_value = serializers.CharField()


class ApplicationDetailSerializer(ApplicationSerializer):
    history = ApplicationChangeSerializer(many=True, help_text="Every change, newest first")


# --- Possible duplicates ----------------------------------------------------------------------


class DuplicateRecordSerializer(serializers.Serializer):
    """One record of a possible duplicate: its reference and the forces with a case of it."""

    reference = serializers.CharField()
    forces = serializers.ListField(child=serializers.CharField())


class DuplicateMatchesSerializer(serializers.Serializer):
    names = serializers.BooleanField(source="names_match")
    date_of_birth = serializers.BooleanField(source="date_of_birth_match")
    nationality = serializers.BooleanField(source="nationality_match")


class PossibleDuplicateSerializer(serializers.Serializer):
    """A pair of records that may be one person, as both forces' supervisors see it."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=("open", "merged", "dismissed"))
    first = serializers.SerializerMethodField(help_text="The record referred first: it survives.")
    second = serializers.SerializerMethodField()
    matches = DuplicateMatchesSerializer(source="*")
    merge_proposed_by = serializers.SerializerMethodField(
        help_text="The force of the supervisor who proposed the merge, or null."
    )
    merge_proposed_at = serializers.DateTimeField(source="proposed_at", allow_null=True)
    created_at = serializers.DateTimeField()

    @extend_schema_field(DuplicateRecordSerializer)
    def get_first(self, pair) -> dict:
        return {"reference": pair.first.reference, "forces": getattr(pair, "first_forces", [])}

    @extend_schema_field(DuplicateRecordSerializer)
    def get_second(self, pair) -> dict:
        return {"reference": pair.second.reference, "forces": getattr(pair, "second_forces", [])}

    def get_merge_proposed_by(self, pair) -> str | None:
        if pair.proposed_by is None:
            return None
        return pair.proposed_by.organisation.name if pair.proposed_by.organisation else None


class IdReferenceSchema(serializers.Serializer):
    id = serializers.UUIDField()
    reference = serializers.CharField()


class MergeAnswerSerializer(serializers.Serializer):
    """What a merge call did: `proposed` (waiting for the other force) or `merged`."""

    status = serializers.SerializerMethodField()
    possible_duplicate = PossibleDuplicateSerializer(source="pair")
    survivor = serializers.SerializerMethodField()
    hold = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ChoiceField(choices=("proposed", "merged")))
    def get_status(self, answer) -> str:
        return "merged" if answer.merged else "proposed"

    @extend_schema_field(
        {
            "type": "object",
            "properties": {"id": {"type": "string"}, "reference": {"type": "string"}},
        }
    )
    def get_survivor(self, answer) -> dict:
        return {"id": str(answer.survivor.pk), "reference": answer.survivor.reference}

    @extend_schema_field(HoldSummarySerializer(allow_null=True))
    def get_hold(self, answer) -> dict | None:
        return None if answer.hold is None else HoldSummarySerializer(answer.hold).data
