"""Settings for the displacement tracker. Every environment variable is read here, once."""

import re
from datetime import timedelta
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
# How far behind the newest writes a report sync page stays (tracker/report_sync.py).
SYNC_MARGIN_SECONDS = env_float("SYNC_MARGIN_SECONDS", 1.0)
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
TOKEN_TTL_DAYS = env_int("TOKEN_TTL_DAYS", 90)
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_COOLOFF_MINUTES = env_int("LOGIN_COOLOFF_MINUTES", 15)
# Observability and HTTPS (README, "Health, metrics and logs" and "Settings").
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
METRICS_TOKEN = env_str("METRICS_TOKEN", None)
FIGURES_LAG_LIMIT_SECONDS = env_int("FIGURES_LAG_LIMIT_SECONDS", 300)
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Figures without a token (README, "Public figures"), and how many reverse proxies in front of
# gunicorn append the address they saw to X-Forwarded-For (the recipe's nginx: 1).
PUBLIC_FIGURES = env_bool("PUBLIC_FIGURES", False)
PUBLIC_MAX_LEVEL = env_int("PUBLIC_MAX_LEVEL", 2)
PUBLIC_MIN_COUNT = env_int("PUBLIC_MIN_COUNT", 5)
PUBLIC_PROTECT_FROM_LEVEL = env_int("PUBLIC_PROTECT_FROM_LEVEL", 2)
PUBLIC_RATE = env_str("PUBLIC_RATE", "60/min")
FORWARDED_FOR_PROXIES = env_int("FORWARDED_FOR_PROXIES", 0)

if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY, or DEBUG=true for local development."
        )
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"

for name, rate in (("API_RATE_LIMIT", API_RATE_LIMIT), ("PUBLIC_RATE", PUBLIC_RATE)):
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", rate):
        raise ImproperlyConfigured(
            f"{name}={rate!r} is not a rate like 1200/min (per s, min, hour or day)."
        )

if BULK_SYNC_ROWS < 0:
    raise ImproperlyConfigured(f"BULK_SYNC_ROWS={BULK_SYNC_ROWS!r} cannot be negative.")

if not 0 <= SYNC_MARGIN_SECONDS <= 600:
    raise ImproperlyConfigured(
        f"SYNC_MARGIN_SECONDS={SYNC_MARGIN_SECONDS!r} is not between 0 and 600 seconds."
    )

if not 0 < REDIS_TIMEOUT <= 60:
    raise ImproperlyConfigured(f"REDIS_TIMEOUT={REDIS_TIMEOUT!r} is not between 0 and 60 seconds.")

for name, value, most in (
    ("TOKEN_TTL_DAYS", TOKEN_TTL_DAYS, 3650),
    ("LOGIN_FAILURE_LIMIT", LOGIN_FAILURE_LIMIT, 100),
    ("LOGIN_COOLOFF_MINUTES", LOGIN_COOLOFF_MINUTES, 7 * 24 * 60),
    ("PUBLIC_MIN_COUNT", PUBLIC_MIN_COUNT, 1000),
):
    if not 1 <= value <= most:
        raise ImproperlyConfigured(f"{name}={value!r} is not between 1 and {most}.")

for name, value, most in (
    ("PUBLIC_MAX_LEVEL", PUBLIC_MAX_LEVEL, 3),
    ("PUBLIC_PROTECT_FROM_LEVEL", PUBLIC_PROTECT_FROM_LEVEL, 3),
    ("FORWARDED_FOR_PROXIES", FORWARDED_FOR_PROXIES, 5),
):
    if not 0 <= value <= most:
        raise ImproperlyConfigured(f"{name}={value!r} is not between 0 and {most}.")

if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} is not json or text.")

if METRICS_TOKEN is not None and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("METRICS_TOKEN is shorter than 32 characters: make a random one.")

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
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "django_prometheus",
    "tracker",
    "api",
    "tasks",  # registers how services enqueue background work (tracker never imports tasks)
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # latency, by endpoint
    "tracker.middleware.RequestIdMiddleware",
    "tracker.middleware.AccessLogMiddleware",
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
    "django_prometheus.middleware.PrometheusAfterMiddleware",  # status, by endpoint
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: answers a locked-out login
]

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"
AUTH_USER_MODEL = "tracker.User"
LOGIN_URL = "login"  # the dashboard's sign-in, for staff and agency users alike
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"
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

# Staff logins (the admin's login page) are locked out for LOGIN_COOLOFF_MINUTES once a username
# has LOGIN_FAILURE_LIMIT failed logins, each less than that long after the one before, whatever
# address they come from (behind nginx every address is the proxy's); a success clears the count.
# A failure while locked out does not prolong it, so nobody can keep a staff member out for good
# by trying their name.
# `manage.py axes_reset_username NAME` (or deleting the attempt in the admin) lifts a lockout.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "tracker.lockout.locked_out"
# django-axes warns when addresses are not counted too; they are left out on purpose (above):
# counted per address, a few typos in an office behind one NAT would lock all of its staff out.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

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
# says: one JSON object a line (LOG_FORMAT=json, the default unless DEBUG), each with the id of
# the request or task it was written for. A line per request (tracker.access: status, duration,
# user, agency) and per task (tasks: outcome, duration); Django logs every 5xx with its traceback.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "tracker.logs.ContextFilter"}},
    "formatters": {
        "json": {"()": "tracker.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s [%(context)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["stderr"], "level": "INFO"},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},  # not only when DEBUG
        "django.request": {"level": "ERROR"},
        "django.security": {"level": "ERROR"},
        "celery.app.trace": {"level": "WARNING"},  # the tasks logger's line says it, with the id
        "health_check": {"level": "ERROR"},  # a failing check is in /healthz's answer
    },
}

# --- HTTPS -------------------------------------------------------------------------------------
# On unless DEBUG: TLS ends in front of nginx (a load balancer, or the machine's own nginx on
# 443), which says so in X-Forwarded-Proto; plain HTTP is redirected to HTTPS, browsers are told
# to keep to HTTPS (HSTS) and cookies go over HTTPS only. A deployment on plain HTTP (a closed
# network, the tests, the load test) says HTTPS=false. Probes and Prometheus may use plain HTTP.
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$", r"^metrics$", r"^api/v1/health/$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_INCLUDE_SUBDOMAINS = True  # the tracker's own host and those below it, no others
if not SECURE_HSTS_PRELOAD:
    # Preloading is a domain owner's commitment (hstspreload.org), not a default.
    SILENCED_SYSTEM_CHECKS += ["security.W021"]

STATIC_URL = "static/"  # collectstatic copies the files to STATIC_ROOT, where nginx serves them

# --- API ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.AgencyTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": API_RATE_LIMIT, "public": PUBLIC_RATE},
    "EXCEPTION_HANDLER": "api.exceptions.handle",
    # `format=` chooses among an operation's formats (the figures export, the schema), else Accept
    "URL_FORMAT_OVERRIDE": "format",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.renderers.ContentNegotiation",
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
