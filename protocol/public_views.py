"""The public page `/protocol`: what happens to a victim's data, for anyone, without an account.

A victim may read it on a device someone else watches, so it keeps no trace it can avoid: no
session, no cookie, no referrer, the language chosen by `?language=` alone (one address is one
page, so a shared cache may keep it), no personal data, and GOV.UK's "Exit this page" button.
The policy values it states (grace period, review windows) are read from the running policy.
"""

from functools import lru_cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse
from django.template import loader
from django.utils import translation
from django.views.decorators.http import require_safe

from core import languages
from core.languages import victim_facing

from .policy import current_policy
from .rules import Policy

CACHE_SECONDS = 300
PATH = "/protocol"


@require_safe
@victim_facing(public=True)
def protocol_page(request):
    """Rendered without the request's context processors: they would read the session (the
    signed-in user), and this page must not, so that it sets and varies on no cookie."""
    html = _render(request.LANGUAGE_CODE, request.language_unknown, current_policy())
    response = HttpResponse(html)
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    response.cacheable = True  # core.middleware.NoStoreMiddleware keeps this Cache-Control
    return response


@lru_cache(maxsize=64)
def _render(code: str, unknown: str, policy: Policy) -> str:
    """The page in one language under one policy: the same words for every reader, so it is
    rendered once per process (a changed policy is a new key)."""
    with translation.override(code):
        context = {
            "page_language": languages.language(code),
            "language_unknown": unknown,
            "victim_languages": [languages.language(c) for c in languages.VICTIM_LANGUAGES],
            "english_url": f"{PATH}?language={languages.ENGLISH}",
            "request": {"path": PATH},
            "grace_days": policy.grace_days,
            "vrr_window_days": policy.vrr_window_days,
            "appeal_crown_days": policy.appeal_window_days.crown,
            "appeal_magistrates_days": policy.appeal_window_days.magistrates,
        }
        return loader.render_to_string("public/protocol.html", context)


@receiver(setting_changed)
def _forget_rendered_pages(**kwargs) -> None:
    """A changed setting (static storage, languages: in tests) may change the page's HTML."""
    _render.cache_clear()
