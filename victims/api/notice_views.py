"""The data-sharing notice's texts (API.md "The victim's side"): every version and language held,
and one text. Any signed-in user may read them: they are what every victim is given."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from core.api import ApiView, error_responses
from core.forms import LANGUAGES
from core.roles import Role
from victims.models import NoticeText


class NoticeVersionSerializer(serializers.Serializer):
    version = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())


class NoticeTextSerializer(serializers.Serializer):
    version = serializers.CharField()
    language = serializers.CharField()
    text = serializers.CharField()


class NoticeListView(ApiView):
    roles = tuple(Role.values)
    audit_object_type = "notice"

    @extend_schema(
        operation_id="notices_list",
        summary="The notice's versions and their languages",
        description="Every version of the data-sharing notice held, newest first, with the "
        "languages (ISO 639-1) its text is held in. A referral names one of these.",
        responses={200: NoticeVersionSerializer(many=True), **error_responses(401, 403)},
        tags=["notices"],
    )
    def get(self, request):
        versions: dict[str, list[str]] = {}
        with self.audited(action="list", object_type="notice"):
            held = NoticeText.objects.order_by("-version", "language")
            for version, language in held.values_list("version", "language"):
                versions.setdefault(version, []).append(language)
        data = [{"version": v, "languages": langs} for v, langs in versions.items()]
        return Response(NoticeVersionSerializer(data, many=True).data)


class NoticeTextView(ApiView):
    roles = tuple(Role.values)
    audit_object_type = "notice"

    @extend_schema(
        operation_id="notices_text",
        summary="One version of the notice, in one language",
        description="The exact words of the notice. A language code that is not ISO 639-1 is a "
        "400 naming `language`; a version or language not held is a 404.",
        responses={200: NoticeTextSerializer, **error_responses(400, 401, 403, 404)},
        tags=["notices"],
    )
    def get(self, request, version: str, language: str):
        if language not in LANGUAGES:
            raise ValidationError({"language": ["Give an ISO 639-1 language code, like cy."]})
        with self.audited(
            action="view", object_type="notice", object_id=f"{version[:40]}/{language[:20]}"
        ):
            notice = NoticeText.objects.held(version, language)
            if notice is None:
                raise NotFound("No text of this version of the notice is held in this language.")
            data = NoticeTextSerializer(notice).data
        return Response(data)
