import time

import pytest
import redis
from django.conf import settings

from core.health import worker_heartbeat_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def heartbeat_key(settings):
    """A heartbeat key of this test's own, so nothing else running sees or writes it."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(worker_heartbeat_key())
    yield client
    client.delete(worker_heartbeat_key())


def test_healthz_names_the_worker_when_no_worker_has_reported(client, heartbeat_key):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "redis": "ok", "worker": "down"}


def test_healthz_is_ok_when_database_redis_and_worker_are(client, heartbeat_key):
    heartbeat_key.set(worker_heartbeat_key(), str(time.time()))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok", "worker": "ok"}


def test_healthz_reports_redis_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"] == "down"


def test_openapi_schema_and_docs_are_served_without_a_cdn(client, officer):
    client.force_login(officer)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


def test_pages_are_served_under_a_strict_content_security_policy(client):
    response = client.get("/accounts/login")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert settings.DEBUG is False
