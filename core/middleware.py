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
from django.utils import translation
from django.utils.cache import patch_cache_control

from core import languages

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
        # A page that says it may be cached (the public page: no personal data) keeps its own.
        if not getattr(response, "cacheable", False):
            patch_cache_control(response, no_store=True, private=True)
        return response


class LanguageMiddleware:
    """Chooses each page's language (core/languages.py): on a victim-facing page `?language=xx`
    among the victim languages; otherwise (and on a victim-facing page without it, unless it is
    the public page) the language chosen by the link on every page, kept in the session, then
    `Accept-Language`, then English. An unknown `?language=` falls back to English and the page
    says so (`request.language_unknown`). The API speaks English: its 400s name the field."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.language_unknown = ""
        translation.activate(languages.ENGLISH)
        request.LANGUAGE_CODE = languages.ENGLISH
        response = self.get_response(request)
        if not request.path.startswith("/api/"):
            response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        translation.deactivate()
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith("/api/"):
            return None
        victim_facing = getattr(view_func, "victim_facing", False)
        asked = request.GET.get("language")
        code = None
        if asked is not None:
            allowed = languages.VICTIM_LANGUAGES if victim_facing else languages.SITE_LANGUAGES
            code = languages.choose(asked, allowed)
            if code is None:
                request.language_unknown = asked[:20]
                code = languages.ENGLISH
        elif not getattr(view_func, "public_page", False):
            code = languages.choose(
                request.session.get(languages.SESSION_KEY), languages.SITE_LANGUAGES
            ) or languages.from_accept_language(
                request.headers.get("Accept-Language", ""), languages.SITE_LANGUAGES
            )
        code = code or languages.ENGLISH
        translation.activate(code)
        request.LANGUAGE_CODE = code
        return None
