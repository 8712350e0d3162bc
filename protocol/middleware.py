"""A hold check that cannot be made says so (API.md "Hold check").

Whatever fails while a hold check is being answered (the database or Redis unreachable, in the
view or before it: the session, the token, the throttle; or any other error), the answer is a
503 that no one could read as "no hold": `{"in_force": null, "detail": ...}` with `Retry-After`
from the API, and from the page a warning that no check was made and that no enforcement action
may be taken until one succeeds. Never the generic error page, never a bare 500.

This middleware sits near the top of the stack, so it also sees the failures of the middleware
below it (Django turns those into 500 responses before they reach it, or, should the error page
itself fail, lets them through as exceptions). It touches neither the database nor Redis.
"""

import logging
from functools import cache

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpResponse, JsonResponse
from django.template import loader
from django.urls import reverse

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
UNAVAILABLE_DETAIL = (
    "The hold check could not be made, so there is no answer: this does not mean that no hold "
    "is in force. Take no enforcement action until a check succeeds. Try again shortly."
)


# Exceptions Django answers with a 4xx of their own: not a check that failed.
_REFUSALS = (Http404, PermissionDenied, BadRequest, SuspiciousOperation)


@cache
def _hold_check_paths() -> frozenset[str]:
    return frozenset((reverse("api-hold-checks"), reverse("hold_check")))


def is_hold_check(request) -> bool:
    return request.path_info in _hold_check_paths()


def hold_check_unavailable(request) -> HttpResponse:
    """The 503 answer to a hold check that could not be made, for the API or the page. Built
    without the request's context (the user, the session): whatever failed must not fail this
    answer too."""
    if request.path_info == reverse("api-hold-checks"):
        response = JsonResponse({"in_force": None, "detail": UNAVAILABLE_DETAIL}, status=503)
    else:
        try:
            body = loader.get_template("protocol/hold_check_unavailable.html").render(
                {"check_url": reverse("hold_check")}
            )
        except Exception:
            logger.exception("The hold check's 503 page could not be rendered")
            body = (
                "<h1>No check was made</h1><p>Do not take any enforcement action against this "
                "person until a hold check succeeds. Try again in a few minutes.</p>"
            )
        response = HttpResponse(body, status=503)
    response.hold_check_unavailable = True
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    request_id = getattr(request, "request_id", None)
    if request_id:
        response["X-Request-ID"] = request_id
    return response


class HoldCheckUnavailableMiddleware:
    """Turns any failure of a hold check, wherever in the request it arises, into the 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_hold_check(request):
            return self.get_response(request)
        try:
            response = self.get_response(request)
        except Exception:
            logger.exception("A hold check failed; answered 503")
            return hold_check_unavailable(request)
        if response.status_code >= 500 and not getattr(response, "hold_check_unavailable", False):
            logger.error("A hold check answered %s; answered 503", response.status_code)
            return hold_check_unavailable(request)
        return response

    def process_exception(self, request, exception):
        """An error raised by the view (or its sign-in check) on the way to the answer. What
        Django answers as a refusal (403, 404, 400) stays one."""
        if not is_hold_check(request) or isinstance(exception, _REFUSALS):
            return None
        logger.error("A hold check failed; answered 503", exc_info=exception)
        return hold_check_unavailable(request)
