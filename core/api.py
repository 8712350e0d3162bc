"""API conventions shared by every app.

- JSON errors that name the field, nested like the request body
  (`{"case": {"reported_on": [...]}}`), never HTML and never a stack trace.
- Role checks: 403 for a role that may not use an endpoint at all; 404 for what is not yours.
- Every access recorded in the access log in the same transaction as the access, refusals too.
- Cursor pagination `{"next", "previous", "results"}` without COUNT.
- Strict input fields: a number is not a string, a string is not a boolean, fact dates are not
  in the future.
"""

import datetime as dt
import logging
import re

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404, QueryDict
from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, pagination, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import ConflictError
from .permissions import audited, method_action, record_role_refusal

logger = logging.getLogger(__name__)

EARLIEST_DATE = dt.date(1900, 1, 1)


# --- Errors ----------------------------------------------------------------------------------


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the record's current state."
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _path(key: str) -> list[str | int]:
    """`"dependants[1].date_of_birth"` -> `["dependants", 1, "date_of_birth"]`."""
    if key == NON_FIELD_ERRORS:
        return ["non_field_errors"]
    parts: list[str | int] = []
    for name, index in _PATH_PART.findall(key):
        parts.append(int(index) if index else name)
    return parts or ["non_field_errors"]


def _place(tree, path: list[str | int], messages: list[str]):
    """Put `messages` at `path` in a tree of dicts, as DRF nests serializer errors (list items
    keyed by their index, as DRF's list serializers do)."""
    head, *rest = path
    key = str(head)
    if not isinstance(tree, dict):
        tree = {"non_field_errors": tree} if tree else {}
    existing = tree.get(key)
    if not rest:
        if isinstance(existing, dict):
            existing.setdefault("non_field_errors", []).extend(messages)
        else:
            tree[key] = [*(existing or []), *messages]
        return tree
    if isinstance(existing, list):
        # `victim: ["..."]` and `victim.date_of_birth: [...]` together: keep both.
        existing = {"non_field_errors": existing}
    tree[key] = _place(existing or {}, rest, messages)
    return tree


def nested_errors(message_dict: dict[str, list[str]]) -> dict:
    """Dotted service error keys (`"case.reported_on"`) as nested dicts, like serializer errors."""
    tree: dict = {}
    for key, messages in message_dict.items():
        tree = _place(tree, _path(key), list(messages))
    return tree


def exception_handler(exc, context):
    """DRF's handler, plus: Django validation errors as 400s naming their (nested) fields,
    `ConflictError` as 409, a missing or hidden object as 404, and a database refusal that got
    past validation as 400/409 rather than a 500."""
    if isinstance(exc, ConflictError):
        field_errors = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else None
        exc = Conflict(nested_errors(field_errors) if field_errors else str(exc))
    elif isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = nested_errors(exc.message_dict)
        else:
            detail = {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, (Http404, ObjectDoesNotExist)):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, IntegrityError):
        logger.warning("Integrity error answered as a conflict", exc_info=exc)
        exc = Conflict()
    elif isinstance(exc, DataError):
        logger.warning("Data error answered as a bad request", exc_info=exc)
        exc = exceptions.ValidationError(
            {"non_field_errors": ["A value is out of range or malformed."]}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled API error", exc_info=exc)
        return Response(
            {"detail": "Something went wrong on our side. Nothing was saved; try again later."},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    return response


# --- Pagination ------------------------------------------------------------------------------


class CursorPagination(pagination.CursorPagination):
    """`{"next", "previous", "results"}`, stable under inserts, no COUNT over large tables."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-created_at"
    invalid_cursor_message = "Invalid cursor: use the `next` or `previous` link as given."

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError(
                {"page_size": [f"Give a whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError({"cursor": [self.invalid_cursor_message]}) from None

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, OverflowError, DjangoValidationError, DataError):
            # A cursor position that does not fit the ordering field: the caller's mistake.
            raise exceptions.ValidationError({"cursor": [self.invalid_cursor_message]}) from None


def cursor_pagination(*ordering: str) -> type[CursorPagination]:
    """A cursor paginator over `ordering` (the first field should be unique or nearly so)."""
    return type("CursorPagination", (CursorPagination,), {"ordering": ordering})


# --- Roles and the access log ----------------------------------------------------------------


class RoleRequired(BasePermission):
    """The caller holds one of the view's `roles` (401 when not signed in, 403 otherwise)."""

    message = "Your role may not use this endpoint."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        return user.has_role(*view.roles)


def filters_text(filters: dict) -> str:
    """The filters of a list, for the access log's `detail`."""
    return "; ".join(f"{key}={value}" for key, value in sorted(filters.items()))[:200]


class ApiView(APIView):
    """A thin API view: authenticate, check the role, validate, call one service or selector,
    render. `roles` lists the roles that may use it; every other caller gets 403 (recorded)."""

    roles: tuple[str, ...] = ()
    permission_classes = [RoleRequired]
    # What a refused attempt is recorded as: the object type, and the action per method.
    audit_object_type = ""
    audit_actions: dict[str, str] = {}

    def audit_action(self, request) -> str:
        return method_action(request, self.audit_actions)

    def permission_denied(self, request, message=None, code=None):
        user = request.user
        if user is not None and user.is_authenticated:
            record_role_refusal(
                request,
                action=self.audit_action(request),
                object_type=self.audit_object_type,
                url_kwargs=self.kwargs,
            )
        super().permission_denied(request, message=message, code=code)

    def audited(
        self, *, action: str, object_type: str, object_id="", detail: str = "", hidden=None
    ):
        """Do the access and record it in one transaction, as the pages do
        (`core.permissions.audited`): a refusal, or an object that exists but is not the
        caller's (`hidden`), is recorded as denied; a missing object is a 404."""
        return audited(
            self.request,
            action=action,
            object_type=object_type,
            object_id=object_id,
            detail=detail,
            hidden=hidden,
        )

    def paginated(self, queryset, serializer_class, **context) -> Response:
        """One page of `queryset`, rendered (call inside `audited`)."""
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        data = serializer_class(page, many=True, context={"request": self.request, **context}).data
        return paginator.get_paginated_response(data)

    def valid(self, serializer_class, data, **context) -> dict:
        """The validated input (a 400 naming the fields otherwise). Query parameters are read
        as plain values: an empty `?status=` is a bad value, not a missing one."""
        if isinstance(data, QueryDict):
            data = data.dict()
        serializer = serializer_class(data=data, context={"request": self.request, **context})
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


# --- Strict input fields ---------------------------------------------------------------------


class StrictCharField(serializers.CharField):
    """A string, and only a string (DRF would otherwise accept `123` as `"123"`)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """`true` or `false`, not `"yes"` or `1`."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer, not a string or a float or a boolean."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class FactDateField(serializers.DateField):
    """A date of a fact: ISO 8601, not in the future, not before 1900."""

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid", format="YYYY-MM-DD")
        parsed = super().to_internal_value(value)
        if parsed > timezone.localdate():
            raise serializers.ValidationError(
                "This date is in the future: give a date up to today."
            )
        if parsed < EARLIEST_DATE:
            raise serializers.ValidationError("This date is before 1900: check the year.")
        return parsed


class StrictDateField(serializers.DateField):
    """An ISO 8601 date given as a string (any date, e.g. an expiry)."""

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class StrictChoiceField(serializers.ChoiceField):
    """One of the listed codes, given as a string."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class CodeField(StrictChoiceField):
    """A code from one of PROTOCOL.md's lists, documented as a named enum (`HoldStatus`).

    Several lists share a field name (`status` of a hold, an engagement, an application, an
    override): named components keep them apart in the schema.
    """

    def __init__(self, *, enum_name: str, **kwargs):
        self.enum_name = enum_name
        super().__init__(**kwargs)


class CodeFieldExtension(OpenApiSerializerFieldExtension):
    target_class = CodeField

    def get_name(self) -> str:
        return self.target.enum_name

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "enum": list(self.target.choices)}


# --- Shared shapes ---------------------------------------------------------------------------

# The longest note a change may carry (a support update, a case's status change).
NOTE_MAX = 5000


# An organisation as other records name it (no docstring: it would enter the OpenAPI schema).
class OrganisationRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


# --- Documentation helpers ---------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


_ERROR_TEXT = {
    400: "Invalid input: the offending fields are named, nested as in the request body.",
    401: "No valid credentials.",
    403: "Your role may not use this endpoint.",
    404: "Not found, or not yours to see.",
    409: "The request conflicts with the record's current state.",
    429: "Too many requests: try again later.",
}


def error_responses(*codes: int) -> dict:
    """OpenAPI responses for the error codes an endpoint may answer."""
    responses = {}
    for code in codes:
        if code == 400:
            responses[400] = OpenApiResponse(OpenApiTypes.OBJECT, description=_ERROR_TEXT[400])
        else:
            responses[code] = OpenApiResponse(ErrorSerializer, description=_ERROR_TEXT[code])
    return responses
