"""Settings shared by every environment. Everything that varies is read from the environment."""

from pathlib import Path

import dj_database_url

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
DEBUG = False
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "accounts.admin_site.OperatorsAdminConfig",  # django.contrib.admin, for operators only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # pg_trgm indexes (OpClass) and the trigram extension
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "core",
    "accounts",
    "victims",
    "cases",
    "protocol",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Above everything that may touch the database or Redis: a hold check that cannot be made
    # answers 503 "no check was made", whichever layer failed.
    "protocol.middleware.HoldCheckUnavailableMiddleware",
    "accounts.middleware.RequestIdMiddleware",
    "core.middleware.BodyLimitMiddleware",
    "core.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

# A larger body answers 413 before anything reads it (core.middleware.BodyLimitMiddleware).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
        },
    },
]

# --- Data stores -------------------------------------------------------------------------

# The role this process connects as. In production the service (web, workers, beat) connects as
# a role that does not own the tables and may only insert into and read the access log; only
# `migrate` and `create_app_role` run as the owner (docs/adr/0005-database-roles.md).
DATABASE_URL = env_str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/casework")
# Given to the owner's `create_app_role`: the URL the service will connect with (its user and
# password are the role's).
APP_DATABASE_URL = env_str("APP_DATABASE_URL")
# Server-side binding: parameters travel apart from the SQL text (never spliced into it), and
# psycopg prepares a statement once it has run a few times on a connection, so the busiest
# requests skip parsing and planning (docs/performance.md). Set DB_SERVER_SIDE_BINDING=false
# behind a pooler that cannot keep prepared statements (PgBouncer before 1.21).
DB_OPTIONS = {
    "server_side_binding": env_bool("DB_SERVER_SIDE_BINDING", True),
    "prepare_threshold": env_int("DB_PREPARE_THRESHOLD", 5),
}


def database(url: str, **settings) -> dict:
    """Django's settings for the database at `url`, with `DB_OPTIONS` added to the options the
    URL itself gives (`?sslmode=require`, say), which are kept."""
    parsed = dj_database_url.parse(url, **settings)
    parsed["OPTIONS"] = {**parsed.get("OPTIONS", {}), **DB_OPTIONS}
    return parsed


DATABASES = {
    "default": database(
        DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
}
# A streaming read replica for the heavy aggregate reads that ask for it by name (statistics):
# everything else, every write and every migration stays on the primary (core/db_router.py).
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **database(
            DATABASE_REPLICA_URL,
            conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        ),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["core.db_router.PrimaryRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "casework"),
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

# --- Accounts ----------------------------------------------------------------------------

OTP_TOTP_ISSUER = "Protocol Casework"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a user's authenticator secret

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
# Messages ("Dependant Jane Doe removed") kept in the server-side session, never in a cookie the
# browser keeps readable (the cookie store signs messages but does not encrypt them).
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
CSRF_COOKIE_HTTPONLY = True
API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 12)
# Lockout (docs/adr/0006-accounts-and-sign-in.md): an account is locked for the address that
# failed LOGIN_FAILURE_LIMIT times, and an address that failed LOGIN_ADDRESS_FAILURE_LIMIT times
# whatever the accounts is locked for every account, each for LOGIN_LOCKOUT_MINUTES.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 20)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
# Failures for one account from all addresses together that lock it from every address (an
# attack spread over many addresses; IPv6 addresses count by /64 network).
LOGIN_ACCOUNT_FAILURE_LIMIT = env_int("LOGIN_ACCOUNT_FAILURE_LIMIT", 100)
# How long an emailed set-up link works (it also stops working once used).
PASSWORD_RESET_TIMEOUT = env_int("SET_UP_LINK_HOURS", 72) * 60 * 60

# --- Email (set-up links) ----------------------------------------------------------------

SERVICE_NAME = "Migrant Victims Protocol casework"
# The address links in emails start with; without it, the address the administrator used.
SITE_URL = env_str("SITE_URL", "")
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "no-reply@casework.invalid")

GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # no guardian anonymous user: anonymous callers get nothing

# --- Internationalisation ----------------------------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env_str("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- API ---------------------------------------------------------------------------------

# The access log's writer, found by name so that core's permission helpers import no app.
ACCESS_LOG_RECORDER = "accounts.audit.record_access"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "core.api.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_RATES": {
        "hold_check": env_str("HOLD_CHECK_RATE", "60/min"),
        "token": env_str("TOKEN_RATE", "10/min"),
    },
    "UNAUTHENTICATED_USER": None,
    # How many proxies in front of the service append to X-Forwarded-For: 0 means the client
    # address is the connection's own, so a caller cannot pick the address its anonymous
    # requests (token requests) are throttled under by sending the header itself.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Protocol Casework API",
    "DESCRIPTION": "Enforcement holds under the Immigration Enforcement Migrant Victims Protocol.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Celery ------------------------------------------------------------------------------
# Chosen for reliability: a task is acknowledged only after it ran, re-queued if its worker
# dies, one message prefetched at a time, JSON only, and messages carry ids, never personal data.

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "casework")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 600),
    "socket_connect_timeout": 3,
    "socket_timeout": 5,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_SEND_TASK_EVENTS = False
# Keep a worker's database connection from task to task (protocol.tasks closes a broken or old
# one, as Django does around requests); without it every task pays for a new connection.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
HOLD_SWEEP_SECONDS = env_int("HOLD_SWEEP_SECONDS", 60)
HOLD_SWEEP_BATCH = env_int("HOLD_SWEEP_BATCH", 500)
CELERY_BEAT_SCHEDULE = {
    "sweep-holds": {"task": "protocol.tasks.sweep_holds", "schedule": HOLD_SWEEP_SECONDS},
    "worker-heartbeat": {"task": "protocol.tasks.heartbeat", "schedule": 30},
    "checkpoint-access-log": {
        "task": "accounts.tasks.checkpoint_access_log",
        "schedule": env_int("AUDIT_CHECKPOINT_SECONDS", 300),
    },
}

# --- The hold rules' policy (PROTOCOL.md "Policy settings"), validated when the app starts ---

HOLD_POLICY = {
    key: value
    for key, value in {
        "limbs": env_str("HOLD_LIMBS"),
        "cover_witnesses": env_bool("HOLD_COVER_WITNESSES", True)
        if env_str("HOLD_COVER_WITNESSES") is not None
        else None,
        "grace_days": env_int("HOLD_GRACE_DAYS", None),
        "vrr_window_days": env_int("HOLD_VRR_WINDOW_DAYS", None),
        "appeal_window_days": (
            {
                "crown": env_int("HOLD_APPEAL_WINDOW_DAYS_CROWN", 28),
                "magistrates": env_int("HOLD_APPEAL_WINDOW_DAYS_MAGISTRATES", 21),
            }
            if env_str("HOLD_APPEAL_WINDOW_DAYS_CROWN")
            or env_str("HOLD_APPEAL_WINDOW_DAYS_MAGISTRATES")
            else None
        ),
        "challenge_window_days": env_int("HOLD_CHALLENGE_WINDOW_DAYS", None),
        "nrm_reconsideration_days": env_int("HOLD_NRM_RECONSIDERATION_DAYS", None),
        "nrm_move_on_days": env_int("HOLD_NRM_MOVE_ON_DAYS", None),
        "support_review_days": env_int("HOLD_SUPPORT_REVIEW_DAYS", None),
        "support_stale_days": env_int("HOLD_SUPPORT_STALE_DAYS", None),
        "override_max_days": env_int("HOLD_OVERRIDE_MAX_DAYS", None),
    }.items()
    if value is not None
}

# --- Audit -------------------------------------------------------------------------------

AUDIT_HMAC_KEY = env_str("AUDIT_HMAC_KEY")
AUDIT_CHAINS = 16  # interleaved HMAC chains; changing it needs no migration
# Where the latest signed checkpoint of the chains is kept, outside the database (ADR 0005).
AUDIT_CHECKPOINT_KEY = env_str("AUDIT_CHECKPOINT_KEY", "casework:audit:checkpoint")

# --- Security ----------------------------------------------------------------------------

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
