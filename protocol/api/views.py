"""Holds API: the hold for police and advisers; checks, the review queue, end confirmations and
overrides for IE; anonymised statistics for analysts and auditors.

IE learns only what PROTOCOL.md "What each party learns" allows: a check answers five fields,
the same for a person never heard of and for one whose hold is not in force.
"""

from datetime import timedelta

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from cases.selectors import case_list
from core.api import ApiView, StrictChoiceField, cursor_pagination, error_responses
from core.permissions import IE_SENIOR
from core.roles import IE_ROLES, POLICE_ROLES, Role
from core.throttling import RedisScopedRateThrottle
from protocol import selectors, services
from protocol.barriers import BREAKDOWNS, as_csv, barrier_statistics
from protocol.models import Notification, Override, PolicySimulation
from protocol.services import forecast, simulation
from protocol.statistics import statistics
from protocol.subject_access import subject_access_export, subject_access_victim
from victims.models import Victim
from victims.selectors import victim_get

from .serializers import (
    ConfirmEndInputSerializer,
    HoldAnswerSerializer,
    HoldCheckInputSerializer,
    HoldCheckSerializer,
    HoldCheckUnavailableSerializer,
    HoldSerializer,
    NotificationSerializer,
    OverrideFilterSerializer,
    OverrideInputSerializer,
    OverrideNoteSerializer,
    OverrideSerializer,
    ReviewQueueFilterSerializer,
    ReviewQueueItemSerializer,
    StatisticsSerializer,
)


class HoldView(ApiView):
    roles = (*POLICE_ROLES, Role.SUPPORT_ADVISER)
    audit_object_type = "victim"

    @extend_schema(
        operation_id="victims_hold_retrieve",
        summary="The victim's hold, explained, with its history",
        description=(
            'The full current decision (PROTOCOL.md "The decision") and the earlier decisions, '
            "newest first. Police: their force's victims; advisers: victims referred to them."
        ),
        responses={200: HoldSerializer, **error_responses(401, 403, 404)},
        tags=["holds"],
    )
    def get(self, request, victim_id):
        with self.audited(
            action="view", object_type="victim", object_id=victim_id, detail="hold", hidden=Victim
        ):
            victim = victim_get(user=request.user, victim_id=victim_id)
            hold = selectors.hold_for_victim(victim, user=request.user)
            data = HoldSerializer(hold, context={"victim": victim}).data
        return Response(data)


class HoldCheckView(ApiView):
    roles = tuple(IE_ROLES)
    audit_object_type = "hold_check"
    audit_actions = {"POST": "hold_check"}
    throttle_classes = [RedisScopedRateThrottle]
    throttle_scope = "hold_check"

    @extend_schema(
        operation_id="hold_checks_create",
        summary="Check whether a hold is in force for one person",
        description=(
            "Exact identifiers only: `home_office_reference`, or `family_name`, `given_names` "
            "and `date_of_birth` (case, accents and spacing do not matter). Dependants are "
            "covered by their victim's hold. The answer reads the same, apart from `check_id`, "
            "for a person never heard of and for one whose hold is not in force. Throttled "
            "per user. A hold whose stored decision lags its facts, or whose next due date has "
            "come, is evaluated first, in the check's own transaction. A check that cannot be "
            "made (database or Redis unreachable, any failure) answers 503 with "
            '`{"in_force": null, "detail": ...}` and `Retry-After`: no answer, never "no hold".'
        ),
        request=HoldCheckInputSerializer,
        parameters=[
            OpenApiParameter(
                "Retry-After",
                int,
                location=OpenApiParameter.HEADER,
                response=[503],
                description="Seconds to wait before checking again.",
            )
        ],
        responses={
            200: HoldCheckSerializer,
            **error_responses(400, 401, 403, 429),
            503: OpenApiResponse(
                HoldCheckUnavailableSerializer,
                description="No check was made: take no enforcement action until one succeeds.",
            ),
        },
        tags=["holds"],
    )
    def post(self, request):
        person = self.valid(HoldCheckInputSerializer, request.data)
        # The service records the check, its access event and any disclosure in one
        # transaction with the answer.
        answer = services.hold_check(user=request.user, request=request, **person)
        # The answer's five fields as they are (HoldCheckSerializer documents them); the
        # renderer writes the date and the UUID in ISO form, as the serializer would.
        return Response(
            {
                "check_id": answer.check_id,
                "in_force": answer.in_force,
                "hold_reference": answer.hold_reference,
                "protected_until": answer.protected_until,
                "contact": answer.contact,
            }
        )


class ReviewQueueView(ApiView):
    roles = IE_SENIOR
    audit_object_type = "hold"
    pagination_class = cursor_pagination("status_since", "id")

    audit_actions = {"GET": "list"}

    @extend_schema(
        operation_id="holds_list",
        summary="The review queue",
        description=(
            "Holds due for review, longest waiting first: the hold reference, since when, and "
            "the referring force's contact point. No identities."
        ),
        parameters=[ReviewQueueFilterSerializer],
        responses={200: ReviewQueueItemSerializer(many=True), **error_responses(400, 401, 403)},
        tags=["holds"],
    )
    def get(self, request):
        self.valid(ReviewQueueFilterSerializer, request.query_params)
        with self.audited(action="list", object_type="hold", detail="status=review_due"):
            return self.paginated(selectors.review_queue(), ReviewQueueItemSerializer)


class ConfirmEndView(ApiView):
    roles = IE_SENIOR
    audit_object_type = "hold"

    @extend_schema(
        operation_id="holds_confirm_end_create",
        summary="Confirm the end of a hold that is due for review",
        description=(
            "409 unless the hold, evaluated on today's facts, is `review_due`: one message, the "
            "same for a reference that names no hold and for a hold in any other status."
        ),
        request=ConfirmEndInputSerializer,
        responses={200: HoldAnswerSerializer, **error_responses(400, 401, 403, 404, 409)},
        tags=["holds"],
    )
    def post(self, request, reference):
        reason = self.valid(ConfirmEndInputSerializer, request.data)["reason"]
        with self.audited(action="change", object_type="hold") as access:
            hold = services.end_confirm(hold_reference=reference, by=request.user, reason=reason)
            access.object_id = str(hold.pk)
            access.detail = f"end of {hold.reference} confirmed: {reason}"
            data = HoldAnswerSerializer(hold).data
        return Response(data)


class OverrideListView(ApiView):
    roles = IE_SENIOR
    audit_object_type = "override"
    pagination_class = cursor_pagination("-requested_at")

    audit_actions = {"GET": "list", "POST": "create"}

    @extend_schema(
        operation_id="overrides_list",
        summary="Public-protection overrides",
        description="Newest first; `status=requested` lists those waiting for a second senior.",
        parameters=[OverrideFilterSerializer],
        responses={200: OverrideSerializer(many=True), **error_responses(400, 401, 403)},
        tags=["overrides"],
    )
    def get(self, request):
        filters = self.valid(OverrideFilterSerializer, request.query_params)
        with self.audited(
            action="list", object_type="override", detail=f"status={filters.get('status', '')}"
        ):
            return self.paginated(
                selectors.override_list(user=request.user, **filters), OverrideSerializer
            )

    @extend_schema(
        operation_id="overrides_create",
        summary="Request a public-protection override",
        description=(
            "Requested by one IE senior, decided by another. 409 if the hold is not in force "
            "(one message, the same for a reference that names no hold and for a hold in any "
            "status not in force) or already has an override requested or approved."
        ),
        request=OverrideInputSerializer,
        responses={201: OverrideSerializer, **error_responses(400, 401, 403, 409)},
        tags=["overrides"],
    )
    def post(self, request):
        override_data = self.valid(OverrideInputSerializer, request.data)
        with self.audited(action="create", object_type="override") as access:
            override = services.override_request(by=request.user, **override_data)
            access.object_id = str(override.pk)
            access.detail = f"override of {override_data['hold_reference']} requested"
            data = OverrideSerializer(
                selectors.override_get(user=request.user, override_id=override.pk)
            ).data
        return Response(data, status=status.HTTP_201_CREATED)


class _OverrideStepView(ApiView):
    roles = IE_SENIOR
    audit_object_type = "override"
    step = ""
    service = staticmethod(lambda **kwargs: None)

    def post(self, request, override_id):
        note = self.valid(OverrideNoteSerializer, request.data)["note"]
        with self.audited(
            action="change",
            object_type="override",
            object_id=override_id,
            detail=self.step,
            hidden=Override,
        ):
            self.service(override_id=override_id, by=request.user, note=note)
            data = OverrideSerializer(
                selectors.override_get(user=request.user, override_id=override_id)
            ).data
        return Response(data)


def _step_schema(step: str, description: str):
    return extend_schema(
        operation_id=f"overrides_{step}_create",
        summary=f"{step.capitalize()} an override",
        description=description,
        request=OverrideNoteSerializer,
        responses={200: OverrideSerializer, **error_responses(400, 401, 403, 404, 409)},
        tags=["overrides"],
    )


class OverrideApproveView(_OverrideStepView):
    step = "approve"
    service = staticmethod(services.override_approve)

    @_step_schema(
        "approve",
        "Another IE senior approves: never the one who asked (403). 409 unless requested. "
        "The hold is re-evaluated at once.",
    )
    def post(self, request, override_id):
        return super().post(request, override_id)


class OverrideRejectView(_OverrideStepView):
    step = "reject"
    service = staticmethod(services.override_reject)

    @_step_schema(
        "reject", "Another IE senior rejects: never the one who asked (403). 409 unless requested."
    )
    def post(self, request, override_id):
        return super().post(request, override_id)


class OverrideRevokeView(_OverrideStepView):
    step = "revoke"
    service = staticmethod(services.override_revoke)

    @_step_schema(
        "revoke",
        "End an approved override (409 otherwise): the hold returns to what the rules say.",
    )
    def post(self, request, override_id):
        return super().post(request, override_id)


class _StatisticsQuerySerializer(serializers.Serializer):
    """`from`, `to`, `by` and `format` of `GET /api/v1/statistics`."""

    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    by = StrictChoiceField(choices=BREAKDOWNS, required=False, default="month")
    format = StrictChoiceField(choices=("json", "csv"), required=False, default="json")

    def validate(self, data):
        today = services.today()
        data.setdefault("date_to", today)
        data.setdefault("date_from", data["date_to"].replace(day=1) - timedelta(days=365))
        if data["date_from"] > data["date_to"]:
            raise serializers.ValidationError({"from": ["`from` must not be after `to`."]})
        return data


class StatisticsView(ApiView):
    roles = (Role.ANALYST, Role.AUDITOR)
    audit_object_type = "statistics"

    def perform_content_negotiation(self, request, force=False):
        # `?format=csv` is this view's own answer (an HttpResponse), never DRF's renderer
        # lookup (which would answer 404 for a format it has no renderer for).
        return (JSONRenderer(), JSONRenderer.media_type)

    @extend_schema(
        operation_id="statistics_retrieve",
        summary="Anonymised counts, small numbers suppressed",
        description=(
            "Counts from 1 to 4 are `null` with `suppressed: true`, and further counts are "
            "suppressed so that none of them can be worked out from the published cells and "
            "totals. `barriers` breaks the measures down `by` month, force, crime type, "
            "nationality group (the UN M49 sub-region of the nationality, keyed by its M49 code; "
            "`unknown` for stateless and unknown nationalities) or language, over `from`..`to` "
            "(default: the last year). Each measure counts by its own date, and `month` is that "
            "date's month: a case's referral, an unreported crime's recording, an application's "
            "submission (applications by route and by outcome), a hold leaving force (holds by "
            "how they ended and by how long they were in force, with the median), an IE hold "
            "check (checks by answer, with `share` in force). Applications and holds count a "
            "person once, under the force and crime type of their referral (earliest case). "
            "Hold checks record no person: they are broken down by month only, and are one "
            "row, `all_checks`, under the other breakdowns (each table's `note` says so). "
            "`?format=csv` gives the barrier tables as CSV (an `export` in the access log)."
        ),
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="On or after"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="On or before"),
            OpenApiParameter("by", OpenApiTypes.STR, enum=list(BREAKDOWNS)),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"]),
        ],
        responses={
            (200, "application/json"): StatisticsSerializer,
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.STR, description="`?format=csv`: the barrier tables"
            ),
            **error_responses(400, 401, 403),
        },
        tags=["statistics"],
    )
    def get(self, request):
        raw = request.query_params.dict()
        query = self.valid(
            _StatisticsQuerySerializer,
            {
                ({"from": "date_from", "to": "date_to"}.get(key, key)): value
                for key, value in raw.items()
            },
        )
        barriers = {"date_from": query["date_from"], "date_to": query["date_to"], "by": query["by"]}
        if query["format"] == "csv":
            with self.audited(action="export", object_type="statistics", detail="csv"):
                body = as_csv(barrier_statistics(**barriers))
            response = HttpResponse(body, content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="statistics.csv"'
            return response
        with self.audited(action="view", object_type="statistics"):
            data = StatisticsSerializer(
                {**statistics(), "barriers": barrier_statistics(**barriers)}
            ).data
        return Response(data)


class NotificationListView(ApiView):
    roles = selectors.NOTIFIED_ROLES
    audit_object_type = "notification"
    pagination_class = cursor_pagination("-created_at", "-id")

    @extend_schema(
        operation_id="notifications_list",
        summary="Your organisation's notifications",
        description=(
            "Newest first, each with `read` (by you). Police, support advisers and IE seniors; "
            "IE caseworkers, analysts, auditors and administrators receive none (403). "
            "References only, never a person."
        ),
        responses={200: NotificationSerializer(many=True), **error_responses(400, 401, 403)},
        tags=["notifications"],
    )
    def get(self, request):
        with self.audited(action="list", object_type="notification"):
            return self.paginated(
                selectors.notifications_visible(user=request.user), NotificationSerializer
            )


class NotificationReadView(ApiView):
    roles = selectors.NOTIFIED_ROLES
    audit_object_type = "notification"
    audit_actions = {"POST": "change"}

    @extend_schema(
        operation_id="notifications_read_create",
        summary="Mark a notification read",
        description="Marks it read by you (again is harmless). Not yours: 404.",
        request=None,
        responses={200: NotificationSerializer, **error_responses(401, 403, 404)},
        tags=["notifications"],
    )
    def post(self, request, notification_id):
        with self.audited(
            action="change",
            object_type="notification",
            object_id=notification_id,
            detail="read",
            hidden=Notification,
        ):
            notification = services.notification_mark_read(
                notification_id=notification_id,
                user=request.user,
                visible=selectors.notifications_visible(user=request.user),
            )
            data = NotificationSerializer(notification).data
        return Response(data)


class SubjectAccessExportView(ApiView):
    roles = (Role.POLICE_SUPERVISOR,)
    audit_object_type = "victim"
    audit_actions = {"GET": "export"}

    @extend_schema(
        operation_id="victims_export_retrieve",
        summary="Subject access: everything held about the person",
        description=(
            "For a police supervisor of a force with a case of the person (other roles 403, "
            "other forces 404): the person, dependants, notices, consents, cases, support, "
            "applications, every disclosure, the hold and its history, overrides, end "
            "confirmations and hold checks. Another force's case appears only as "
            '"a case of another force" with its dates and statuses. An `export` in the access '
            "log. The same as a printable page and a PDF at `/victims/{id}/export`."
        ),
        responses={200: OpenApiTypes.OBJECT, **error_responses(401, 403, 404)},
        tags=["victims"],
    )
    def get(self, request, victim_id):
        with self.audited(
            action="export", object_type="victim", object_id=victim_id, hidden=Victim
        ):
            victim = subject_access_victim(user=request.user, victim_id=victim_id)
            data = subject_access_export(user=request.user, victim=victim)
        return Response(data)


class _SimulationInputSerializer(serializers.Serializer):
    policy = serializers.JSONField(help_text="Settings to change, PROTOCOL.md's names")
    on = serializers.DateField(required=False, help_text="Today or within the next 365 days")


class PolicySimulationListView(ApiView):
    roles = (Role.ANALYST, Role.AUDITOR)
    audit_object_type = "policy_simulation"
    audit_actions = {"POST": "create"}

    @extend_schema(
        operation_id="policy_simulations_create",
        summary="Simulate a policy change",
        description=(
            "Every hold not ended by an end confirmation is evaluated under the proposed policy "
            "beside the running one, on `on`. Answers 202 with the simulation's `id`; a small "
            "simulation is done at once, a large one on the worker. Unknown settings, values "
            "out of range and dates outside today..+365 days are a 400 naming the field."
        ),
        request=_SimulationInputSerializer,
        responses={
            202: OpenApiResponse(description="`{id, status}`"),
            **error_responses(400, 401, 403),
        },
        tags=["statistics"],
    )
    def post(self, request):
        data = self.valid(_SimulationInputSerializer, request.data)
        try:
            simulation.proposed_policy(data["policy"])
            on = simulation.check_on(data.get("on"))
        except simulation.SimulationInputError as error:
            raise serializers.ValidationError(error.errors) from error
        with self.audited(action="create", object_type="policy_simulation") as access:
            kept = simulation.simulation_request(by=request.user, policy=data["policy"], on=on)
            access.object_id = str(kept.pk)
        return Response(
            {"id": str(kept.pk), "status": kept.status}, status=status.HTTP_202_ACCEPTED
        )


class PolicySimulationView(ApiView):
    roles = (Role.ANALYST, Role.AUDITOR)
    audit_object_type = "policy_simulation"

    @extend_schema(
        operation_id="policy_simulations_retrieve",
        summary="A policy simulation's status and result",
        description=(
            "Only the one who asked may read it (404 for anyone else). The result's counts "
            "are suppressed from 1 to 4 (and further where they could be worked out) and every "
            "other count and sum is perturbed by the cell-key method (`perturbed: true`), so "
            "that two runs a day or a setting apart cannot single out one person."
        ),
        responses={
            200: OpenApiResponse(description="`{id, status, total, done, result}`"),
            **error_responses(401, 403, 404),
        },
        tags=["statistics"],
    )
    def get(self, request, simulation_id):
        with self.audited(
            action="view",
            object_type="policy_simulation",
            object_id=simulation_id,
            hidden=PolicySimulation,
        ):
            kept = PolicySimulation.objects.get(pk=simulation_id, requested_by=request.user)
            data = {
                "id": str(kept.pk),
                "status": kept.status,
                "on": kept.on,
                "policy": kept.policy,
                "total": kept.total,
                "done": kept.done,
                "result": kept.result,
            }
        return Response(data)


class _ForecastInputSerializer(serializers.Serializer):
    on = serializers.DateField(help_text="Today or within the next 365 days")
    changes = serializers.JSONField(
        required=False,
        default=list,
        help_text=(
            'A list of `{"case": "<id>", ...status fields}`, `{"application": "<id>", '
            '...}` or `{"support": "<organisation code>", ...}`: the caller\'s own records'
        ),
    )


class HoldForecastView(ApiView):
    roles = (*POLICE_ROLES, Role.SUPPORT_ADVISER)
    audit_object_type = "victim"
    audit_actions = {"POST": "view"}

    @extend_schema(
        operation_id="victims_hold_forecast",
        summary="What-if: the hold as it would be on a date, if some facts changed",
        description=(
            "The decision as it would be on `on` with `changes` to the caller's own case, "
            "application or support engagement laid over the recorded facts; dates up to `on` "
            "are allowed here alone. Nothing is stored; nobody is notified."
        ),
        request=_ForecastInputSerializer,
        responses={
            200: OpenApiResponse(description="The forecast decision"),
            **error_responses(400, 401, 403, 404),
        },
        tags=["holds"],
    )
    def post(self, request, victim_id):
        data = self.valid(_ForecastInputSerializer, request.data)
        with self.audited(
            action="view",
            object_type="victim",
            object_id=victim_id,
            detail="hold forecast",
            hidden=Victim,
        ):
            victim = victim_get(user=request.user, victim_id=victim_id)
            try:
                decision = forecast.hold_forecast(
                    user=request.user, victim=victim, on=data["on"], changes=data["changes"]
                )
            except simulation.SimulationInputError as error:
                raise serializers.ValidationError(error.errors) from error
            except LookupError as missing:
                raise exceptions.NotFound() from missing
            visible = set(
                case_list(user=request.user)
                .filter(victim=victim)
                .values_list("reference", flat=True)
            )
        body = decision.as_dict()
        body["explanation"] = selectors.mask_case_references(body["explanation"], visible)
        body["on"] = data["on"]
        return Response(body)
