"""Settings for the test suite: the real PostgreSQL and Redis at TEST_DATABASE_URL / REDIS_URL."""

import uuid

from config.env import env_str

from .base import *  # noqa: F403
from .base import DATABASE_URL, REDIS_URL, REST_FRAMEWORK, database

SECRET_KEY = "test-only-not-secret"
AUDIT_HMAC_KEY = "test-only-audit-key"
DATABASES = {
    "default": {
        **database(
            env_str("TEST_DATABASE_URL", DATABASE_URL), conn_max_age=0, conn_health_checks=False
        ),
        # Django's backend, but flushing between tests gets past the access log's TRUNCATE trigger.
        "ENGINE": "tests.postgresql",
    }
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "hold_check": "1000/min",
    },
}

# A queue of this test session's own: messages left by other runs never reach its workers.
# Worker processes started by the tests are given the same name through CELERY_QUEUE.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE") or f"test-{uuid.uuid4().hex[:12]}"
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"test-{uuid.uuid4().hex[:12]}",
    }
}
HOLD_SWEEP_SECONDS = 2
# Each test has its own (tests/conftest.py); a process a test starts is given the test's.
AUDIT_CHECKPOINT_KEY = env_str("AUDIT_CHECKPOINT_KEY") or f"test-{uuid.uuid4().hex[:12]}:audit"

# Static files straight from the finders: no collectstatic needed outside production.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = None
