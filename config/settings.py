"""Work Order Sync settings.

The defaults run with no environment at all (SQLite in ``var/``, the in-memory channel layer,
development keys generated into ``var/`` on first use). Production differs only through the
environment; every variable is documented in docs/configuration.md. Each secret may also be read
from ``<NAME>_FILE`` (systemd credentials, Docker/Kubernetes secrets).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from credentials.crypto import check_keys as check_credential_keys

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from exc


def env_secret(name: str) -> str:
    """Read a secret from NAME, or from the file named by NAME_FILE. Empty when neither is set."""
    if os.environ.get(name):
        return os.environ[name]
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path} cannot be read: {exc.strerror}") from exc
    return ""


def dev_secret(filename: str, make) -> str:
    """A development-only secret kept in var/ (never committed), created on first use."""
    path = VAR_DIR / filename
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_secret("SECRET_KEY")
# Comma-separated Fernet keys: the first encrypts, all decrypt (see docs/operations.md, key rotation).
CREDENTIAL_KEYS = [k.strip() for k in env_secret("CREDENTIAL_KEYS").split(",") if k.strip()]

if not DEBUG:
    missing = [n for n, v in (("SECRET_KEY", SECRET_KEY), ("CREDENTIAL_KEYS", CREDENTIAL_KEYS)) if not v]
    if missing:
        raise ImproperlyConfigured(
            f"DEBUG is off and {', '.join(missing)} is not set. Set it (or {missing[0]}_FILE) in the "
            "environment; see docs/configuration.md."
        )
SECRET_KEY = SECRET_KEY or dev_secret("dev-secret-key", lambda: secrets.token_urlsafe(50))
CREDENTIAL_KEYS = CREDENTIAL_KEYS or [dev_secret("dev-credential-key", _fernet_key)]
# Refuse to start with a malformed entry rather than failing at the first sync.
check_credential_keys(CREDENTIAL_KEYS)

ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("CSRF_TRUSTED_ORIGINS").split(",") if o.strip()]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_apscheduler",
    "channels",
    "accounts",
    "credentials",
    "workorders",
    "scheduling",
    "demoportal",
    # Swagger UI's JS/CSS served from the drf-spectacular-sidecar package (static files, no CDN).
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite is the embedded default. WAL lets readers run beside the writer; IMMEDIATE transactions
# take the write lock up front so concurrent writers wait (busy timeout) instead of failing with
# "database is locked" half-way through a transaction.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
}
# The URLs carry passwords: kept out of the settings (lower case), so the debug page and
# diffsettings show only DATABASES, whose PASSWORD Django masks.
_database_url = env_secret("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=env_int("CONN_MAX_AGE", 0))}
# Test databases are named per test-runner process, so concurrent suites never share one.
# A file, not :memory:, so servers the tests start as subprocesses can open it.
_TEST_SUFFIX = env("TEST_DB_SUFFIX") or str(os.getpid())
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{_TEST_SUFFIX}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{_TEST_SUFFIX}"}
    # A connection killed under a long-lived process is noticed before use, not mid-query.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "workorders:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- Channels -------------------------------------------------------------------------------
# The scheduler is its own process, so production needs a layer that crosses processes.
# RedisPubSubChannelLayer: the default RedisChannelLayer dropped 15-55% of a 1,000-event burst
# at its group capacity, and closed idle websockets with redis-py 8 (channels_redis#422).
_redis_url = env_secret("REDIS_URL")
if _redis_url:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            # Deployments (or test runs) sharing one Redis keep apart by prefix; group names carry only user ids.
            "CONFIG": {
                "hosts": [{"address": _redis_url, "socket_timeout": None}],
                "prefix": env("CHANNEL_LAYER_PREFIX", "asgi"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "workorders.api.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # Slows password guessing through the token endpoint (per client IP, in the default cache).
    "DEFAULT_THROTTLE_RATES": {"auth-token": env("API_TOKEN_THROTTLE", "20/minute")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Work Order Sync API",
    "VERSION": "1.0.0",
    "DESCRIPTION": "Per-user API of Work Order Sync; the websocket protocol is described in docs/api.md.",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Browser (the only settings the Selenium driver reads) ---------------------------------
CHROMEDRIVER_PATH = env("CHROMEDRIVER_PATH", "/usr/bin/chromedriver")
# The real binary, not Debian's /usr/bin/chromium shell wrapper.
CHROMIUM_BINARY = env("CHROMIUM_BINARY", "/usr/lib/chromium/chromium")
SELENIUM_REMOTE_URL = env("SELENIUM_REMOTE_URL")
BROWSER_PAGE_LOAD_TIMEOUT = env_int("BROWSER_PAGE_LOAD_TIMEOUT", 30)
BROWSER_RECYCLE_AFTER = env_int("BROWSER_RECYCLE_AFTER", 20)

# --- Scheduler ------------------------------------------------------------------------------
SCRAPE_WORKERS = env_int("SCRAPE_WORKERS", 2)
SCHEDULER_HEARTBEAT_SECONDS = env_int("SCHEDULER_HEARTBEAT_SECONDS", 5)
SCHEDULER_STALE_AFTER_SECONDS = env_int("SCHEDULER_STALE_AFTER_SECONDS", 30)
SCHEDULER_SHUTDOWN_TIMEOUT = env_int("SCHEDULER_SHUTDOWN_TIMEOUT", 60)
SCHEDULER_LOCK_FILE = Path(env("SCHEDULER_LOCK_FILE", str(VAR_DIR / "scheduler.lock")))
APSCHEDULER_DATETIME_FORMAT = "N j, Y, f:s a"
APSCHEDULER_RUN_NOW_TIMEOUT = 25
# What a worker calls with a claimed run (tests and benchmarks point it at a fake).
SCHEDULER_SYNC_FUNCTION = env("SCHEDULER_SYNC_FUNCTION", "workorders.services.work_orders_sync")
# A fire later than this (seconds) is recorded as missed instead of run.
SCHEDULER_MISFIRE_GRACE_SECONDS = env_int("SCHEDULER_MISFIRE_GRACE_SECONDS", 300)
# A scheduled run still waiting for a worker this long after its hour is recorded as missed.
SCHEDULER_RUN_DEADLINE_SECONDS = env_int("SCHEDULER_RUN_DEADLINE_SECONDS", 3600)
# The full reconcile that backs up the change notifications.
SCHEDULER_RECONCILE_SECONDS = env_int("SCHEDULER_RECONCILE_SECONDS", 300)
# How often a hot standby tries the leader lock.
SCHEDULER_STANDBY_POLL_SECONDS = env_int("SCHEDULER_STANDBY_POLL_SECONDS", 1)
# PostgreSQL advisory lock key shared by every scheduler of one database.
SCHEDULER_LOCK_KEY = env_int("SCHEDULER_LOCK_KEY", 0x574F5301)
# Tests only: a cron "second" field (e.g. "*/5") that replaces minute=0, so a fire comes in seconds.
SCHEDULER_TEST_SECOND_FIELD = env("SCHEDULER_TEST_SECOND_FIELD", "")

# The bundled demo portal is served by this site; the demo user's credentials point here.
DEMO_PORTAL_BASE_URL = env("DEMO_PORTAL_BASE_URL", "http://127.0.0.1:8000/demo-portal/")

LOG_LEVEL = env("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "selenium": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}

# --- Scraper / demo portal --------------------------------------------------------------------
# At most one unforced progress event per run in this many seconds (phase changes always go out).
PROGRESS_PUBLISH_INTERVAL = float(env("PROGRESS_PUBLISH_INTERVAL", "0.25"))
# Faults for every demo-portal account, e.g. "delay_seconds=2,layout=renamed_column" (demos only).
DEMO_PORTAL_FAULTS = {
    name.strip(): value.strip()
    for name, _, value in (item.partition("=") for item in env("DEMO_PORTAL_FAULTS").split(",") if item.strip())
}
