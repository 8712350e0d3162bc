"""Victims API: the victim, support referrals and updates, applications, disclosures.

Police see the victims of their force's cases; support advisers the victims referred to their
organisation. For anybody else (IE, oversight, administrators) these endpoints are a 403, and
a victim that is not the caller's is a 404.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from cases.selectors import case_list
from core.api import ApiView, cursor_pagination, error_responses
from core.permissions import ADVISER, POLICE
from core.roles import Role
from protocol.services import merges
from protocol.services import support as support_services
from victims import disclosure, selectors, services
from victims.models import Application, PossibleDuplicate, SupportEngagement, Victim

from .serializers import (
    ApplicationDetailSerializer,
    ApplicationInputSerializer,
    ApplicationSerializer,
    ApplicationUpdateSerializer,
    ConsentWithdrawalInputSerializer,
    ConsentWithdrawalSerializer,
    DisclosureSerializer,
    MergeAnswerSerializer,
    PossibleDuplicateSerializer,
    SupportEngagementSerializer,
    SupportReferralDeclineSerializer,
    SupportReferralFilterSerializer,
    SupportReferralInputSerializer,
    SupportReferralSerializer,
    SupportUpdateInputSerializer,
    VictimSerializer,
)


class VictimDetailView(ApiView):
    roles = (*POLICE, *ADVISER)
    audit_object_type = "victim"

    @extend_schema(
        operation_id="victims_retrieve",
        summary="The victim",
        description=(
            "Police: the victims of their force's cases. Support advisers: the victims referred "
            "to their organisation. The cases listed are only those you may see."
        ),
        responses={200: VictimSerializer, **error_responses(401, 403, 404)},
        tags=["victims"],
    )
    def get(self, request, victim_id):
        with self.audited(action="view", object_type="victim", object_id=victim_id, hidden=Victim):
            victim = selectors.victim_detail(
                user=request.user,
                victim_id=victim_id,
                visible_cases=case_list(user=request.user),
            )
            recipient = disclosure.recipient_of(request.user)
            data = VictimSerializer(victim, context={"recipient": recipient}).data
        return Response(data)


class SupportReferralView(ApiView):
    roles = POLICE
    audit_object_type = "victim"
    audit_actions = {"POST": "create"}

    @extend_schema(
        operation_id="victims_support_referrals_create",
        summary="Refer the victim to a support organisation",
        description=(
            "A disclosure of the victim's data to the organisation, recorded with the date the "
            "victim consented: without consent, 400. 409 if the organisation already has an "
            "open engagement with the victim."
        ),
        request=SupportReferralInputSerializer,
        responses={201: SupportEngagementSerializer, **error_responses(400, 401, 403, 404, 409)},
        tags=["victims"],
    )
    def post(self, request, victim_id):
        referral = self.valid(SupportReferralInputSerializer, request.data)
        with self.audited(
            action="create", object_type="victim", object_id=victim_id, hidden=Victim
        ) as access:
            victim = selectors.victim_get(user=request.user, victim_id=victim_id)
            engagement = support_services.support_referral_make(
                victim=victim,
                by=request.user,
                organisation_code=referral["organisation"],
                consent_given_on=referral["consent_given_on"],
            )
            access.detail = f"support referral to {referral['organisation']}"
            data = SupportEngagementSerializer(engagement).data
        return Response(data, status=status.HTTP_201_CREATED)


class SupportUpdateView(ApiView):
    roles = ADVISER
    audit_object_type = "victim"

    @extend_schema(
        operation_id="victims_support_create",
        summary="Record an engagement update",
        description=(
            "Your organisation's engagement with the victim: its status, the date of the latest "
            "contact, the date it closed, and a note. The hold is re-evaluated after it commits."
        ),
        request=SupportUpdateInputSerializer,
        responses={200: SupportEngagementSerializer, **error_responses(400, 401, 403, 404, 409)},
        tags=["victims"],
    )
    def post(self, request, victim_id):
        update = self.valid(SupportUpdateInputSerializer, request.data)
        with self.audited(
            action="change", object_type="victim", object_id=victim_id, hidden=Victim
        ) as access:
            victim = selectors.victim_get(user=request.user, victim_id=victim_id)
            engagement = services.support_update(victim=victim, by=request.user, **update)
            access.detail = f"support update: {update['status']}"
            data = SupportEngagementSerializer(engagement).data
        return Response(data)


class ApplicationCreateView(ApiView):
    roles = ADVISER
    audit_object_type = "victim"
    audit_actions = {"POST": "create"}

    @extend_schema(
        operation_id="victims_applications_create",
        summary="Record an application to regularise stay",
        request=ApplicationInputSerializer,
        responses={201: ApplicationSerializer, **error_responses(400, 401, 403, 404)},
        tags=["victims"],
    )
    def post(self, request, victim_id):
        application_data = self.valid(ApplicationInputSerializer, request.data)
        with self.audited(
            action="create", object_type="victim", object_id=victim_id, hidden=Victim
        ) as access:
            victim = selectors.victim_get(user=request.user, victim_id=victim_id)
            application = services.application_create(
                victim=victim, by=request.user, **application_data
            )
            access.detail = f"application {application.pk}"
            data = ApplicationSerializer(application).data
        return Response(data, status=status.HTTP_201_CREATED)


class ApplicationDetailView(ApiView):
    roles = ADVISER
    audit_object_type = "application"

    @extend_schema(
        operation_id="applications_retrieve",
        summary="An application and its history",
        description=(
            "Only advisers of the organisation the application belongs to; others get 404. "
            "`history` lists every change, newest first: who, when, which field, from, to."
        ),
        responses={200: ApplicationDetailSerializer, **error_responses(401, 403, 404)},
        tags=["victims"],
    )
    def get(self, request, application_id):
        with self.audited(
            action="view",
            object_type="application",
            object_id=application_id,
            hidden=Application,
        ):
            application = selectors.application_get(
                user=request.user, application_id=application_id
            )
            data = ApplicationDetailSerializer(application).data
        return Response(data)

    @extend_schema(
        operation_id="applications_partial_update",
        summary="Change an application's status or dates",
        description="The route is fixed once recorded: record a new application instead.",
        request=ApplicationUpdateSerializer,
        responses={200: ApplicationSerializer, **error_responses(400, 401, 403, 404)},
        tags=["victims"],
    )
    def patch(self, request, application_id):
        changes = self.valid(ApplicationUpdateSerializer, request.data)
        with self.audited(
            action="change",
            object_type="application",
            object_id=application_id,
            hidden=Application,
        ):
            application = selectors.application_get(
                user=request.user, application_id=application_id
            )
            application = services.application_update(
                application=application, by=request.user, **changes
            )
            data = ApplicationDetailSerializer(application).data
        return Response(data)


class ApplicationTakeOverView(ApiView):
    roles = ADVISER
    audit_object_type = "application"

    @extend_schema(
        operation_id="applications_take_over",
        summary="Take over an application whose organisation has lost access",
        description=(
            "An adviser of an organisation supporting the person takes over an application "
            "whose organisation no longer supports them (a declined referral, a closed "
            "engagement, consent withdrawn). 409 while that organisation still supports the "
            "person, or when the application is already yours. The history records it."
        ),
        request=None,
        responses={200: ApplicationDetailSerializer, **error_responses(401, 403, 404, 409)},
        tags=["victims"],
    )
    def post(self, request, application_id):
        with self.audited(
            action="change",
            object_type="application",
            object_id=application_id,
            detail="take over",
            hidden=Application,
        ):
            application = selectors.application_for_take_over(
                user=request.user, application_id=application_id
            )
            application = services.application_take_over(application=application, by=request.user)
            data = ApplicationDetailSerializer(application).data
        return Response(data)


class SupportReferralListView(ApiView):
    roles = (*POLICE, *ADVISER)
    audit_object_type = "support_referral"
    audit_actions = {"GET": "list"}
    pagination_class = cursor_pagination("-created_at", "-id")

    @extend_schema(
        operation_id="support_referrals_list",
        summary="Support referrals",
        description=(
            "Advisers: the referrals made to their organisation. Police: those their force "
            "made. Newest first; `?status=new` for those still to accept or decline."
        ),
        parameters=[SupportReferralFilterSerializer],
        responses={
            200: SupportReferralSerializer(many=True),
            **error_responses(400, 401, 403),
        },
        tags=["victims"],
    )
    def get(self, request):
        filters = self.valid(SupportReferralFilterSerializer, request.query_params)
        with self.audited(action="list", object_type="support_referral", detail=str(filters)):
            referrals = selectors.support_referral_list(user=request.user)
            if filters.get("status"):
                referrals = referrals.filter(referral_status=filters["status"])
            referrals = referrals.select_related("consent")
            return self.paginated(referrals, SupportReferralSerializer)


class SupportReferralDecisionView(ApiView):
    roles = ADVISER
    audit_object_type = "support_referral"
    decision = ""

    def post(self, request, referral_id):
        reason = ""
        if self.decision == "decline":
            reason = self.valid(SupportReferralDeclineSerializer, request.data)["reason"]
        with self.audited(
            action="change",
            object_type="support_referral",
            object_id=referral_id,
            detail=self.decision,
            hidden=SupportEngagement,
        ):
            referral = selectors.support_referral_get(user=request.user, referral_id=referral_id)
            if self.decision == "decline":
                referral = support_services.support_referral_decline(
                    engagement=referral, by=request.user, reason=reason
                )
            else:
                referral = support_services.support_referral_accept(
                    engagement=referral, by=request.user
                )
            data = SupportReferralSerializer(referral).data
        return Response(data)


class SupportReferralAcceptView(SupportReferralDecisionView):
    decision = "accept"

    @extend_schema(
        operation_id="support_referrals_accept",
        summary="Accept a support referral",
        description="A new referral only: once accepted or declined, 409. The force is told.",
        request=None,
        responses={200: SupportReferralSerializer, **error_responses(401, 403, 404, 409)},
        tags=["victims"],
    )
    def post(self, request, referral_id):
        return super().post(request, referral_id)


class SupportReferralDeclineView(SupportReferralDecisionView):
    decision = "decline"

    @extend_schema(
        operation_id="support_referrals_decline",
        summary="Decline a support referral, with a reason",
        description=(
            "A new referral only (409 otherwise). The engagement closes today and your "
            "organisation's access to the person ends; the referring force is told."
        ),
        request=SupportReferralDeclineSerializer,
        responses={200: SupportReferralSerializer, **error_responses(400, 401, 403, 404, 409)},
        tags=["victims"],
    )
    def post(self, request, referral_id):
        return super().post(request, referral_id)


class ConsentWithdrawalView(ApiView):
    roles = (*POLICE, *ADVISER)
    audit_object_type = "victim"
    audit_actions = {"POST": "change"}

    @extend_schema(
        operation_id="victims_consent_withdrawals_create",
        summary="Record that the victim withdrew consent to a support referral",
        description=(
            "The organisation's access ends at once (its users get 404 for the person), its "
            "engagement closes on `withdrawn_on`, the withdrawal is on the disclosure record, "
            "and the hold is re-evaluated. `withdrawn_on` may be neither in the future nor "
            "before the engagement's last recorded contact. 400 naming `organisation` when it "
            "has no referral; 409 when consent was already withdrawn."
        ),
        request=ConsentWithdrawalInputSerializer,
        responses={
            201: ConsentWithdrawalSerializer,
            **error_responses(400, 401, 403, 404, 409),
        },
        tags=["victims"],
    )
    def post(self, request, victim_id):
        withdrawal = self.valid(ConsentWithdrawalInputSerializer, request.data)
        with self.audited(
            action="change", object_type="victim", object_id=victim_id, hidden=Victim
        ) as access:
            victim = selectors.victim_get(user=request.user, victim_id=victim_id)
            consent = support_services.consent_withdraw(
                victim=victim,
                by=request.user,
                organisation_code=withdrawal["organisation"],
                withdrawn_on=withdrawal["withdrawn_on"],
            )
            access.detail = f"consent withdrawn from {withdrawal['organisation']}"
            data = ConsentWithdrawalSerializer(consent).data
        return Response(data, status=status.HTTP_201_CREATED)


class DisclosureListView(ApiView):
    roles = (*POLICE, *ADVISER)
    audit_object_type = "victim"
    audit_actions = {"GET": "list"}
    pagination_class = cursor_pagination("-at")

    @extend_schema(
        operation_id="victims_disclosures_list",
        summary="Every disclosure of the victim's data",
        description=(
            "When, to which organisation, which kinds of data and why, newest first: the record "
            "the victim can be given through their adviser or the police."
        ),
        responses={200: DisclosureSerializer(many=True), **error_responses(400, 401, 403, 404)},
        tags=["victims"],
    )
    def get(self, request, victim_id):
        with self.audited(
            action="list",
            object_type="victim",
            object_id=victim_id,
            detail="disclosures",
            hidden=Victim,
        ):
            victim = selectors.victim_get(user=request.user, victim_id=victim_id)
            return self.paginated(selectors.disclosure_list(victim=victim), DisclosureSerializer)


# --- Possible duplicates ----------------------------------------------------------------------

SUPERVISOR = (Role.POLICE_SUPERVISOR,)


class PossibleDuplicateListView(ApiView):
    roles = SUPERVISOR
    audit_object_type = "possible_duplicate"
    audit_actions = {"GET": "list"}
    pagination_class = cursor_pagination("-created_at", "-id")

    @extend_schema(
        operation_id="possible_duplicates_list",
        summary="Possible duplicates",
        description=(
            "Open pairs of records with the same normalised names and date of birth, where "
            "either record has a case of your force: each record's reference and forces, and "
            "which of names, date of birth and nationality match. Police supervisors only."
        ),
        responses={
            200: PossibleDuplicateSerializer(many=True),
            **error_responses(400, 401, 403),
        },
        tags=["victims"],
    )
    def get(self, request):
        with self.audited(action="list", object_type="possible_duplicate"):
            return self.paginated(
                selectors.possible_duplicate_list(user=request.user), PossibleDuplicateSerializer
            )


class PossibleDuplicateMergeView(ApiView):
    roles = SUPERVISOR
    audit_object_type = "possible_duplicate"
    audit_actions = {"POST": "change"}

    @extend_schema(
        operation_id="possible_duplicates_merge",
        summary="Propose or confirm the merge of a possible duplicate",
        description=(
            "The first call proposes the merge; the same call by a supervisor of the other "
            "record's force (or by a second supervisor, when both records are one force's) "
            "confirms it: the record referred first survives (`survivor`), keeping every case, "
            "engagement, application, notice, disclosure and grant, with one hold re-evaluated "
            "from all the facts. 409 if the pair was already merged or dismissed, or if you "
            "proposed it yourself."
        ),
        request=None,
        responses={200: MergeAnswerSerializer, **error_responses(401, 403, 404, 409)},
        tags=["victims"],
    )
    def post(self, request, pair_id):
        with self.audited(
            action="change",
            object_type="possible_duplicate",
            object_id=pair_id,
            hidden=PossibleDuplicate,
        ) as access:
            answer = merges.possible_duplicate_merge(user=request.user, pair_id=pair_id)
            access.detail = (
                f"merged: {answer.survivor.reference} survives"
                if answer.merged
                else "merge proposed"
            )
            data = MergeAnswerSerializer(answer).data
        return Response(data)


class PossibleDuplicateDismissView(ApiView):
    roles = SUPERVISOR
    audit_object_type = "possible_duplicate"
    audit_actions = {"POST": "change"}

    @extend_schema(
        operation_id="possible_duplicates_dismiss",
        summary="Dismiss a possible duplicate: two people",
        description="Either force's supervisor. 409 if the pair was already merged or dismissed.",
        request=None,
        responses={200: PossibleDuplicateSerializer, **error_responses(401, 403, 404, 409)},
        tags=["victims"],
    )
    def post(self, request, pair_id):
        with self.audited(
            action="change",
            object_type="possible_duplicate",
            object_id=pair_id,
            hidden=PossibleDuplicate,
        ) as access:
            pair = merges.possible_duplicate_dismiss(user=request.user, pair_id=pair_id)
            access.detail = "dismissed: two people"
            data = PossibleDuplicateSerializer(pair).data
        return Response(data)
