"""Error pages in the service's design, telling the user what to do next; JSON for the API."""

import logging
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt

from core import languages

logger = logging.getLogger(__name__)


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


@csrf_exempt  # nothing here to protect; a CSRF refusal would answer HTML instead of the 404
def api_not_found(request, *args, **kwargs):
    """Any path under /api/ that names no endpoint: JSON, as API.md promises for every error."""
    return JsonResponse({"detail": "Not found."}, status=404)


def server_error(request):
    """Rendered without the request's context: whatever failed (the database, the session)
    must not fail the error page as well."""
    if _is_api(request):
        return JsonResponse({"detail": "Something went wrong on our side."}, status=500)
    try:
        body = loader.get_template("errors/500.html").render({})
    except Exception:
        logger.exception("The 500 page could not be rendered")
        body = "<h1>{}</h1><p>{}</p>".format(
            gettext("Sorry, there is a problem with the service"), gettext("Try again later.")
        )
    return HttpResponse(body, status=500)


def admin_sign_in(request):
    """The admin site's sign-in: the site's own sign-in page, with where to go afterwards.

    Someone already signed in who is sent here may not use the admin site (it is for
    operators' superuser accounts): a 403, never back to the sign-in page, which would send
    them straight back here."""
    if request.user.is_authenticated:
        raise PermissionDenied
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("admin:index")
    return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")


def choose_language(request, code: str):
    """The language link on every page: keep the chosen language for the session and go back to
    the page it was chosen on. Only the languages every page speaks (English, Welsh)."""
    chosen = languages.choose(code, languages.SITE_LANGUAGES)
    if chosen:
        request.session[languages.SESSION_KEY] = chosen
    back = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("home")
    return redirect(back)
