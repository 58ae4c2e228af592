"""Settings for the displacement tracker. Every environment variable is read here, once."""

import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from tracker.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Environment -------------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", None)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'tracker.sqlite3'}")
REDIS_URL = env_str("REDIS_URL", None)
TIME_ZONE = env_str("TIME_ZONE", "Asia/Damascus")
MAX_BODY_BYTES = env_int("MAX_BODY_BYTES", 64 * 1024 * 1024)
API_RATE_LIMIT = env_str("API_RATE_LIMIT", "1200/min")
FIGURES_SWEEP_SECONDS = env_int("FIGURES_SWEEP_SECONDS", 60)
REDIS_TIMEOUT = env_float("REDIS_TIMEOUT", 0.25)
BULK_SYNC_ROWS = env_int("BULK_SYNC_ROWS", 1000)
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))

if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY, or DEBUG=true for local development."
        )
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"

if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", API_RATE_LIMIT):
    raise ImproperlyConfigured(
        f"API_RATE_LIMIT={API_RATE_LIMIT!r} is not a rate like 1200/min (per s, min, hour or day)."
    )

if BULK_SYNC_ROWS < 0:
    raise ImproperlyConfigured(f"BULK_SYNC_ROWS={BULK_SYNC_ROWS!r} cannot be negative.")

if not 0 < REDIS_TIMEOUT <= 60:
    raise ImproperlyConfigured(f"REDIS_TIMEOUT={REDIS_TIMEOUT!r} is not between 0 and 60 seconds.")

try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE={TIME_ZONE!r} is not a known time zone.") from None

try:
    # Connections are kept for a minute and checked before a request first uses one, so a
    # worker whose connection died with a database restart reconnects instead of failing.
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
except ValueError as error:
    raise ImproperlyConfigured(f"DATABASE_URL is malformed: {error}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable server fails a connection after this long instead of never (libpq's default).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The local default: serialise writers instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# --- Django ------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "tracker",
    "api",
    "tasks",  # registers how services enqueue background work (tracker never imports tasks)
]

MIDDLEWARE = [
    "tracker.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "api.limits.BodySizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "tracker.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"
AUTH_USER_MODEL = "tracker.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tracker" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
USE_I18N = True
USE_TZ = True  # timestamps are stored in UTC; dates of reports are in TIME_ZONE's calendar

# Request bodies: the API refuses larger ones with 413 before reading them.
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Every call to Redis (the rate limit, the queued-refresh marker, the broker, task results) gives
# up after REDIS_TIMEOUT, to connect or to answer, and is not retried: a request goes on without
# Redis (it lets the write in, and the sweep enqueues its refresh later), so a hung Redis costs
# a request that long per call, not redis-py's 5 s default or forever.
REDIS_OPTIONS = {"socket_timeout": REDIS_TIMEOUT, "socket_connect_timeout": REDIS_TIMEOUT}

# Shared by every process when Redis is there (rate limits must be counted across workers).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": REDIS_OPTIONS,
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Logs go to stderr (gunicorn's and the workers' logs, journald under systemd) whatever DEBUG
# says, each line with the id of the request it was written for (also the response's
# X-Request-ID). Django logs every 5xx with its traceback; 4xx are the clients' business.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "tracker.middleware.RequestIdFilter"}},
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "line",
        }
    },
    "root": {"handlers": ["stderr"], "level": "INFO"},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},  # not only when DEBUG
        "django.request": {"level": "ERROR"},
        "django.security": {"level": "ERROR"},
    },
}

STATIC_URL = "static/"  # collectstatic copies the files to STATIC_ROOT, where nginx serves them

# --- API ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.AgencyTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": API_RATE_LIMIT},
    "EXCEPTION_HANDLER": "api.exceptions.handle",
    "URL_FORMAT_OVERRIDE": None,  # `format` is the figures' export choice, not content negotiation
    "DEFAULT_RENDERER_CLASSES": ["api.renderers.SafeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "api.parsers.CSVParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Displacement tracker API",
    "DESCRIPTION": "Agencies submit reports of people displaced, returned, killed and injured; "
    "the tracker reconciles them into daily figures.",
    "VERSION": "1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Background work ---------------------------------------------------------------------------
# Without Redis, tasks run in-process (eagerly) so a fresh checkout needs nothing else installed.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
SIMPLE_HISTORY_REVERT_DISABLED = True  # reverting would bypass the services
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True  # reasons can be long
# Static files (admin, API docs) are served by the service itself: no CDN, no separate server.
WHITENOISE_USE_FINDERS = True
# Beat keeps its schedule and a lock in Redis (tasks/beat.py): a second beat started by mistake
# waits for the lock instead of sending every task twice, and takes over within the lock's
# timeout when the first one dies. Beat looks at its schedule and renews the lock every 5 s.
CELERY_BEAT_SCHEDULER = "tasks.beat:Scheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = 5
CELERY_REDBEAT_REDIS_URL = REDIS_URL
CELERY_REDBEAT_REDIS_OPTIONS = REDIS_OPTIONS
CELERY_REDBEAT_LOCK_TIMEOUT = 30
CELERY_BEAT_SCHEDULE = {
    "purge-idempotency-keys": {"task": "tracker.purge_idempotency_keys", "schedule": 3600.0},
    # The sweep: refreshes stale figures whose message was lost (a worker killed, Redis down).
    "figures-sweep": {"task": "tracker.figures_sweep", "schedule": FIGURES_SWEEP_SECONDS},
    # Bulk imports whose message was lost, or whose worker died, are sent to a worker again.
    "imports-sweep": {"task": "tracker.imports_sweep", "schedule": 60.0},
}
# A task's hard time limit (300 s) stays below the broker's visibility timeout, so a task still
# running is never handed to a second worker; one whose worker died is, after this long.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600, **REDIS_OPTIONS}
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_TIMEOUT  # the result backend's
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_TIMEOUT
# Workers and beat outlive a broker outage, however long: they wait for it at start-up and try
# to reconnect forever (Celery gives up after 100 tries by default, and the worker exits).
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A task running when the connection is lost cannot be acknowledged any more; it is stopped and
# its message redelivered (Celery 6's default). Refreshes are idempotent: the sweep redoes them.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
