"""Every page of every role renders under the production settings' static storage.

`collectstatic` runs with `config.settings.production` into a folder of its own, then each page
is requested with that manifest storage in place (no finders, no DEBUG): a template naming a
static file that the build does not ship answers 500 in production, and fails here.

The list of pages is checked against the URL configuration, so a new page that this test does
not open fails it too.
"""

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from protocol import services as hold_services
from protocol.models import PolicySimulation
from tests.factories import UserFactory, days_ago

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent
ROLES = ["officer", "adviser", "caseworker", "senior", "auditor", "analyst"]
ROLES += ["administrator"]
# Not pages: the API, its schema and docs (JSON and drf-spectacular's own), the admin (tested in
# tests/foundation), the health check (JSON), and sign-out (a POST).
POST_ONLY = {
    "cases:referral_dependant_remove",
    "victims:possible_duplicate_decide",
    "notification_read",
}
NOT_PAGES = ("api", "schema", "api-docs", "healthz", "admin", "admin-sign-in", "accounts:logout")
# A button's action (POST only), not a page.
NOT_PAGES += ("victims:application_take_over",)
NOT_PAGES += ("statistics_csv",)  # a CSV download, not a page


@pytest.fixture(scope="session")
def production_static_root(tmp_path_factory) -> Path:
    """`collectstatic` as production runs it, into a folder of this test session's own."""
    root = tmp_path_factory.mktemp("staticfiles")
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": "x" * 64,
            "AUDIT_HMAC_KEY": "y" * 40,
            "DJANGO_STATIC_ROOT": str(root),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (root / "staticfiles.json").is_file()
    return root


@pytest.fixture
def production_storage(settings, production_static_root):
    """The production settings' static storage, reading the manifest collectstatic wrote."""
    from config.settings import base as base_settings

    settings.STORAGES = base_settings.STORAGES
    settings.STATIC_ROOT = str(production_static_root)
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    settings.DEBUG = False
    assert "Manifest" in settings.STORAGES["staticfiles"]["BACKEND"]


def _page_names() -> set[str]:
    """Every named URL of the service that is a page (API, admin and the like left out)."""

    def walk(resolver, namespace):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, [namespace, pattern.namespace]))
                yield from walk(pattern, inner or None)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    names = set(walk(get_resolver(), None))
    return {
        name for name in names if not name.startswith(("api", "admin:")) and name not in NOT_PAGES
    }


@pytest.fixture
def pages(referred_to_haven, review_due_hold, senior, officer, adviser):
    """A URL for every page, with records the pages need: an override, an application."""
    from victims.services import application_create

    victim, case = referred_to_haven.victim, referred_to_haven.case
    other_senior = UserFactory(role="ie_senior", organisation=senior.organisation)
    override = hold_services.override_request(
        by=other_senior,
        hold_reference=referred_to_haven.hold.reference,
        category="serious_harm_risk",
        justification="Risk assessment on file.",
        expires_on=timezone.localdate() + timezone.timedelta(days=30),
    )
    application = application_create(
        victim=victim, by=adviser, route="asylum", status="submitted", submitted_on=days_ago(10)
    )
    urls = {
        "home": reverse("home"),
        "accounts:login": reverse("accounts:login"),
        "accounts:password_set": reverse("accounts:password_set", args=["MQ", "bad-token"]),
        "accounts:user_list": reverse("accounts:user_list"),
        "accounts:user_new": reverse("accounts:user_new"),
        "accounts:user_detail": reverse("accounts:user_detail", args=[officer.pk]),
        "accounts:user_set_up_link": reverse("accounts:user_set_up_link", args=[officer.pk]),
        "accounts:organisation_list": reverse("accounts:organisation_list"),
        "accounts:organisation_new": reverse("accounts:organisation_new"),
        "accounts:organisation_detail": reverse(
            "accounts:organisation_detail", args=[officer.organisation.code]
        ),
        "cases:list": reverse("cases:list"),
        "cases:referral_start": reverse("cases:referral_start"),
        "cases:referral_dependant": reverse("cases:referral_dependant"),
        "cases:referral_dependant_remove": reverse("cases:referral_dependant_remove", args=[0]),
        "cases:referral_check": reverse("cases:referral_check"),
        "cases:referral_step": reverse("cases:referral_step", args=["victim-name"]),
        "cases:detail": reverse("cases:detail", args=[case.pk]),
        "cases:referral_done": reverse("cases:referral_done", args=[case.pk]),
        "victims:list": reverse("victims:list"),
        "victims:detail": reverse("victims:detail", args=[victim.pk]),
        "victims:support_referral": reverse("victims:support_referral", args=[victim.pk]),
        "victims:application_new": reverse("victims:application_new", args=[victim.pk]),
        "victims:record": reverse("victims:record", args=[victim.pk]),
        "victims:application_change": reverse("victims:application_change", args=[application.pk]),
        "victims:possible_duplicates": reverse("victims:possible_duplicates"),
        "victims:possible_duplicate_decide": reverse(
            "victims:possible_duplicate_decide", args=["00000000-0000-0000-0000-000000000000"]
        ),
        "hold_check": reverse("hold_check"),
        "review_queue": reverse("review_queue"),
        "override_list": reverse("override_list"),
        "override_decide": reverse("override_decide", args=[override.pk]),
        "override_revoke": reverse("override_revoke", args=[override.pk]),
        "hold_detail": reverse("hold_detail", args=[review_due_hold.reference]),
        "hold_confirm_end": reverse("hold_confirm_end", args=[review_due_hold.reference]),
        "hold_override": reverse("hold_override", args=[review_due_hold.reference]),
        "notifications": reverse("notifications"),
        "notification_read": reverse("notification_read", args=[uuid.uuid4()]),
        "subject_access": reverse("subject_access", args=[victim.pk]),
        "subject_access_pdf": reverse("subject_access_pdf", args=[victim.pk]),
        **_evaluation_pages(victim, officer),
    }
    referral = victim.support_engagements.get()
    urls |= {
        "victims:referrals": reverse("victims:referrals"),
        "victims:referral_accept": reverse("victims:referral_accept", args=[referral.pk]),
        "victims:referral_decline": reverse("victims:referral_decline", args=[referral.pk]),
        "victims:consent_withdrawal": reverse("victims:consent_withdrawal", args=[victim.pk]),
        "victims:signposting": reverse("victims:signposting", args=[victim.pk]),
        "public_protocol": reverse("public_protocol") + "?language=ar",
        "choose_language": reverse("choose_language", args=["cy"]) + "?next=/",
    }
    return urls


def _evaluation_pages(victim, officer) -> dict[str, str]:
    """Issue 14's pages (a simulation kept for the officer: anyone else's 404 is a page too)."""
    simulation = PolicySimulation.objects.create(
        requested_by=officer, policy={"grace_days": 3}, on=timezone.localdate()
    )
    return {
        "statistics": reverse("statistics"),
        "simulation_new": reverse("simulation_new"),
        "simulation_detail": reverse("simulation_detail", args=[simulation.pk]),
        "accounts:audit_log": reverse("accounts:audit_log"),
        "victims:unreported_crime_new": reverse("victims:unreported_crime_new"),
        "hold_forecast": reverse("hold_forecast", args=[victim.pk]),
    }


def test_the_page_list_covers_every_page_of_the_url_configuration(pages):
    assert set(pages) == _page_names()


def test_the_production_build_ships_every_static_file_a_template_names(production_static_root):
    manifest = json.loads((production_static_root / "staticfiles.json").read_text())["paths"]
    named = {
        name
        for template in (ROOT / "templates").rglob("*.html")
        for name in re.findall(r"{%\s*static\s+['\"]([^'\"]+)['\"]", template.read_text())
    }
    assert "govuk/assets/images/favicon.ico" in named  # the scan finds what base.html names
    assert named - set(manifest) == set()


@pytest.mark.parametrize("role", ROLES)
def test_every_page_renders_for_every_role_under_production_static_storage(
    request, role, pages, production_storage, client_for
):
    user = request.getfixturevalue(role)
    client = client_for(user)
    client.post(reverse("cases:referral_start"))  # a referral draft, where the role may start one
    seen_200 = 0
    for name, url in pages.items():
        response = client.post(url) if name in POST_ONLY else client.get(url)
        # A page the role may not use answers 403, a record not theirs 404, a journey step
        # out of order redirects: each of those is a rendered page too, or a redirect.
        assert response.status_code in (200, 302, 403, 404), f"{role} on {name}: {response}"
        if response.status_code != 302:
            html = response.content.decode()
            assert "/static/govuk/govuk-frontend.min." in html, f"{role} on {name}"
            # Hashed names prove the manifest storage answered, not the plain one.
            assert "govuk-frontend.min.css" not in html, f"{role} on {name}: no hashed name"
        seen_200 += response.status_code == 200
    assert seen_200 >= 2, role  # at least home and one page of the role's own


def test_error_pages_render_under_production_static_storage(production_storage, client_for):
    response = client_for().get("/no-such-page")
    assert response.status_code == 404
    assert "/static/govuk/govuk-frontend.min." in response.content.decode()
