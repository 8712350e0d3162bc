"""Input and output serializers of the cases API. Inputs validate; outputs render."""

import datetime as dt

from rest_framework import serializers

from cases.services import STATUS_FIELDS
from core.api import (
    NOTE_MAX,
    CodeField,
    FactDateField,
    OrganisationRefSerializer,
    StrictCharField,
    StrictChoiceField,
    StrictIntegerField,
)
from protocol.api.serializers import HoldAnswerSerializer, HoldSummarySerializer
from protocol.rules import values
from victims.api.serializers import (
    DependantInputSerializer,
    NoticeInputSerializer,
    VictimInputSerializer,
)

NARRATIVE_MAX = 20_000

# --- Referral --------------------------------------------------------------------------------


class CaseInputSerializer(serializers.Serializer):
    crime_reference = StrictCharField(max_length=60)
    crime_type = StrictChoiceField(choices=values.CRIME_TYPES)
    role = StrictChoiceField(choices=values.CASE_ROLES)
    reported_on = FactDateField()
    referred_on = FactDateField(required=False, help_text="Defaults to today")
    investigation_status = StrictChoiceField(choices=values.INVESTIGATION_STATUSES)
    narrative = StrictCharField(
        max_length=NARRATIVE_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text="Free text seen by police only.",
    )

    def validate(self, data):
        referred_on, reported_on = data.get("referred_on"), data["reported_on"]
        if referred_on is not None and referred_on < reported_on:
            raise serializers.ValidationError(
                {"referred_on": ["This date is before the date the crime was reported."]}
            )
        return data


class ReferralInputSerializer(serializers.Serializer):
    victim = VictimInputSerializer(required=False, help_text="A new victim...")
    victim_id = serializers.UUIDField(
        required=False, help_text="... or the id of a victim already known to your force."
    )
    case = CaseInputSerializer()
    dependants = DependantInputSerializer(many=True, required=False, max_length=20)
    notice = NoticeInputSerializer(help_text="The data-sharing notice given to the victim.")

    def validate(self, data):
        if ("victim" in data) == ("victim_id" in data):
            raise serializers.ValidationError(
                {"victim": ["Give either a new victim or the victim_id of one already known."]}
            )
        return data


class IdReferenceSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    reference = serializers.CharField()


class ReferralSerializer(serializers.Serializer):
    victim = IdReferenceSerializer()
    case = IdReferenceSerializer()
    hold = HoldAnswerSerializer()
    joined = serializers.BooleanField(
        help_text="True when the victim was already on record (by Home Office reference)."
    )


# --- Cases -----------------------------------------------------------------------------------


class CaseFilterSerializer(serializers.Serializer):
    status = StrictChoiceField(
        choices=values.INVESTIGATION_STATUSES,
        required=False,
        help_text="Investigation status",
    )
    prosecution_status = StrictChoiceField(choices=values.PROSECUTION_STATUSES, required=False)
    hold_status = StrictChoiceField(
        choices=values.HOLD_STATUSES, required=False, help_text="The victim's hold status"
    )


class VictimRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    reference = serializers.CharField()


class CaseSerializer(serializers.Serializer):
    """A case as a list shows it, to police and advisers alike: no narrative, no notes."""

    id = serializers.UUIDField()
    reference = serializers.CharField()
    force = OrganisationRefSerializer()
    victim = VictimRefSerializer()
    hold = HoldSummarySerializer(source="victim.hold")
    crime_reference = serializers.CharField()
    crime_type = serializers.ChoiceField(choices=values.CRIME_TYPES)
    role = serializers.ChoiceField(choices=values.CASE_ROLES)
    reported_on = serializers.DateField()
    referred_on = serializers.DateField()
    investigation_status = serializers.ChoiceField(choices=values.INVESTIGATION_STATUSES)
    closed_on = serializers.DateField(allow_null=True)
    outcome_code = serializers.IntegerField(allow_null=True)
    prosecution_status = serializers.ChoiceField(choices=values.PROSECUTION_STATUSES)
    court = serializers.CharField(help_text="magistrates, crown, or empty")
    concluded_on = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class StatusChangeSerializer(serializers.Serializer):
    """A status change as advisers see it: what changed and when."""

    at = serializers.DateTimeField()
    changes = serializers.JSONField(help_text='{"field": ["from", "to"], ...}')


class PoliceStatusChangeSerializer(StatusChangeSerializer):
    by = serializers.EmailField(
        source="by.email", required=False, help_text="Police only: absent for advisers."
    )
    note = serializers.CharField(required=False, help_text="Police only: absent for advisers.")


class AdviserCaseSerializer(CaseSerializer):
    """One case as a support adviser sees it: no crime narrative, no police notes."""

    status_changes = StatusChangeSerializer(many=True)


class PoliceCaseSerializer(CaseSerializer):
    """One case as its force sees it, with the narrative and the notes."""

    narrative = serializers.CharField(
        required=False, help_text="The crime narrative. Police only: absent for advisers."
    )
    status_changes = PoliceStatusChangeSerializer(many=True)


class StatusChangeInputSerializer(serializers.Serializer):
    investigation_status = StrictChoiceField(choices=values.INVESTIGATION_STATUSES, required=False)
    closed_on = FactDateField(required=False, allow_null=True)
    outcome_code = StrictIntegerField(
        min_value=1,
        max_value=22,
        required=False,
        allow_null=True,
        help_text="Home Office crime outcome type (1-22)",
    )
    prosecution_status = StrictChoiceField(choices=values.PROSECUTION_STATUSES, required=False)
    court = StrictChoiceField(
        choices=values.COURTS, required=False, allow_null=True, allow_blank=True
    )
    concluded_on = FactDateField(required=False, allow_null=True)
    withdrawal_reason = CodeField(
        enum_name="WithdrawalReason",
        choices=values.WITHDRAWAL_REASONS,
        required=False,
        help_text=(
            "Why the victim withdrew support for the case: only with a change to "
            "`no_further_action` or a `discontinued` prosecution (400 otherwise)."
        ),
    )
    note = StrictCharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")

    def validate(self, data):
        if not any(field in data for field in STATUS_FIELDS):
            raise serializers.ValidationError(
                {"non_field_errors": [f"Give at least one of: {', '.join(STATUS_FIELDS)}."]}
            )
        return data


# The busiest read, police's `GET /api/v1/cases/{id}`, is rendered from the plain values of
# `cases.selectors.police_case` by one function rather than by PoliceCaseSerializer, which
# copies its two dozen fields on every use. The serializer stays the documented shape (the
# schema), and tests/api/test_case_read_fast.py checks the two answers are identical; the
# fields' own `to_representation` formats each value as the serializer would.
_UUID = serializers.UUIDField()
_DATE = serializers.DateField()
_DATETIME = serializers.DateTimeField()


def _date(value):
    return None if value is None else _DATE.to_representation(value)


def police_case_data(found: dict) -> dict:
    """PoliceCaseSerializer's answer for `found` (`cases.selectors.police_case`)."""
    hold = None
    if found["hold_reference"] is not None:
        hold = {
            "reference": found["hold_reference"],
            "status": found["hold_status"],
            "in_force": found["hold_in_force"],
            "protected_until": _date(found["hold_protected_until"]),
        }
    outcome = found["outcome_code"]
    return {
        "id": _UUID.to_representation(found["id"]),
        "reference": found["reference"],
        "force": {"code": found["force_code"], "name": found["force_name"]},
        "victim": {
            "id": _UUID.to_representation(found["victim_id"]),
            "reference": found["victim_reference"],
        },
        "hold": hold,
        "crime_reference": found["crime_reference"],
        "crime_type": found["crime_type"],
        "role": found["role"],
        "reported_on": _date(found["reported_on"]),
        "referred_on": _date(found["referred_on"]),
        "investigation_status": found["investigation_status"],
        "closed_on": _date(found["closed_on"]),
        "outcome_code": None if outcome is None else int(outcome),
        "prosecution_status": found["prosecution_status"],
        "court": found["court"],
        "concluded_on": _date(found["concluded_on"]),
        "created_at": _DATETIME.to_representation(found["created_at"]),
        "updated_at": _DATETIME.to_representation(found["updated_at"]),
        "narrative": found["narrative"],
        "status_changes": [
            {
                "at": _DATETIME.to_representation(dt.datetime.fromisoformat(change["at"])),
                "changes": change["changes"],
                "by": change["by"],
                "note": change["note"],
            }
            for change in found["status_changes"]
        ],
    }
