"""Cases API: referrals, cases and their status changes.

Police see their own force's cases; support advisers the cases of victims referred to their
organisation, without the crime narrative or police notes. IE, oversight and administrators get
403: no list of victims or cases exists for them. Another force's case is a 404.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from cases import selectors, services
from cases.models import Case
from core.api import ApiView, cursor_pagination, error_responses, filters_text
from core.permissions import ADVISER, POLICE

from .serializers import (
    AdviserCaseSerializer,
    CaseFilterSerializer,
    CaseSerializer,
    PoliceCaseSerializer,
    ReferralInputSerializer,
    ReferralSerializer,
    StatusChangeInputSerializer,
    police_case_data,
)


class ReferralView(ApiView):
    roles = POLICE
    audit_object_type = "case"
    audit_actions = {"POST": "create"}

    @extend_schema(
        operation_id="referrals_create",
        summary="Log a referral",
        description=(
            "A victim (new, or `victim_id` of one already known to your force), the case, any "
            "dependants, and the data-sharing notice given to the victim. The hold is created in "
            "the same transaction, in force, before any worker has run. A new victim whose "
            "`home_office_reference` is already on record (from any force) with the same names "
            "and date of birth joins that person (`joined`: true, the existing victim and hold "
            "references); with other names or date of birth, 409 naming "
            "`victim.home_office_reference`. Without a reference, a victim with the same names "
            "and date of birth as another is recorded and listed as a possible duplicate."
        ),
        request=ReferralInputSerializer,
        responses={201: ReferralSerializer, **error_responses(400, 401, 403, 409)},
        tags=["cases"],
    )
    def post(self, request):
        referral_data = self.valid(ReferralInputSerializer, request.data)
        with self.audited(action="create", object_type="case") as access:
            referral = services.referral_create(
                officer=request.user,
                case=referral_data["case"],
                notice=referral_data["notice"],
                victim=referral_data.get("victim"),
                victim_id=referral_data.get("victim_id"),
                dependants=referral_data.get("dependants", []),
            )
            access.object_id = str(referral.case.pk)
            access.detail = f"referral of victim {referral.victim.pk}"
            if referral.joined:
                access.record_also(
                    action="change",
                    object_type="victim",
                    object_id=referral.victim.pk,
                    detail="joined by Home Office reference",
                )
            elif "victim" in referral_data:
                access.record_also(
                    action="create", object_type="victim", object_id=referral.victim.pk
                )
            data = ReferralSerializer(referral).data
        return Response(data, status=status.HTTP_201_CREATED)


class CaseListView(ApiView):
    roles = (*POLICE, *ADVISER)
    audit_object_type = "case"
    audit_actions = {"GET": "list"}
    pagination_class = cursor_pagination("-created_at")

    @extend_schema(
        operation_id="cases_list",
        summary="Your cases",
        description=(
            "Police: their force's cases. Support advisers: the cases of victims referred to "
            "their organisation. Newest first; filter by investigation `status`, "
            "`prosecution_status` or the victim's `hold_status`."
        ),
        parameters=[CaseFilterSerializer],
        responses={200: CaseSerializer(many=True), **error_responses(400, 401, 403)},
        tags=["cases"],
    )
    def get(self, request):
        filters = self.valid(CaseFilterSerializer, request.query_params)
        with self.audited(action="list", object_type="case", detail=filters_text(filters)):
            cases = selectors.case_search(user=request.user, **filters)
            return self.paginated(cases, CaseSerializer)


class CaseDetailView(ApiView):
    roles = (*POLICE, *ADVISER)
    audit_object_type = "case"

    @extend_schema(
        operation_id="cases_retrieve",
        summary="One case",
        description=(
            "Police see the narrative and the notes of status changes; support advisers see "
            "neither (the fields are absent)."
        ),
        responses={200: PoliceCaseSerializer, **error_responses(401, 403, 404)},
        tags=["cases"],
    )
    def get(self, request, case_id):
        with self.audited(action="view", object_type="case", object_id=case_id, hidden=Case):
            if request.user.has_role(*POLICE):  # the busy path: one statement, plain values
                data = police_case_data(selectors.police_case(user=request.user, case_id=case_id))
            else:
                case = selectors.case_detail(user=request.user, case_id=case_id)
                data = _case_serializer(request.user)(case).data
        return Response(data)


class CaseStatusView(ApiView):
    roles = POLICE
    audit_object_type = "case"

    @extend_schema(
        operation_id="cases_status_create",
        summary="Record an investigation or prosecution status change",
        description=(
            "Any of the status fields, together in one request if they belong together. Status "
            "dates may not precede the case's `reported_on` nor lie in the future. The hold is "
            "re-evaluated after the change commits. Answers the case as it now stands."
        ),
        request=StatusChangeInputSerializer,
        responses={200: PoliceCaseSerializer, **error_responses(400, 401, 403, 404)},
        tags=["cases"],
    )
    def post(self, request, case_id):
        change = self.valid(StatusChangeInputSerializer, request.data)
        note = change.pop("note", "")
        with self.audited(
            action="change", object_type="case", object_id=case_id, hidden=Case
        ) as access:
            # The service reads the case (locked) and refuses, as not found, one the caller
            # may not change.
            services.case_status_change(case=case_id, by=request.user, changes=change, note=note)
            access.detail = "status: " + ", ".join(sorted(change))
            data = PoliceCaseSerializer(
                selectors.case_detail(user=request.user, case_id=case_id)
            ).data
        return Response(data)


def _case_serializer(user):
    if user.has_role(*POLICE):
        return PoliceCaseSerializer
    if user.has_role(*ADVISER):
        return AdviserCaseSerializer
    raise exceptions.PermissionDenied()
