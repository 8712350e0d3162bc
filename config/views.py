"""Error pages in the service's design; JSON for the API."""

from django.http import JsonResponse
from django.shortcuts import render


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _error(request, status: int, template: str, message: str):
    if _is_api(request):
        return JsonResponse({"detail": message}, status=status)
    return render(request, template, status=status)


def bad_request(request, exception=None):
    return _error(request, 400, "errors/400.html", "Bad request.")


def permission_denied(request, exception=None):
    return _error(request, 403, "errors/403.html", "You do not have permission to do this.")


def page_not_found(request, exception=None):
    return _error(request, 404, "errors/404.html", "Not found.")


def server_error(request):
    return _error(request, 500, "errors/500.html", "Something went wrong on our side.")
