"""Hearth settings, read from the environment only.

No variables set gives the embedded default: SQLite under ``var/`` and the
in-memory channel layer, debug on with a development key. ``DATABASE_URL``
switches to PostgreSQL (pooled), ``REDIS_URL`` to channels-redis and a Redis
cache (shared rate limits). With ``DEBUG`` off, ``SECRET_KEY`` and
``ALLOWED_HOSTS`` are mandatory.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from support.env import env_bool, env_int, env_list, env_public_url, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("HEARTH_VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", default=True)

_DEV_SECRET_KEY = "django-insecure-hearth-development-key-never-use-in-production"
SECRET_KEY = env_str("SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off (comma-separated host names).")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "csp",
    "support",
    "listeners",
    "chat",
    "safety",
    "rooms",
    "frontend",
    "metrics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "support.signin.KnownDeviceMiddleware",
    "support.cache_control.NoStoreMiddleware",
    "support.query_text.QueryTextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "support.urls"
ASGI_APPLICATION = "support.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# --- Database -----------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    try:
        _db = dj_database_url.parse(DATABASE_URL)
    except Exception as exc:  # dj-database-url raises several types for a bad URL
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
    if _db.get("ENGINE") == "django.db.backends.postgresql":
        # Django's psycopg pool: no connection opened per message, and no
        # persistent connections (which leak under ASGI's thread churn).
        _db["CONN_MAX_AGE"] = 0
        _db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DATABASE_POOL_MIN", 2, minimum=0),
            "max_size": env_int("DATABASE_POOL_MAX", 20, minimum=1),
            "timeout": 10,
        }
    DATABASES = {"default": _db}
else:
    # The embedded default keeps its database under var/; create it on first use.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH") or str(VAR_DIR / "hearth.sqlite3"),
            # One process, a few threads: keep each thread's connection instead
            # of reopening the file (and re-running the PRAGMAs) on every call.
            "CONN_MAX_AGE": None,
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so concurrent writers
                # queue on the busy timeout instead of failing with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Socket services run in parallel worker threads, each with a pooled connection, instead
# of queueing on Channels' one database thread per process: on PostgreSQL that overlaps
# round-trips, which otherwise bound a process whatever its cores. SQLite always
# stays on one thread (one writer at a time), whatever this says.
HEARTH_DB_PARALLEL = env_bool("HEARTH_DB_PARALLEL", default=True)

# --- Channel layer and cache --------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
CHANNEL_LAYER_KIND = env_str("CHANNEL_LAYER_KIND") or "pubsub"
if CHANNEL_LAYER_KIND not in {"pubsub", "core"}:
    raise ImproperlyConfigured(f"CHANNEL_LAYER_KIND must be 'pubsub' or 'core'; got {CHANNEL_LAYER_KIND!r}.")
# Keeps several deployments (or test clusters) apart on one Redis.
REDIS_PREFIX = env_str("REDIS_PREFIX") or "hearth"
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured("REDIS_URL must start with redis://, rediss:// or unix://.")
    # channels-redis on redis-py 8 caps its pool at 100 connections by default,
    # which raises MaxConnectionsError (and closes every consumer with 1011) under load.
    _redis_host = {"address": REDIS_URL, "max_connections": env_int("REDIS_MAX_CONNECTIONS", 1000, minimum=10)}
    if CHANNEL_LAYER_KIND == "pubsub":
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [_redis_host], "prefix": REDIS_PREFIX},
            }
        }
    else:
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    "hosts": [_redis_host],
                    "prefix": REDIS_PREFIX,
                    # Per-channel queue length; past it channels-redis drops messages (clients resume by seq).
                    "capacity": env_int("CHANNEL_LAYER_CAPACITY", 1000, minimum=1),
                    # /healthz's pings share one list per process: a ping whose answer timed out stays
                    # there until the key expires, and must not make the next check "full" and fail.
                    "channel_capacity": {"health.*": 100},
                    "expiry": 60,
                },
            }
        }
    CACHES = {
        "default": {
            "BACKEND": "support.cache.RedisCache",  # django-redis: one Redis pool per process (support/cache.py)
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "support.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "hearth"}}

# --- Identity -----------------------------------------------------------------
AUTH_USER_MODEL = "support.User"
# Every password check passes the sign-in throttle first (support/signin.py). ModelBackend stays
# listed for sessions it signed in; the throttled backend stops every failed check before it.
AUTHENTICATION_BACKENDS = ["support.signin.ThrottledModelBackend", "django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 24 * 14, minimum=300)

# --- Security (production) ----------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 60 * 60 * 24 * 365, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every response (django-csp). Scripts and styles only from our
# own origin, never inline; sockets and fetches to this origin only ('self' covers ws: and
# wss: to the same host under CSP Level 3). A page that needs more says so on its view
# (the API docs: support/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "media-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if env_bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Per-IP limits count the TCP peer, unless the peer is one of TRUSTED_PROXIES (addresses or
# networks, comma-separated): then the address in CLIENT_IP_HEADER (e.g. X-Real-IP) counts.
# Either empty: no header is ever trusted (support/client_ip.py).
CLIENT_IP_HEADER = env_str("CLIENT_IP_HEADER") or ""
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is not an IP address or network.") from None

# --- Internationalisation and static files ------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Email (alerts when no staff socket is connected) -------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND") or (
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = env_str("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "hearth@localhost"

# --- REST API -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["support.api.parsers.HearthJSONParser"],  # depth and text rules: support/text_input.py
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "support.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hearth API",
    "DESCRIPTION": "REST API of Hearth, the peer-support listening platform. Real-time frames are in docs/protocol.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from our own static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name for a choice set used by several fields (age_group, audience).
    "ENUM_NAME_OVERRIDES": {"AgeGroupEnum": "support.models.AgeGroup"},
}

# --- Hearth -------------------------------------------------------------------
# Sign-in throttle (support/signin.py, for the API and /admin/ alike): passwords checked per
# address and per account before a lock; each lock lasts HEARTH_LOGIN_LOCK_SECONDS, doubling with
# every further lock within a day, up to HEARTH_LOGIN_LOCK_MAX_SECONDS.
HEARTH_LOGIN_RATE_PER_IP = env_int("HEARTH_LOGIN_RATE_PER_IP", 20, minimum=1)
HEARTH_LOGIN_RATE_PER_USERNAME = env_int("HEARTH_LOGIN_RATE_PER_USERNAME", 5, minimum=1)
HEARTH_LOGIN_WINDOW_SECONDS = env_int("HEARTH_LOGIN_WINDOW_SECONDS", 15 * 60, minimum=60)
HEARTH_LOGIN_LOCK_SECONDS = env_int("HEARTH_LOGIN_LOCK_SECONDS", 60, minimum=1)
HEARTH_LOGIN_LOCK_MAX_SECONDS = env_int("HEARTH_LOGIN_LOCK_MAX_SECONDS", 60 * 60, minimum=1)
# A browser that signed in to an account is "known" to it for this long (a signed cookie):
# the account's lock does not apply to it (the address's does).
HEARTH_LOGIN_KNOWN_DEVICE_DAYS = env_int("HEARTH_LOGIN_KNOWN_DEVICE_DAYS", 90, minimum=1)
# Seekers keeping their account with a passphrase (support/passphrase.py): the suggestion's
# number of words, and the shortest passphrase accepted.
HEARTH_PASSPHRASE_WORDS = env_int("HEARTH_PASSPHRASE_WORDS", 5, minimum=4, maximum=10)
HEARTH_PASSPHRASE_MIN_LENGTH = env_int("HEARTH_PASSPHRASE_MIN_LENGTH", 12, minimum=10, maximum=128)
# The privacy notice's version (support/privacy.py): raise it whenever the notice's meaning
# changes, and every seeker sees the new one before their next chat.
HEARTH_PRIVACY_NOTICE_VERSION = env_int("HEARTH_PRIVACY_NOTICE_VERSION", 1, minimum=1, maximum=999_999_999)
HEARTH_PRIVACY_ACCEPTANCES_PER_IP = env_int("HEARTH_PRIVACY_ACCEPTANCES_PER_IP", 30, minimum=1)  # counted per hour
HEARTH_ANON_SESSIONS_PER_IP = env_int("HEARTH_ANON_SESSIONS_PER_IP", 30, minimum=1)  # per hour
HEARTH_ANON_SESSIONS_PER_DEVICE = env_int("HEARTH_ANON_SESSIONS_PER_DEVICE", 10, minimum=1)  # per hour
# JSON request bodies nested deeper than this are refused (400 json_too_deep).
HEARTH_JSON_MAX_DEPTH = env_int("HEARTH_JSON_MAX_DEPTH", 32, minimum=2)
HEARTH_UNDER_AGE_LOCK_SECONDS = env_int("HEARTH_UNDER_AGE_LOCK_SECONDS", 60 * 60 * 24, minimum=60)
HEARTH_SCHEDULER_IN_PROCESS = env_bool("HEARTH_SCHEDULER_IN_PROCESS", default=True)
HEARTH_SCHEDULER_INTERVAL = env_int("HEARTH_SCHEDULER_INTERVAL_MS", 1000, minimum=100) / 1000
HEARTH_WS_MAX_FRAME_BYTES = env_int("HEARTH_WS_MAX_FRAME_BYTES", 16 * 1024, minimum=1024)
HEARTH_WS_HEARTBEAT_SECONDS = env_int("HEARTH_WS_HEARTBEAT_SECONDS", 20, minimum=1)
# Connection floods (support/connection_limits.py): handshakes per minute and open sockets.
HEARTH_WS_HANDSHAKES_PER_IP = env_int("HEARTH_WS_HANDSHAKES_PER_IP", 300, minimum=1)
HEARTH_WS_HANDSHAKES_PER_USER = env_int("HEARTH_WS_HANDSHAKES_PER_USER", 60, minimum=1)
HEARTH_WS_SOCKETS_PER_IP = env_int("HEARTH_WS_SOCKETS_PER_IP", 300, minimum=1)
HEARTH_WS_SOCKETS_PER_USER = env_int("HEARTH_WS_SOCKETS_PER_USER", 20, minimum=1)
HEARTH_WS_CONCURRENCY_TTL_SECONDS = env_int("HEARTH_WS_CONCURRENCY_TTL_SECONDS", 600, minimum=60)
# Per socket, per HEARTH_WS_FRAME_WINDOW_SECONDS: typing frames, and transcript reads
# (conversation.sync, room.sync, room.history).
HEARTH_WS_TYPING_PER_SOCKET = env_int("HEARTH_WS_TYPING_PER_SOCKET", 20, minimum=1)
HEARTH_WS_SYNC_PER_SOCKET = env_int("HEARTH_WS_SYNC_PER_SOCKET", 20, minimum=1)
HEARTH_WS_FRAME_WINDOW_SECONDS = env_int("HEARTH_WS_FRAME_WINDOW_SECONDS", 10, minimum=1)
# The server refuses (close 1009) frames above this before the application sees them (support/serve.py).
HEARTH_WS_SERVER_MAX_BYTES = env_int("HEARTH_WS_SERVER_MAX_BYTES", 64 * 1024, minimum=2048)

CHAT_MAX_MESSAGE_CHARS = env_int("CHAT_MAX_MESSAGE_CHARS", 2000, minimum=100)
CHAT_RATE_MESSAGES = env_int("CHAT_RATE_MESSAGES", 15, minimum=1)  # per CHAT_RATE_WINDOW_SECONDS
CHAT_RATE_WINDOW_SECONDS = env_int("CHAT_RATE_WINDOW_SECONDS", 10, minimum=1)
CHAT_INACTIVITY_WARN_SECONDS = env_int("CHAT_INACTIVITY_WARN_SECONDS", 15 * 60, minimum=10)
CHAT_INACTIVITY_END_SECONDS = env_int("CHAT_INACTIVITY_END_SECONDS", 20 * 60, minimum=20)
CHAT_RESUME_BATCH = env_int("CHAT_RESUME_BATCH", 500, minimum=10)
# Per hour: requests for a listener per seeker and per client address.
CHAT_REQUESTS_PER_SEEKER = env_int("CHAT_REQUESTS_PER_SEEKER", 20, minimum=1)
CHAT_REQUESTS_PER_ADDRESS = env_int("CHAT_REQUESTS_PER_ADDRESS", 120, minimum=1)

MATCHING_OFFER_TIMEOUT_SECONDS = env_int("MATCHING_OFFER_TIMEOUT_SECONDS", 30, minimum=5)
MATCHING_AUTO_ASSIGN = env_bool("MATCHING_AUTO_ASSIGN", default=False)
MATCHING_LISTENER_GRACE_SECONDS = env_int("MATCHING_LISTENER_GRACE_SECONDS", 60, minimum=5)
MATCHING_SPECIFIC_LISTENER_WAIT_SECONDS = env_int("MATCHING_SPECIFIC_LISTENER_WAIT_SECONDS", 120, minimum=10)
MATCHING_MAX_NOTE_CHARS = env_int("MATCHING_MAX_NOTE_CHARS", 280, minimum=0)
MATCHING_WAIT_ESTIMATE_WINDOW_SECONDS = env_int("MATCHING_WAIT_ESTIMATE_WINDOW_SECONDS", 30 * 60, minimum=60)
# Fewer matches than this in the window (among listeners who could take the request): a range, not a number.
MATCHING_WAIT_ESTIMATE_MIN_MATCHES = env_int("MATCHING_WAIT_ESTIMATE_MIN_MATCHES", 5, minimum=1)
# After a decline or an expired offer the listener is left out of that request's offers this long.
MATCHING_REOFFER_COOLDOWN_SECONDS = env_int("MATCHING_REOFFER_COOLDOWN_SECONDS", 60, minimum=0)
# A waiting seeker with no open socket this long leaves the line (keeping their place) ...
MATCHING_SEEKER_AWAY_SECONDS = env_int("MATCHING_SEEKER_AWAY_SECONDS", 90, minimum=10)
# ... and their request ends (reason seeker_gone) when they have not come back this long after.
MATCHING_SEEKER_RETURN_SECONDS = env_int("MATCHING_SEEKER_RETURN_SECONDS", 15 * 60, minimum=60)

LISTENERS_MAX_SHIFT_SECONDS = env_int("LISTENERS_MAX_SHIFT_SECONDS", 4 * 60 * 60, minimum=60)
LISTENERS_DAILY_CHAT_CAP = env_int("LISTENERS_DAILY_CHAT_CAP", 12, minimum=1)
# The pause of new offers after a hard chat (one with a safety case) ends, for a debrief.
# LISTENERS_ESCALATION_COOLDOWN_SECONDS, its deprecated earlier name, still counts when this one is unset.
LISTENERS_HARD_CHAT_COOLDOWN_SECONDS = env_int(
    "LISTENERS_HARD_CHAT_COOLDOWN_SECONDS",
    env_int("LISTENERS_ESCALATION_COOLDOWN_SECONDS", 15 * 60, minimum=0),
    minimum=0,
)
LISTENERS_QUIZ_RETAKE_COOLDOWN_SECONDS = env_int("LISTENERS_QUIZ_RETAKE_COOLDOWN_SECONDS", 10 * 60, minimum=0)
LISTENERS_RATING_MIN_COUNT = env_int("LISTENERS_RATING_MIN_COUNT", 3, minimum=1)
# A listener reads new ratings in batches: at most one release per period, and only of this many or more.
LISTENERS_FEEDBACK_RELEASE_DAYS = env_int("LISTENERS_FEEDBACK_RELEASE_DAYS", 7, minimum=1)
LISTENERS_FEEDBACK_MIN_BATCH = env_int("LISTENERS_FEEDBACK_MIN_BATCH", 5, minimum=2)
LISTENERS_QUIZ_PASS_PERCENT = env_int("LISTENERS_QUIZ_PASS_PERCENT", 80, minimum=1, maximum=100)
# Questions asked per quiz attempt, drawn from the module's larger pool (listeners.training).
LISTENERS_QUIZ_QUESTIONS_PER_ATTEMPT = env_int("LISTENERS_QUIZ_QUESTIONS_PER_ATTEMPT", 5, minimum=1, maximum=50)
# Off: passing the core training activates a pending applicant. On: staff approval is still needed.
# A reviewer decides every application after training (an applicant declares age; nobody checks it).
LISTENERS_REQUIRE_STAFF_APPROVAL = env_bool("LISTENERS_REQUIRE_STAFF_APPROVAL", default=True)
LISTENERS_APPLY_RATE_PER_IP = env_int("LISTENERS_APPLY_RATE_PER_IP", 10, minimum=1)  # applications per hour
# Paging listeners off shift who opted in (listeners.paging): a topic's line calls for a page at this
# many waiting requests nobody on shift can take in a free seat, or once one has waited this many
# minutes (0: count only); each listener at most once per interval (an hour at least); the job
# looks every LISTENERS_PAGE_CHECK_SECONDS.
LISTENERS_PAGE_LINE_THRESHOLD = env_int("LISTENERS_PAGE_LINE_THRESHOLD", 3, minimum=1, maximum=1000)
LISTENERS_PAGE_WAIT_MINUTES = env_int("LISTENERS_PAGE_WAIT_MINUTES", 10, minimum=0, maximum=24 * 60)
LISTENERS_PAGE_MIN_INTERVAL_SECONDS = env_int(
    "LISTENERS_PAGE_MIN_INTERVAL_SECONDS", 60 * 60, minimum=60 * 60, maximum=7 * 24 * 60 * 60
)
LISTENERS_PAGE_CHECK_SECONDS = env_int("LISTENERS_PAGE_CHECK_SECONDS", 30, minimum=1, maximum=3600)

# The rules, then the learned model as a second opinion (docs/safety-rules.md, "The model");
# "safety.classifier.assess" screens with the rules alone.
SAFETY_ASSESSOR_BACKEND = env_str("SAFETY_ASSESSOR_BACKEND") or "safety.classifier.combined.assess"
# Compile every rule pattern in the start-up thread (seconds of one core, in the background) so no
# message pays for a first compile; 0 compiles each pattern on first use instead.
SAFETY_PRECOMPILE_PATTERNS = env_bool("SAFETY_PRECOMPILE_PATTERNS", default=True)
SAFETY_ALERT_EMAILS = env_list("SAFETY_ALERT_EMAILS")
# Where people reach this deployment (https://hearth.example.org): links in alert e-mails
# must be absolute to be clickable. Empty gives site-relative links.
HEARTH_PUBLIC_URL = env_public_url("HEARTH_PUBLIC_URL")
SAFETY_ALERT_RENOTIFY_SECONDS = env_int("SAFETY_ALERT_RENOTIFY_SECONDS", 120, minimum=10)
# An imminent item nobody has claimed for this long is shown overdue on the staff page (and re-sounded).
# SAFETY_UNCLAIMED_ESCALATE_SECONDS, its deprecated earlier name, still counts when this one is unset.
SAFETY_UNCLAIMED_OVERDUE_SECONDS = env_int(
    "SAFETY_UNCLAIMED_OVERDUE_SECONDS",
    env_int("SAFETY_UNCLAIMED_ESCALATE_SECONDS", 120, minimum=10),
    minimum=10,
)
SAFETY_RETENTION_DAYS = env_int("SAFETY_RETENTION_DAYS", 30, minimum=1, maximum=3650)
# Retention of everything else a person leaves behind (safety/retention.py, docs/privacy.md).
SAFETY_RETENTION_ROOM_MESSAGE_DAYS = env_int("SAFETY_RETENTION_ROOM_MESSAGE_DAYS", 30, minimum=1, maximum=3650)
SAFETY_RETENTION_EXCERPT_DAYS = env_int("SAFETY_RETENTION_EXCERPT_DAYS", 7, minimum=0, maximum=3650)
SAFETY_RETENTION_QUEUE_DAYS = env_int("SAFETY_RETENTION_QUEUE_DAYS", 7, minimum=1, maximum=3650)
SAFETY_RETENTION_ANONYMOUS_ACCOUNT_DAYS = env_int(
    "SAFETY_RETENTION_ANONYMOUS_ACCOUNT_DAYS", 60, minimum=1, maximum=3650
)
SAFETY_RETENTION_KEPT_ACCOUNT_DAYS = env_int("SAFETY_RETENTION_KEPT_ACCOUNT_DAYS", 365, minimum=1, maximum=3650)
SAFETY_RETENTION_PRESENCE_HOURS = env_int("SAFETY_RETENTION_PRESENCE_HOURS", 24, minimum=1, maximum=24 * 365)
SAFETY_RETENTION_AUDIT_DAYS = env_int("SAFETY_RETENTION_AUDIT_DAYS", 730, minimum=30, maximum=36500)
SAFETY_RETENTION_INTERVAL_SECONDS = env_int("SAFETY_RETENTION_INTERVAL_SECONDS", 3600, minimum=60, maximum=24 * 3600)
SAFETY_RETENTION_BATCH = env_int("SAFETY_RETENTION_BATCH", 500, minimum=1, maximum=10000)
SAFETY_ROOM_REPORT_HIDE_THRESHOLD = env_int("SAFETY_ROOM_REPORT_HIDE_THRESHOLD", 3, minimum=1)
# Only reports from members with some history count toward hiding a room message (rooms.services):
# an account at least this old, with at least this many visible room messages written.
SAFETY_ROOM_REPORT_MIN_ACCOUNT_MINUTES = env_int(
    "SAFETY_ROOM_REPORT_MIN_ACCOUNT_MINUTES", 24 * 60, minimum=0, maximum=365 * 24 * 60
)
SAFETY_ROOM_REPORT_MIN_MESSAGES = env_int("SAFETY_ROOM_REPORT_MIN_MESSAGES", 3, minimum=0, maximum=10000)
SAFETY_DEFAULT_COUNTRY = env_str("SAFETY_DEFAULT_COUNTRY") or "US"
SAFETY_REPORTS_PER_HOUR = env_int("SAFETY_REPORTS_PER_HOUR", 10, minimum=1)  # new reports per reporter
SAFETY_WARNING_DAYS = env_int("SAFETY_WARNING_DAYS", 90, minimum=1)  # a warning counts for this long
SAFETY_MUTE_MAX_MINUTES = env_int("SAFETY_MUTE_MAX_MINUTES", 7 * 24 * 60, minimum=1)
SAFETY_DEVICE_COOKIE_AGE = env_int("SAFETY_DEVICE_COOKIE_AGE", 2 * 365 * 24 * 60 * 60, minimum=3600)

# The service dashboard hides any count (and any figure computed from a count) below this (metrics/selectors.py).
METRICS_MIN_COUNT = env_int("METRICS_MIN_COUNT", 5, minimum=1)

ROOMS_PRESENCE_STALE_SECONDS = env_int(
    "ROOMS_PRESENCE_STALE_SECONDS", 60, minimum=5
)  # no heartbeat for this long = gone
ROOMS_JOIN_HISTORY = env_int("ROOMS_JOIN_HISTORY", 50, minimum=1)  # messages sent on join
ROOMS_HISTORY_PAGE_MAX = env_int("ROOMS_HISTORY_PAGE_MAX", 100, minimum=10)
ROOMS_MAX_MUTE_SECONDS = env_int("ROOMS_MAX_MUTE_SECONDS", 24 * 60 * 60, minimum=60)
ROOMS_MAX_SLOW_MODE_SECONDS = env_int("ROOMS_MAX_SLOW_MODE_SECONDS", 10 * 60, minimum=10)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
    },
}

# Periodic jobs run by support.scheduler (see docs/architecture.md).
HEARTH_SCHEDULED_JOBS = [
    "listeners.jobs.presence_sweep",
    "listeners.jobs.feedback_release",
    "listeners.jobs.line_paging",
    "chat.jobs.offers_expire",
    "chat.jobs.requests_presence_sweep",
    "chat.jobs.requests_dispatch_job",
    "chat.jobs.conversations_inactivity",
    "safety.jobs.alerts_renotify",
    "safety.jobs.sanctions_expire",
    "rooms.jobs.room_presence_sweep",
    "safety.jobs.retention",
]
