"""Input and output serializers of the holds API. Inputs validate; outputs render."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import CodeField, FactDateField, StrictCharField, StrictChoiceField, StrictDateField
from core.normalise import home_office_reference_key, name_key
from protocol.rules import values

# --- Holds as police and advisers see them ---------------------------------------------------


class HoldSummarySerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = CodeField(enum_name="HoldStatus", choices=values.HOLD_STATUSES)
    in_force = serializers.BooleanField()
    protected_until = serializers.DateField(allow_null=True)


class HoldAnswerSerializer(serializers.Serializer):
    """The hold as a referral or an IE senior's confirmation answers it."""

    reference = serializers.CharField()
    status = CodeField(enum_name="HoldStatus", choices=values.HOLD_STATUSES)
    in_force = serializers.BooleanField()


class DecisionSerializer(serializers.Serializer):
    reference = serializers.CharField(source="hold.reference")
    status = CodeField(enum_name="HoldStatus", choices=values.HOLD_STATUSES)
    in_force = serializers.BooleanField()
    grounds = serializers.ListField(child=serializers.ChoiceField(choices=values.GROUND_CODES))
    protected_until = serializers.DateField(allow_null=True)
    flags = serializers.ListField(child=serializers.ChoiceField(choices=values.FLAG_CODES))
    explanation = serializers.ListField(
        child=serializers.CharField(), help_text="One line per rule that fired, rule id first."
    )
    ruleset = serializers.JSONField(help_text="The rule-set version and the policy values used.")
    evaluated_at = serializers.DateTimeField(source="decided_at")
    evaluated_on = serializers.DateField(help_text="The date the rules were evaluated for.")
    trigger = serializers.CharField(help_text="What led to this evaluation.")


class HoldSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = CodeField(enum_name="HoldStatus", choices=values.HOLD_STATUSES)
    in_force = serializers.BooleanField()
    grounds = serializers.ListField(child=serializers.ChoiceField(choices=values.GROUND_CODES))
    protected_until = serializers.DateField(allow_null=True)
    flags = serializers.ListField(child=serializers.ChoiceField(choices=values.FLAG_CODES))
    explanation = serializers.ListField(
        child=serializers.CharField(), help_text="One line per rule that fired, rule id first."
    )
    ruleset = serializers.JSONField(help_text="The rule-set version and the policy values used.")
    evaluated_at = serializers.DateTimeField()
    evaluated_on = serializers.DateField()
    status_since = serializers.DateTimeField()
    reevaluation_pending = serializers.SerializerMethodField(
        help_text="True while a recorded change has not been evaluated yet (a worker will)."
    )
    history = serializers.SerializerMethodField(
        help_text="Earlier decisions, newest first, each with the same fields."
    )

    def get_reevaluation_pending(self, hold) -> bool:
        victim = self.context.get("victim") or hold.victim
        return hold.evaluated_version < victim.facts_version

    @extend_schema_field(DecisionSerializer(many=True))
    def get_history(self, hold) -> list[dict]:
        # Decisions are newest first; the newest records the decision in force now.
        return DecisionSerializer(list(hold.decisions.all())[1:], many=True).data


# --- IE: hold checks, the review queue, end confirmations, overrides ------------------------


class HoldCheckInputSerializer(serializers.Serializer):
    home_office_reference = StrictCharField(max_length=40, required=False)
    family_name = StrictCharField(max_length=200, required=False)
    given_names = StrictCharField(max_length=200, required=False)
    date_of_birth = FactDateField(required=False)

    def validate(self, data):
        by_name = [data.get(key) for key in ("family_name", "given_names", "date_of_birth")]
        reference = data.get("home_office_reference")
        if reference is not None and any(value is not None for value in by_name):
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        "Check by Home Office reference, or by family name, given names and "
                        "date of birth: not both."
                    ]
                }
            )
        if reference is not None:
            if not home_office_reference_key(reference):
                raise serializers.ValidationError(
                    {"home_office_reference": ["Give the Home Office reference."]}
                )
            return {"home_office_reference": reference}
        if all(value is None for value in by_name):
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        "Give the Home Office reference, or the family name, given names and "
                        "date of birth."
                    ]
                }
            )
        errors = {}
        for key in ("family_name", "given_names"):
            if not name_key(data.get(key) or ""):
                errors[key] = ["Give the full name exactly: a check uses exact identifiers."]
        if data.get("date_of_birth") is None:
            errors["date_of_birth"] = ["Give the date of birth."]
        if errors:
            raise serializers.ValidationError(errors)
        return data


class ContactPointSerializer(serializers.Serializer):
    organisation = serializers.CharField()
    team = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()


class HoldCheckSerializer(serializers.Serializer):
    """Exactly these five fields, whoever the person is."""

    in_force = serializers.BooleanField()
    hold_reference = serializers.CharField(allow_null=True)
    protected_until = serializers.DateField(allow_null=True)
    contact = ContactPointSerializer(
        allow_null=True, help_text="The referring force's protocol contact point."
    )
    check_id = serializers.UUIDField()


class HoldCheckUnavailableSerializer(serializers.Serializer):
    """A check that could not be made: no answer, and not "no hold"."""

    in_force = serializers.BooleanField(
        allow_null=True, help_text="Always null: no check was made, so there is no answer."
    )
    detail = serializers.CharField(
        help_text="That no check was made, and that no enforcement action may be taken until "
        "one succeeds."
    )


class ReviewQueueFilterSerializer(serializers.Serializer):
    status = CodeField(
        enum_name="ReviewQueueStatus",
        choices=["review_due"],
        required=False,
        default="review_due",
        help_text="Only `review_due` (the review queue) is available.",
    )


class ReviewQueueItemSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = CodeField(enum_name="ReviewQueueStatus", choices=["review_due"])
    since = serializers.DateTimeField(source="status_since")
    contact = ContactPointSerializer(
        source="referring_contact",
        allow_null=True,
        help_text="The referring force's protocol contact point.",
    )


class ConfirmEndInputSerializer(serializers.Serializer):
    reason = StrictChoiceField(choices=values.END_REASONS)


class OverrideInputSerializer(serializers.Serializer):
    hold_reference = StrictCharField(max_length=10)
    category = StrictChoiceField(choices=values.OVERRIDE_CATEGORIES)
    justification = StrictCharField(max_length=5000)
    expires_on = StrictDateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="After today, and within the policy's longest override (90 days by default).",
    )


class OverrideNoteSerializer(serializers.Serializer):
    note = StrictCharField(max_length=5000, required=False, allow_blank=True, default="")


class OverrideFilterSerializer(serializers.Serializer):
    status = CodeField(enum_name="OverrideStatus", choices=values.OVERRIDE_STATUSES, required=False)


class OverrideSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    hold_reference = serializers.CharField(source="hold.reference")
    category = serializers.ChoiceField(choices=values.OVERRIDE_CATEGORIES)
    justification = serializers.CharField()
    expires_on = serializers.DateField(allow_null=True)
    status = CodeField(enum_name="OverrideStatus", choices=values.OVERRIDE_STATUSES)
    requested_by = serializers.EmailField(source="requested_by.email")
    requested_at = serializers.DateTimeField()
    decided_by = serializers.EmailField(source="decided_by.email", allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    approved_on = serializers.DateField(allow_null=True)
    decision_note = serializers.CharField()
    revoked_by = serializers.EmailField(source="revoked_by.email", allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    revocation_note = serializers.CharField()


# --- Statistics ------------------------------------------------------------------------------


class CellSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField(allow_null=True, help_text="null when suppressed")
    suppressed = serializers.BooleanField()


class StatisticsSerializer(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    barriers = serializers.JSONField(
        help_text=(
            "Barriers to reporting over `from`..`to` by `by`: `tables` (each `measure`, "
            "`note`, `columns`, `rows` with `cells` and `total`, `column_totals`, `total`; null "
            "where suppressed; `hold_checks` rows also carry `share`, the percentage answered in "
            "force, null unless both its counts are published, and the table `total_share`) and "
            "`medians` (median days per group, null under 5 cases)."
        )
    )
    suppressed_below = serializers.IntegerField(
        help_text="Counts from 1 up to this number less one are shown as null, suppressed."
    )
    holds_by_status = CellSerializer(many=True)
    holds_by_ground = CellSerializer(many=True, help_text="A hold may have several grounds.")
    holds_by_flag = CellSerializer(many=True, help_text="A hold may have several flags.")
    cases_by_crime_type = CellSerializer(many=True)
    cases_by_role = CellSerializer(many=True)
    cases_by_investigation_status = CellSerializer(many=True)
    cases_by_prosecution_status = CellSerializer(many=True)
    cases_by_outcome_code = CellSerializer(many=True, help_text="Home Office outcome types")
    referrals_by_month = CellSerializer(many=True, help_text="Cases by month referred")
    support_engagements_by_status = CellSerializer(many=True)
    applications_by_route = CellSerializer(many=True)
    overrides_by_status = CellSerializer(many=True)
    overrides_by_category = CellSerializer(many=True)
    hold_checks_by_answer = CellSerializer(many=True)
    hold_checks_by_month = CellSerializer(many=True)
    people_erased_by_month = CellSerializer(
        many=True, help_text="People whose identifying data retention erased, by month"
    )


class NotificationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField(help_text="What happened, e.g. `override_approved`")
    label = serializers.CharField(source="get_kind_display")
    references = serializers.DictField(
        child=serializers.CharField(), help_text="`hold`, and `victim` for police and support"
    )
    message = serializers.CharField(help_text="References only, never a person")
    created_at = serializers.DateTimeField()
    read = serializers.BooleanField(help_text="Read by you")
