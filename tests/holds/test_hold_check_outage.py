"""A hold check that cannot be made says so, against real servers.

The test starts its own PostgreSQL and Redis (scripts/embedded.py, in a folder of its own: the
machine's shared servers are never touched) and the service under gunicorn against them. It
checks a person through the API and the page (200, hold in force); stops PostgreSQL (API 503
with `in_force` null and `Retry-After`; page 503 with the warning, never the generic error
page); starts it again (200 again, without restarting the service); and the same for Redis.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from embedded import start_postgres, start_redis  # noqa: E402

from tests.servers import gunicorn  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")
REFERENCE = "B1234567"
WARNING = "Do not take any enforcement action against this person until a check succeeds"

SETUP = """
import json
from django.test import Client
from accounts.services import token_issue
from tests.factories import OrganisationFactory, UserFactory, make_referral
force = OrganisationFactory(kind="police_force", code="northshire", name="Northshire Police")
ie = OrganisationFactory(kind="immigration_enforcement", code="ie", name="IE Protocol Unit")
officer = UserFactory(role="police_officer", organisation=force, email="officer@northshire.example")
caseworker = UserFactory(role="ie_caseworker", organisation=ie, email="caseworker@ie.example")
referral = make_referral(officer, victim={"home_office_reference": "@REFERENCE@"})
browser = Client()
browser.force_login(caseworker)
print(json.dumps({
    "token": token_issue(user=caseworker)[0],
    "session": browser.cookies["sessionid"].value,
    "hold": referral.hold.reference,
}))
""".replace("@REFERENCE@", REFERENCE)


def _port(url: str) -> int:
    return int(re.search(r":(\d+)/", url).group(1))


class Service:
    """The service under gunicorn, and a caseworker's API token and signed-in browser."""

    def __init__(self, base: str, token: str, session: str):
        self.base = base
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"Token {token}"
        self.browser = requests.Session()
        self.browser.cookies.set("sessionid", session)
        page = self.browser.get(f"{base}/check-a-hold", timeout=10)
        assert page.status_code == 200, page.text
        self.csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

    def check_api(self) -> requests.Response:
        return self.api.post(
            f"{self.base}/api/v1/hold-checks",
            json={"home_office_reference": REFERENCE},
            timeout=10,
        )

    def check_page(self) -> requests.Response:
        return self.browser.post(
            f"{self.base}/check-a-hold",
            data={"home_office_reference": REFERENCE, "csrfmiddlewaretoken": self.csrf},
            headers={"Referer": f"{self.base}/check-a-hold"},
            timeout=10,
        )


def _assert_answered(service: Service, hold: str) -> None:
    api = service.check_api()
    assert api.status_code == 200, api.text
    assert api.json()["in_force"] is True and api.json()["hold_reference"] == hold
    page = service.check_page()
    assert page.status_code == 200, page.text
    assert "Hold in force" in page.text and hold in page.text


def _assert_no_check_was_made(service: Service) -> None:
    api = service.check_api()
    assert api.status_code == 503, api.text
    assert api.headers["Content-Type"] == "application/json"
    assert api.json()["in_force"] is None and api.json()["detail"]
    assert int(api.headers["Retry-After"]) > 0
    page = service.check_page()
    assert page.status_code == 503, page.text
    assert int(page.headers["Retry-After"]) > 0
    assert "No check was made" in page.text and WARNING in page.text
    assert "govuk-warning-text" in page.text
    assert "Sorry, there is a problem with the service" not in page.text
    assert "No hold in force" not in page.text


@pytest.fixture(scope="module")
def world():
    """Private PostgreSQL and Redis in a folder of their own, migrated, with a caseworker and a
    person whose hold is in force; stopped (and removed) after the module."""
    folder = Path(tempfile.mkdtemp(prefix="holdcheck-outage-"))
    folder.chmod(0o755)  # PostgreSQL runs as an unprivileged user when the tests run as root
    stops = {}
    try:
        database_url, stops["postgres"] = start_postgres(folder / "postgres")
        redis_url, stops["redis"] = start_redis(folder / "redis")
        env = {
            **os.environ,
            "TEST_DATABASE_URL": database_url,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "CELERY_RESULT_BACKEND": redis_url,
            "CELERY_QUEUE": "holdcheck-outage",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            # The test settings' keys, for the local settings too: one session, one token.
            "DJANGO_SECRET_KEY": "test-only-not-secret",
            "AUDIT_HMAC_KEY": "test-only-audit-key",
        }
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        made = subprocess.run(
            [PYTHON, "manage.py", "shell", "-c", SETUP],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        people = json.loads(made.stdout.strip().splitlines()[-1])
        yield {"folder": folder, "env": env, "stops": stops, "people": people}
    finally:
        for stop in stops.values():
            stop()
        shutil.rmtree(folder, ignore_errors=True)


# The test settings open a connection per request; the local (and production) settings keep
# connections open with health checks, so a connection that died with the server is replaced.
@pytest.mark.parametrize("settings_module", ["config.settings.test", "config.settings.local"])
def test_a_check_that_cannot_be_made_answers_503_and_recovers(world, settings_module):
    folder, stops, people = world["folder"], world["stops"], world["people"]
    env = {**world["env"], "DJANGO_SETTINGS_MODULE": settings_module}
    log_path = folder / f"gunicorn-{settings_module}.log"
    with gunicorn(env, log_path, ready_path="/check-a-hold") as (base, server):
        service = Service(base, people["token"], people["session"])
        _assert_answered(service, people["hold"])

        # PostgreSQL stops: no check can be made, and the answers say so.
        stops.pop("postgres")()
        _assert_no_check_was_made(service)
        # It starts again (same port, same cluster): checks answer again, the service untouched.
        _, stops["postgres"] = start_postgres(folder / "postgres", port=_port(env["DATABASE_URL"]))
        _assert_answered(service, people["hold"])

        # Redis (the per-user throttle) stops: the same.
        stops.pop("redis")()
        _assert_no_check_was_made(service)
        _, stops["redis"] = start_redis(folder / "redis", port=_port(env["REDIS_URL"]))
        _assert_answered(service, people["hold"])
        assert server.poll() is None  # the same gunicorn throughout
