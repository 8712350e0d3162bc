"""Accounts API: tokens, organisations, users (administrators) and the access log (auditors)."""

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts import services
from accounts.models import User
from core.api import ApiView, cursor_pagination, error_responses, filters_text
from core.roles import POLICE_ROLES, Role
from core.throttling import RedisScopedRateThrottle

from . import selectors
from .serializers import (
    AccessEventFilterSerializer,
    AccessEventSerializer,
    OrganisationFilterSerializer,
    OrganisationInputSerializer,
    OrganisationSerializer,
    SetUpLinkSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    UserCreateSerializer,
    UserFilterSerializer,
    UserSerializer,
    UserUpdateSerializer,
)

SIGN_IN_REFUSED = {
    "invalid_login": "Enter a correct email address and password.",
    "locked": services.LOCKED_MESSAGE,
    "otp_needed": (
        "This account uses two-factor authentication: give the 6-digit code from its "
        "authenticator app as `otp`."
    ),
    "otp_wrong": "The code is wrong or has expired: give the code the authenticator app shows now.",
}


class TokenView(ApiView):
    """Exchange an email address and password for an expiring API token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [RedisScopedRateThrottle]
    throttle_scope = "token"
    audit_object_type = "api_token"

    @extend_schema(
        operation_id="auth_token_create",
        summary="Get an API token",
        description=(
            "An expiring token for `Authorization: Token <token>`. Wrong credentials are a 400 "
            "that does not say which was wrong; as on the sign-in page, repeated failures lock "
            "the account for a while for the address they came from, and an address that fails "
            "too often is locked for every account. Every sign-in and refusal is in the access "
            "log. A token ends when its user's password changes or the account is deactivated. "
            "Accounts with two-factor authentication also give `otp`, "
            "the code their authenticator app shows (a 400 naming `otp` when it is missing or "
            "wrong)."
        ),
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, **error_responses(400, 429)},
        auth=[],
        tags=["auth"],
    )
    def post(self, request):
        credentials = self.valid(TokenRequestSerializer, request.data)
        try:
            user = services.sign_in_check(
                request=request._request,
                email=credentials["email"],
                password=credentials["password"],
                otp=credentials.get("otp"),
                via="api_token",
            )
        except services.SignInRefused as refusal:
            field = refusal.field or "non_field_errors"
            raise exceptions.ValidationError({field: [SIGN_IN_REFUSED[refusal.code]]}) from None
        with transaction.atomic():
            key, token = services.token_issue(user=user)
            services.sign_in_complete(
                user=user, request=request._request, via="api_token", object_id=token.pk
            )
        return Response(TokenSerializer({"token": key, "expires_at": token.expires_at}).data)


class OrganisationListView(ApiView):
    roles = (*POLICE_ROLES, Role.SUPPORT_ADVISER, Role.ADMINISTRATOR)
    audit_object_type = "organisation"
    pagination_class = cursor_pagination("code")

    audit_actions = {"GET": "list", "POST": "change"}

    def get_permissions(self):
        if self.request.method == "POST":
            self.roles = (Role.ADMINISTRATOR,)
        return super().get_permissions()

    @extend_schema(
        operation_id="organisations_list",
        summary="Organisations and their contact points",
        description="Police, support advisers and administrators. Filter with `kind`.",
        parameters=[OrganisationFilterSerializer],
        responses={200: OrganisationSerializer(many=True), **error_responses(400, 401, 403)},
        tags=["organisations"],
    )
    def get(self, request):
        filters = self.valid(OrganisationFilterSerializer, request.query_params)
        with self.audited(action="list", object_type="organisation", detail=filters_text(filters)):
            organisations = selectors.organisation_list(user=request.user, **filters)
            return self.paginated(organisations, OrganisationSerializer)

    @extend_schema(
        operation_id="organisations_create",
        summary="Create or update an organisation (administrators)",
        description="Idempotent on `code`: 201 when created, 200 when updated.",
        request=OrganisationInputSerializer,
        responses={
            201: OrganisationSerializer,
            200: OpenApiResponse(OrganisationSerializer, description="Updated"),
            **error_responses(400, 401, 403),
        },
        tags=["organisations"],
    )
    def post(self, request):
        serializer = OrganisationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with self.audited(action="change", object_type="organisation") as access:
            organisation, created = services.organisation_create_or_update(
                **serializer.service_arguments()
            )
            access.object_id = str(organisation.pk)
            access.detail = "created" if created else "updated"
            data = OrganisationSerializer(organisation).data
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class UserListView(ApiView):
    roles = (Role.ADMINISTRATOR,)
    audit_object_type = "user"
    pagination_class = cursor_pagination("email")

    audit_actions = {"GET": "list", "POST": "create"}

    @extend_schema(
        operation_id="users_list",
        summary="User accounts (administrators)",
        parameters=[UserFilterSerializer],
        responses={200: UserSerializer(many=True), **error_responses(400, 401, 403)},
        tags=["users"],
    )
    def get(self, request):
        filters = self.valid(UserFilterSerializer, request.query_params)
        with self.audited(action="list", object_type="user", detail=filters_text(filters)):
            return self.paginated(selectors.user_list(user=request.user, **filters), UserSerializer)

    @extend_schema(
        operation_id="users_create",
        summary="Create or update a user account (administrators)",
        description=(
            "Idempotent on `email`: 201 when created, 200 when updated. A new account has no "
            "password: its user is emailed a one-time link to set their own. A `password` is "
            "refused (400): administrators never set one. A role that does not fit the "
            "organisation's kind is refused; nobody changes their own roles (403)."
        ),
        request=UserCreateSerializer,
        responses={
            201: UserSerializer,
            200: OpenApiResponse(UserSerializer, description="Updated"),
            **error_responses(400, 401, 403, 409),
        },
        tags=["users"],
    )
    def post(self, request):
        data = self.valid(UserCreateSerializer, request.data)
        with self.audited(action="create", object_type="user") as access:
            account = User.objects.filter(email=data["email"]).first()
            created = account is None
            if created:
                account = services.user_create(
                    by=request.user,
                    email=data["email"],
                    organisation=data["organisation"],
                    roles=data["roles"],
                    full_name=data.get("full_name", ""),
                    base_url=services.site_url(request),
                    request=request,
                )
            else:
                services.user_update(
                    by=request.user,
                    account=account,
                    organisation=data["organisation"],
                    roles=data["roles"],
                    full_name=data.get("full_name"),
                    request=request,
                )
            access.object_id = str(account.pk)
            access.detail = "created" if created else "updated"
            body = UserSerializer(selectors.user_get(user=request.user, user_id=account.pk)).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class UserDetailView(ApiView):
    roles = (Role.ADMINISTRATOR,)
    audit_object_type = "user"

    @extend_schema(
        operation_id="users_retrieve",
        summary="One user account (administrators)",
        responses={200: UserSerializer, **error_responses(401, 403, 404)},
        tags=["users"],
    )
    def get(self, request, user_id):
        with self.audited(action="view", object_type="user", object_id=user_id, hidden=User):
            data = UserSerializer(selectors.user_get(user=request.user, user_id=user_id)).data
        return Response(data)

    @extend_schema(
        operation_id="users_partial_update",
        summary="Change a user's organisation, roles, name or active state (administrators)",
        description=(
            "`is_active: false` deactivates the account: its API tokens end at once and it "
            "can no longer sign in. A `password` is refused (400): send a set-up link instead. "
            "Nobody changes their own roles, organisation or active state (403). Role changes "
            "are recorded in the access log as `role_change`."
        ),
        request=UserUpdateSerializer,
        responses={200: UserSerializer, **error_responses(400, 401, 403, 404)},
        tags=["users"],
    )
    def patch(self, request, user_id):
        with self.audited(action="change", object_type="user", object_id=user_id, hidden=User):
            account = selectors.user_get(user=request.user, user_id=user_id)
            changes = self.valid(UserUpdateSerializer, request.data, account=account)
            services.user_update(
                by=request.user,
                account=account,
                organisation=changes.get("organisation"),
                roles=changes.get("roles"),
                full_name=changes.get("full_name"),
                is_active=changes.get("is_active"),
                request=request,
            )
            data = UserSerializer(selectors.user_get(user=request.user, user_id=user_id)).data
        return Response(data)


class UserSetUpLinkView(ApiView):
    roles = (Role.ADMINISTRATOR,)
    audit_object_type = "user"

    @extend_schema(
        operation_id="users_set_up_link",
        summary="Email a user a one-time link to set their password (administrators)",
        description=(
            "For a new user who lost their first link, or one who forgot their password: the "
            "link goes to the account's own email address, never to the caller. Their current "
            "password keeps working until the link is used. 409 for a deactivated account."
        ),
        request=None,
        responses={202: SetUpLinkSerializer, **error_responses(401, 403, 404, 409)},
        tags=["users"],
    )
    def post(self, request, user_id):
        with self.audited(
            action="change",
            object_type="user",
            object_id=user_id,
            detail=services.SET_UP_LINK_SENT,
            hidden=User,
        ):
            account = selectors.user_get(user=request.user, user_id=user_id)
            services.set_up_link_send(account=account, base_url=services.site_url(request))
        return Response(
            {"detail": f"A set-up link was sent to {account.email}."},
            status=status.HTTP_202_ACCEPTED,
        )


class AccessEventListView(ApiView):
    roles = (Role.AUDITOR,)
    audit_object_type = "access_event"
    pagination_class = cursor_pagination("-id")

    audit_actions = {"GET": "list"}

    @extend_schema(
        operation_id="audit_events_list",
        summary="The access and disclosure log (auditors)",
        description=(
            "Every access to the service's records, newest first, refusals included. Filter "
            "by action, outcome, object, actor, the actor's organisation and date."
        ),
        parameters=[AccessEventFilterSerializer],
        responses={200: AccessEventSerializer(many=True), **error_responses(400, 401, 403)},
        tags=["audit"],
    )
    def get(self, request):
        filters = self.valid(AccessEventFilterSerializer, request.query_params)
        with self.audited(action="list", object_type="access_event", detail=filters_text(filters)):
            events = selectors.access_event_list(user=request.user, **filters)
            return self.paginated(events, AccessEventSerializer)
