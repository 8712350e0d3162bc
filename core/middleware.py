"""Answers every request gets, before and after the view: body size and caching.

- A body larger than `DATA_UPLOAD_MAX_MEMORY_SIZE` answers 413 before anything reads it (JSON
  under `/api/`, the service's page otherwise), signed in or not.
- Every answer the service makes (pages and API; static files are served before this by
  WhiteNoise, with their own long cache) is `Cache-Control: no-store, private`: most carry
  personal data, and a shared or back-button cache must not keep any of them.
"""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

TOO_LARGE = "The request body is too large."


class BodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": TOO_LARGE}, status=413)
            return render(request, "errors/413.html", status=413)
        return self.get_response(request)


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_cache_control(response, no_store=True, private=True)
        return response
