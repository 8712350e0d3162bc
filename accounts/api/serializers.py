"""Input and output serializers of the accounts API. Inputs validate; outputs render."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_slug
from rest_framework import serializers

from accounts.models import AccessEvent, Organisation, validate_roles_fit
from core.api import FactDateField, StrictBooleanField, StrictCharField, StrictChoiceField
from core.roles import OrganisationKind, Role

# --- Tokens ----------------------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = StrictCharField(max_length=128, trim_whitespace=False)
    otp = StrictCharField(
        max_length=12,
        required=False,
        help_text="For accounts with two-factor authentication: the 6-digit code its "
        "authenticator app shows now.",
    )

    def validate_email(self, value: str) -> str:
        return value.strip().lower()


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    expires_at = serializers.DateTimeField()


# --- Organisations ---------------------------------------------------------------------------


class ContactSerializer(serializers.Serializer):
    team = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()


class OrganisationSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=OrganisationKind.choices)
    contact = ContactSerializer()


class OrganisationFilterSerializer(serializers.Serializer):
    kind = StrictChoiceField(choices=OrganisationKind.choices, required=False)


class ContactInputSerializer(serializers.Serializer):
    team = StrictCharField(max_length=200)
    phone = StrictCharField(max_length=40)
    email = serializers.EmailField(max_length=254)


class OrganisationInputSerializer(serializers.Serializer):
    kind = StrictChoiceField(choices=OrganisationKind.choices)
    code = StrictCharField(
        max_length=32,
        validators=[validate_slug],
        help_text="Short code: letters, numbers, hyphens and underscores",
    )
    name = StrictCharField(max_length=200)
    contact = ContactInputSerializer(required=False)

    def service_arguments(self) -> dict:
        data = self.validated_data
        contact = data.get("contact")
        return {
            "kind": data["kind"],
            "code": data["code"],
            "name": data["name"],
            "contact": (
                {
                    "contact_team": contact["team"],
                    "contact_phone": contact["phone"],
                    "contact_email": contact["email"],
                }
                if contact
                else None
            ),
        }


# --- Users -----------------------------------------------------------------------------------


class OrganisationSummarySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=OrganisationKind.choices)


class UserSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    organisation = OrganisationSummarySerializer(allow_null=True)
    roles = serializers.SerializerMethodField()
    is_active = serializers.BooleanField()
    date_joined = serializers.DateTimeField()

    def get_roles(self, user) -> list[str]:
        # From the prefetched groups: no query per user.
        return sorted(group.name for group in user.groups.all() if group.name in Role.values)


class UserFilterSerializer(serializers.Serializer):
    organisation = serializers.SlugField(max_length=32, required=False)
    role = StrictChoiceField(choices=Role.choices, required=False)


NO_PASSWORDS = (
    "Administrators do not set passwords: the user sets their own with the one-time link "
    "emailed to them (POST /api/v1/users/{id}/set-up-link sends a new one)."
)


class _UserFields(serializers.Serializer):
    organisation = serializers.SlugRelatedField(
        slug_field="code", queryset=Organisation.objects.all(), help_text="Organisation code"
    )
    roles = serializers.ListField(
        child=StrictChoiceField(choices=Role.choices), min_length=1, max_length=len(Role.values)
    )
    full_name = StrictCharField(max_length=200, required=False, allow_blank=True)

    def validate(self, data):
        """No password, ever; every role must fit the organisation's kind (checked again by
        the service)."""
        if "password" in self.initial_data:
            raise serializers.ValidationError({"password": [NO_PASSWORDS]})
        account = self.context.get("account")
        organisation = data.get("organisation", account.organisation if account else None)
        roles = data.get("roles", sorted(account.roles) if account else [])
        try:
            validate_roles_fit(organisation, roles)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"roles": error.messages}) from None
        return data


class UserCreateSerializer(_UserFields):
    """A new account: its user is emailed a one-time link to set their own password."""

    email = serializers.EmailField(max_length=254)

    def validate_email(self, value: str) -> str:
        return value.strip().lower()


class UserUpdateSerializer(_UserFields):
    is_active = StrictBooleanField(
        required=False,
        help_text="false deactivates the account (its API tokens end at once); true reactivates",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class SetUpLinkSerializer(serializers.Serializer):
    detail = serializers.CharField()


# --- The access log --------------------------------------------------------------------------


class ActorSerializer(serializers.Serializer):
    email = serializers.CharField(source="actor_email")
    role = serializers.CharField(
        source="actor_roles", help_text="The actor's roles at the time, comma-separated."
    )
    organisation = serializers.CharField(source="actor_organisation", help_text="Organisation code")


class AccessEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = ActorSerializer(source="*")
    action = serializers.ChoiceField(choices=AccessEvent.Action.choices)
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    outcome = serializers.ChoiceField(choices=AccessEvent.Outcome.choices)
    detail = serializers.CharField()
    request_id = serializers.CharField()


class AccessEventFilterSerializer(serializers.Serializer):
    action = StrictChoiceField(choices=AccessEvent.Action.choices, required=False)
    outcome = StrictChoiceField(choices=AccessEvent.Outcome.choices, required=False)
    object_type = StrictCharField(max_length=40, required=False)
    object_id = StrictCharField(max_length=64, required=False)
    actor = StrictCharField(max_length=254, required=False, help_text="The actor's email")
    organisation = StrictCharField(
        max_length=32, required=False, help_text="The actor's organisation code"
    )
    since = FactDateField(required=False, help_text="From this date (inclusive)")
    until = serializers.DateField(required=False, help_text="Up to this date (inclusive)")

    def validate(self, data):
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise serializers.ValidationError({"until": ["This date is before `since`."]})
        return data
