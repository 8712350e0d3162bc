"""`POST /api/v1/unreported-crimes` and `PATCH /api/v1/unreported-crimes/{id}` (support
adviser): a crime a supported victim chose not to report, with no identity at all."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api import (
    ApiView,
    CodeField,
    FactDateField,
    StrictBooleanField,
    StrictChoiceField,
    error_responses,
)
from core.permissions import ADVISER
from protocol.rules import values
from victims import unreported
from victims.models import UnreportedCrime

from .serializers import ALPHA3, UpperCharField


class UnreportedCrimeInputSerializer(serializers.Serializer):
    crime_type = StrictChoiceField(choices=values.CRIME_TYPES)
    nationality = UpperCharField(
        max_length=3, min_length=3, validators=[ALPHA3], help_text="ISO 3166-1 alpha-3"
    )
    recorded_on = FactDateField()
    reasons = serializers.ListField(
        child=CodeField(enum_name="WithdrawalReason", choices=values.WITHDRAWAL_REASONS),
        min_length=1,
        help_text="Why the victim chose not to report (withdrawal reason codes)",
    )
    reported_later = StrictBooleanField(required=False, default=False)


class UnreportedCrimeUpdateSerializer(UnreportedCrimeInputSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
        self.fields["reported_later"].default = serializers.empty

    def validate(self, data):
        if not data:
            raise serializers.ValidationError(
                {"non_field_errors": ["Give at least one of: " + ", ".join(self.fields) + "."]}
            )
        return data


class UnreportedCrimeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    crime_type = serializers.CharField()
    nationality = serializers.CharField()
    recorded_on = serializers.DateField()
    reasons = serializers.ListField(child=serializers.CharField())
    reported_later = serializers.BooleanField()


class UnreportedCrimeListView(ApiView):
    roles = ADVISER
    audit_object_type = "unreported_crime"
    audit_actions = {"POST": "create"}

    @extend_schema(
        operation_id="unreported_crimes_create",
        summary="Record a crime a supported victim chose not to report",
        description="No identity at all: crime type, nationality, date, reasons.",
        request=UnreportedCrimeInputSerializer,
        responses={201: UnreportedCrimeSerializer, **error_responses(400, 401, 403)},
        tags=["statistics"],
    )
    def post(self, request):
        data = self.valid(UnreportedCrimeInputSerializer, request.data)
        with self.audited(action="create", object_type="unreported_crime") as access:
            crime = unreported.unreported_crime_record(by=request.user, **data)
            access.object_id = str(crime.pk)
        return Response(UnreportedCrimeSerializer(crime).data, status=status.HTTP_201_CREATED)


class UnreportedCrimeDetailView(ApiView):
    roles = ADVISER
    audit_object_type = "unreported_crime"

    @extend_schema(
        operation_id="unreported_crimes_partial_update",
        summary="Change a recorded unreported crime (say, reported later)",
        description="Only the organisation that recorded it (404 for anyone else).",
        request=UnreportedCrimeUpdateSerializer,
        responses={200: UnreportedCrimeSerializer, **error_responses(400, 401, 403, 404)},
        tags=["statistics"],
    )
    def patch(self, request, crime_id):
        changes = self.valid(UnreportedCrimeUpdateSerializer, request.data)
        with self.audited(
            action="change",
            object_type="unreported_crime",
            object_id=crime_id,
            hidden=UnreportedCrime,
        ):
            crime = unreported.unreported_crime_get(user=request.user, crime_id=crime_id)
            crime = unreported.unreported_crime_update(crime=crime, **changes)
            data = UnreportedCrimeSerializer(crime).data
        return Response(data)
