"""Settings for the one-command demo and local development."""

from config.env import env_str

from .base import *  # noqa: F403

DEBUG = True
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "local-development-only-not-secret")
AUDIT_HMAC_KEY = env_str("AUDIT_HMAC_KEY", "local-development-audit-key")
STORAGES = {  # no manifest needed when DEBUG serves the files
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Static files straight from the finders: no collectstatic needed outside production.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = None
# Set-up links are printed in the server's log rather than mailed.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
