import contextlib
import json
import uuid
from pathlib import Path

import pytest
from redis.exceptions import RedisError
from rest_framework.test import APIClient

from accounts.services import token_issue
from core.redis_client import redis_client
from victims.models import NoticeText

from .factories import OrganisationFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache_namespace(settings):
    """Throttle counters live in the real Redis: each test gets a key prefix of its own, so it
    starts from zero without flushing a database other programs may share."""
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex[:12]}"}
    }


@pytest.fixture(autouse=True)
def _own_audit_checkpoint(settings):
    """Each test keeps its access log checkpoint under a key of its own (the database is emptied
    between tests; a checkpoint left by an earlier test would say events were cut)."""
    key = settings.AUDIT_CHECKPOINT_KEY = f"test-{uuid.uuid4().hex[:12]}:audit:checkpoint"
    client = redis_client()  # the session's Redis (a test may point REDIS_URL elsewhere)
    yield
    with contextlib.suppress(RedisError):
        client.delete(key)


NOTICE_FILE = Path(__file__).resolve().parent.parent / "victims" / "notices" / "2026-01.json"


@pytest.fixture(autouse=True)
def _notice_texts(request):
    """The notice texts a migration loads. A transactional test empties every table when it
    ends, so the tests after it put them back (a referral must name a held text)."""
    if "_django_db_helper" not in request.fixturenames:
        return
    request.getfixturevalue("_django_db_helper")
    if NoticeText.objects.exists():
        return
    notice = json.loads(NOTICE_FILE.read_text(encoding="utf-8"))
    NoticeText.objects.bulk_create(
        NoticeText(version=notice["version"], language=language, text=text)
        for language, text in notice["texts"].items()
    )


@pytest.fixture
def force(db):
    return OrganisationFactory(kind="police_force", code="northshire", name="Northshire Police")


@pytest.fixture
def other_force(db):
    return OrganisationFactory(kind="police_force", code="southshire", name="Southshire Police")


@pytest.fixture
def support_org(db):
    return OrganisationFactory(
        kind="support_organisation", code="haven", name="Haven Migrant Support"
    )


@pytest.fixture
def other_support_org(db):
    return OrganisationFactory(kind="support_organisation", code="harbour", name="Harbour Advice")


@pytest.fixture
def ie_unit(db):
    return OrganisationFactory(kind="immigration_enforcement", code="ie", name="IE Protocol Unit")


@pytest.fixture
def oversight(db):
    return OrganisationFactory(kind="oversight", code="oversight", name="Protocol Oversight")


@pytest.fixture
def officer(force):
    return UserFactory(
        role="police_officer", organisation=force, email="officer@northshire.example"
    )


@pytest.fixture
def other_officer(other_force):
    return UserFactory(
        role="police_officer", organisation=other_force, email="officer@southshire.example"
    )


@pytest.fixture
def adviser(support_org):
    return UserFactory(
        role="support_adviser", organisation=support_org, email="adviser@haven.example"
    )


@pytest.fixture
def caseworker(ie_unit):
    return UserFactory(role="ie_caseworker", organisation=ie_unit, email="caseworker@ie.example")


@pytest.fixture
def senior(ie_unit):
    return UserFactory(role="ie_senior", organisation=ie_unit, email="senior@ie.example")


@pytest.fixture
def senior2(ie_unit):
    return UserFactory(role="ie_senior", organisation=ie_unit, email="senior2@ie.example")


@pytest.fixture
def auditor(oversight):
    return UserFactory(role="auditor", organisation=oversight, email="auditor@oversight.example")


@pytest.fixture
def analyst(oversight):
    return UserFactory(role="analyst", organisation=oversight, email="analyst@oversight.example")


@pytest.fixture
def administrator(oversight):
    return UserFactory(
        role="administrator", organisation=oversight, email="admin@oversight.example"
    )


@pytest.fixture
def api():
    """An API client for a user: `api(user)` authenticates with a real expiring token."""

    def client_for(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            key, _ = token_issue(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return client_for


@pytest.fixture
def celery_queue(settings):
    """This session's queue, emptied before and after the test."""
    from config.celery import app

    from .worker import purge_queue

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    purge_queue(app, queue)
    yield queue
    purge_queue(app, queue)


@pytest.fixture
def celery_worker_process(transactional_db, celery_queue, tmp_path):
    """Start real Celery worker processes consuming this test's queue: `start(**extra_env)`
    returns a `tests.worker.Worker` (call `.wait_ready()` to wait for it to consume). They are
    stopped afterwards, and their logs printed (pytest shows them when the test fails)."""
    from .worker import Worker

    workers = []

    def start(**extra_env):
        worker = Worker(celery_queue, tmp_path / f"worker{len(workers)}.log", extra_env).start()
        workers.append(worker)
        return worker

    yield start
    for number, worker in enumerate(workers):
        worker.stop()
        print(f"--- worker {number} log ---\n{worker.log()}")
