"""Production settings: refuse to start without secrets; pass `manage.py check --deploy`."""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_str

from .base import *  # noqa: F403

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a random value of at least 50 characters in production."
    )
AUDIT_HMAC_KEY = env_str("AUDIT_HMAC_KEY")
if not AUDIT_HMAC_KEY or len(AUDIT_HMAC_KEY) < 32:
    raise ImproperlyConfigured("AUDIT_HMAC_KEY must be set (at least 32 characters) in production.")

DEBUG = False
# Links in e-mails (a set-up link) are built from SITE_URL, never from a request's Host header.
# Unset, it is the first allowed host over https; a wildcard first host needs SITE_URL set.
if not SITE_URL:  # noqa: F405
    _first_host = ALLOWED_HOSTS[0] if ALLOWED_HOSTS else "*"  # noqa: F405
    if _first_host == "*" or _first_host.startswith("."):
        raise ImproperlyConfigured(
            "SITE_URL must be set (for example https://casework.example.gov.uk) in production "
            "when the first of DJANGO_ALLOWED_HOSTS is a wildcard."
        )
    SITE_URL = f"https://{_first_host}"
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
