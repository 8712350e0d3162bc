"""Signposting (API.md "The victim's side"): the routes worth raising with a regulated adviser
for this person's situation, with the Victims' Code rights and the next step; and the record
that it was given. Police and advisers, as for the victim (anyone else's victim is a 404)."""

from django.utils import timezone, translation
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core import languages
from core.api import ApiView, FactDateField, StrictCharField, error_responses
from core.forms import LANGUAGES
from core.permissions import ADVISER, POLICE
from protocol.rules.signposting import signpost
from victims import selectors, services
from victims.models import Victim
from victims.signposting_words import signposting_words


def _known_language(value: str) -> str:
    code = value.strip().lower()
    if code not in LANGUAGES:
        raise serializers.ValidationError("Give an ISO 639-1 language code, like uk or cy.")
    return code


class SignpostingGivenInputSerializer(serializers.Serializer):
    given_on = FactDateField(help_text="The date the victim was given the information")
    language = StrictCharField(max_length=2, help_text="ISO 639-1: the language it was given in")

    def validate_language(self, value: str) -> str:
        return _known_language(value)


class SignpostingGivenSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    given_on = serializers.DateField()
    language = serializers.CharField()
    given_by = serializers.EmailField(source="given_by.email")
    organisation = serializers.CharField(source="organisation.code")
    routes = serializers.ListField(child=serializers.CharField())


class RouteSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    words = serializers.CharField()
    because = serializers.CharField(help_text="The fact on record that makes it worth raising")


class RightSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    text = serializers.CharField()


class SignpostingSerializer(serializers.Serializer):
    language = serializers.CharField()
    routes = RouteSerializer(many=True)
    rights = RightSerializer(many=True)
    next_step = serializers.CharField()
    given = SignpostingGivenSerializer(many=True)


class SignpostingView(ApiView):
    roles = (*POLICE, *ADVISER)
    audit_object_type = "victim"

    @extend_schema(
        operation_id="victims_signposting_retrieve",
        summary="Routes worth raising, and the victim's rights",
        description="From the person's facts (crime type, role, dependants, nationality, current "
        "applications): the routes to regularise stay worth raising with a regulated, "
        "independent adviser, the Victims' Code rights, and the next step, in `?language=` "
        "(one of the victim languages; English by default); and each time it was given.",
        parameters=[OpenApiParameter("language", str, required=False)],
        responses={200: SignpostingSerializer, **error_responses(400, 401, 403, 404)},
        tags=["victims"],
    )
    def get(self, request, victim_id):
        asked = request.query_params.get("language", languages.ENGLISH)
        code = languages.choose(asked, languages.VICTIM_LANGUAGES)
        if code is None or len(asked) != len(code):
            raise ValidationError(
                {"language": [f"Choose one of: {', '.join(languages.VICTIM_LANGUAGES)}."]}
            )
        with self.audited(
            action="view", object_type="victim", object_id=victim_id, hidden=Victim
        ) as access:
            victim = selectors.victim_get(user=request.user, victim_id=victim_id)
            answer = signpost(selectors.signposting_facts(victim), timezone.localdate())
            given = list(selectors.signposting_given(victim))
            access.detail = "signposting"
        with translation.override(code):
            data = {"language": code, **signposting_words(answer), "given": given}
            return Response(SignpostingSerializer(data).data)

    @extend_schema(
        operation_id="victims_signposting_create",
        summary="Record that signposting was given",
        description="When (`given_on`) and in which language (`language`, ISO 639-1) the victim "
        "was given the information; the giver is you. The routes named are recorded with it.",
        request=SignpostingGivenInputSerializer,
        responses={201: SignpostingGivenSerializer, **error_responses(400, 401, 403, 404)},
        tags=["victims"],
    )
    def post(self, request, victim_id):
        given = self.valid(SignpostingGivenInputSerializer, request.data)
        with self.audited(
            action="create", object_type="victim", object_id=victim_id, hidden=Victim
        ) as access:
            victim = selectors.victim_get(user=request.user, victim_id=victim_id)
            record = services.signposting_record(victim=victim, by=request.user, **given)
            access.detail = "signposting given"
            data = SignpostingGivenSerializer(record).data
        return Response(data, status=status.HTTP_201_CREATED)
