"""Settings for the test suite: the real PostgreSQL and Redis at TEST_DATABASE_URL / REDIS_URL."""

import dj_database_url

from config.env import env_str

from .base import *  # noqa: F403
from .base import DATABASE_URL, REST_FRAMEWORK

SECRET_KEY = "test-only-not-secret"
AUDIT_HMAC_KEY = "test-only-audit-key"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("TEST_DATABASE_URL", DATABASE_URL), conn_max_age=0, conn_health_checks=False
    )
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
