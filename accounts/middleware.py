"""A request id on every request, so access events can be tied to the request that made them.

A client (a load balancer, an integrator's system) may send its own `X-Request-ID` to tie its
logs to ours; it is kept only when it is a well-formed UUID (written back as 32 hex digits), and
replaced by a new one otherwise, so a client cannot write text of its choosing into the log."""

import uuid


def _well_formed(supplied: str) -> str | None:
    if not supplied or len(supplied) > 36:
        return None
    try:
        return uuid.UUID(supplied).hex
    except ValueError:
        return None


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        supplied = request.headers.get("X-Request-ID", "")
        request.request_id = _well_formed(supplied) or uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response
