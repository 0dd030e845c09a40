"""The one settings module. Every value comes from the environment (docs/operations.md).

A development checkout also has `.env` (written once by `make run`/`make venv`/`make test`: a
generated SECRET_KEY, DEBUG=true), read first; variables already in the environment win over it.
A deployment has no `.env`, so the same code reads only its real environment.
"""

from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from velocify_sms.env import (
    cache_from_url,
    env_bool,
    env_choice,
    env_file_load,
    env_file_path,
    env_int,
    env_int_or_none,
    env_list,
    env_rate,
    env_str,
    env_time,
)

BASE_DIR = Path(__file__).resolve().parent.parent
env_file_load(env_file_path(BASE_DIR))

DEBUG = env_bool("DEBUG", False)

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY or SECRET_KEY == _DEV_SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is missing or is the development default while DEBUG is off. "
            "Set SECRET_KEY to a long random value (or DEBUG=true for development)."
        )
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # django.contrib.admin, with velocify_sms.admin_site.VelocifyAdminSite as admin.site.
    "velocify_sms.apps.VelocifyAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "apitokens",
    "leads",
    "optouts",
    "preferences",
    "velocify_sms.processes",
    "csp",
]

# The policy header goes on every response, in development too, so pages break in tests the
# same way they would in production. The 503 handler sits outside the views it guards.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # An address with a NUL character is a 400 before any view (PostgreSQL refuses NUL in text).
    "velocify_sms.request_guard.NulInAddressMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication: each user's pages in the zone they picked (My preferences).
    "preferences.middleware.UserTimeZoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "velocify_sms.throttling.ApiFailedAuthThrottleMiddleware",
    "velocify_sms.middleware.LoginThrottleMiddleware",
    "velocify_sms.middleware.DatabaseUnavailableMiddleware",
    # With DEBUG on (make run), a 404 is still the product's page, not Django's technical one.
    "velocify_sms.error_pages.DebugNotFoundMiddleware",
]

ROOT_URLCONF = "velocify_sms.urls"

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

WSGI_APPLICATION = "velocify_sms.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Kept for 60 s, not opened per request: a new PostgreSQL connection (a forked backend,
        # authentication, session set-up) cost more than the whole of a simple API request
        # under load (docs/benchmarks.md, REST API). 0 opens one per request.
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        # A restarted database leaves dead pooled connections; check them at each request's start.
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process and the task worker share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )

CACHES = {"default": cache_from_url(env_str("CACHE_URL"))}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
# Dates and times Django renders itself follow velocify_sms.dates (velocify_sms/formats/en/).
FORMAT_MODULE_PATH = ["velocify_sms.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "var" / "media")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "admin:login"

# --- Branding and error pages ---------------------------------------------------------
# The name in every page's header and browser tab (velocify_sms/admin_site.py); blank = default.
SITE_HEADER = env_str("SITE_HEADER").strip() or "Velocify SMS"
# A refused CSRF check gets the admin-styled 403 page (JSON under /api/ and /webhooks/).
CSRF_FAILURE_VIEW = "velocify_sms.error_pages.csrf_failure"

# --- SMS consent ----------------------------------------------------------------------
SMS_DEFAULT_REGION = env_str("SMS_DEFAULT_REGION", "US").upper()
SMS_BACKEND = env_choice("SMS_BACKEND", "local", {"local", "twilio"})
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER")
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID")
SMS_WEBHOOK_BASE_URL = env_str("SMS_WEBHOOK_BASE_URL")

# --- Background tasks ----------------------------------------------------------------------
TASKS_BACKEND = env_choice("TASKS_BACKEND", "database", {"database", "rq", "immediate"})
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND]}}

# --- Background processes (velocify_sms.processes, docs/operations.md) -------------------
# The task worker (sms_worker) and the scheduler (sms_scheduler) write a heartbeat to the
# database this often; /readyz says 503 once the newest of a kind is older than the threshold
# (0: not checked). A long task does not stop the beats (they come from a thread).
PROCESS_HEARTBEAT_SECONDS = env_int("PROCESS_HEARTBEAT_SECONDS", 10, minimum=1)
# Under twice the beat, one late beat would fail /readyz: `check` refuses it (velocify_sms.E002).
PROCESS_HEARTBEAT_STALE_SECONDS = env_int("PROCESS_HEARTBEAT_STALE_SECONDS", 60, minimum=0)
# The longest wait of sms_worker between two attempts to reach a lost database.
WORKER_RETRY_MAX_SECONDS = env_int("WORKER_RETRY_MAX_SECONDS", 60, minimum=1)
# The periodic jobs of sms_scheduler: a management command each and the seconds between two
# starts (0: off), counted from the last start recorded in the database, so a restart of the
# scheduler does not run a daily job again. A job whose command is not installed is skipped.
SCHEDULER_JOBS = {
    "revocation-deadlines": {
        "command": ["sms_revocation_deadlines"],
        "every": env_int("SCHEDULE_REVOCATION_DEADLINES_SECONDS", 60, minimum=0),
    },
    "stale-imports": {
        "command": ["import_leads", "--resume-stale"],
        "every": env_int("SCHEDULE_STALE_IMPORTS_SECONDS", 60, minimum=0),
    },
    "evidence-anchor": {
        "command": ["sms_evidence_anchor"],
        "every": env_int("SCHEDULE_EVIDENCE_ANCHOR_SECONDS", 3600, minimum=0),
    },
    "inbox-digest": {
        "command": ["sms_inbox_digest"],
        "every": env_int("SCHEDULE_INBOX_DIGEST_SECONDS", 86400, minimum=0),
    },
    "lead-listed": {
        "command": ["lead_listed_rebuild"],
        "every": env_int("SCHEDULE_LEAD_LISTED_SECONDS", 3600, minimum=0),
    },
}

# --- Email: the admins' daily digest of possible opt-outs (optouts.messaging.inbox) --------------
# The console backend prints mail (development and `make run`); production sets SMTP or another.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "velocify-sms@localhost")

# --- REST API -------------------------------------------------------------------------
# One error format for every DRF view ({"code", "detail"[, "errors"]}), shared pagination, and
# per-user throttling counted in CACHES["default"] (Redis when CACHE_URL is set, so all web
# processes share the counters).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apitokens.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "velocify_sms.api_errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "velocify_sms.api_limits.PagePagination",
    "DEFAULT_THROTTLE_CLASSES": ["velocify_sms.api_limits.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env_rate("API_THROTTLE_USER", "1000/min")},
}
# JSON only, read through the checks of velocify_sms/parsers.py (huge exponents, lone surrogates,
# NUL, deep nesting -> 400 naming the field); views taking files name their own parsers.
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = ["velocify_sms.parsers.JSONParser"]
# JSON answers only: DRF's browsable HTML renderer is off (docs/decisions.md); /api/docs/ is the
# API's page for people. A client that accepts no JSON gets 406 `not_acceptable`.
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["rest_framework.renderers.JSONRenderer"]
# Seconds a token's user and permissions stay in the cache (apitokens/authentication.py): every
# change to tokens, users, groups or permissions made through Django invalidates them at once,
# this bounds anything else (raw SQL). Only with a shared cache (Redis) by default: with local
# memory another process would not see the invalidation. 0: looked up on every request.
API_AUTH_CACHE_SECONDS = env_int(
    "API_AUTH_CACHE_SECONDS",
    60 if CACHES["default"]["BACKEND"].endswith("RedisCache") else 0,
    minimum=0,
)
# Requests with refused or no credentials, per client address, counted by
# velocify_sms.throttling.ApiFailedAuthThrottleMiddleware (DRF's throttles run after
# authentication, so they never see a bad token).
API_THROTTLE_ANON = env_rate("API_THROTTLE_ANON", "60/min")
# Proxies in front of the app that append to X-Forwarded-For (0: trust REMOTE_ADDR only). The
# client address of every throttle and lockout is the entry the outermost one appended.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT
SPECTACULAR_SETTINGS = {
    "TITLE": "velocify-sms API",
    "DESCRIPTION": "SMS consent per phone number: opt-out list, opt-in, leads.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "ENUM_NAME_OVERRIDES": {
        "SourceEnum": "optouts.models.Source",
        "ChannelEnum": "optouts.models.Channel",
        "ConsentActionEnum": "optouts.models.EventAction",
        "CarrierReasonEnum": "optouts.models.CarrierReason",
        "CallsReasonEnum": "optouts.call_consent.CALL_REASON_CHOICES",
        "LeadStatusEnum": "leads.models.LeadStatus",
        "PhoneKindEnum": "leads.models.PhoneKind",
    },
}

# --- Lead import ----------------------------------------------------------------------
# The limits of a lead import, the same for the admin, the API and import_leads; each key is
# read from the environment variable IMPORT_<key> (docs/operations.md).
LEAD_IMPORT = {
    # Largest file an admin, API client or the import_leads command may import, in megabytes.
    "MAX_UPLOAD_MB": env_int("IMPORT_MAX_UPLOAD_MB", 50, minimum=1),
    # Rows committed per transaction (with the job's progress). Each commit waits for its WAL
    # flush (about 20-30 ms on the benchmark machine), so bigger is faster (5000: about 10% over
    # 2000); smaller resumes finer and holds the batch's row and number locks for less (5000:
    # about 0.5 s).
    "BATCH_SIZE": env_int("IMPORT_BATCH_SIZE", 5000, minimum=1),
    # The preview in the admin and the API's dry run stop after this many seconds and say how
    # many rows they checked, so they answer well inside the web server's request timeout.
    "PREVIEW_SECONDS": env_int("IMPORT_PREVIEW_SECONDS", 20, minimum=1),
    # A running import with no committed batch for this long is offered for resume (dead worker).
    "STALE_SECONDS": env_int("IMPORT_STALE_SECONDS", 300, minimum=10),
    # Reading limits, checked by the readers. An XLSX file is a zip: its directory is checked
    # before any part is unpacked. Sum of the unpacked sizes of all parts of a workbook, in MB.
    "MAX_UNCOMPRESSED_MB": env_int("IMPORT_MAX_UNCOMPRESSED_MB", 200, minimum=1),
    # Largest unpacked/packed ratio of any part over 1 MiB (real sheets: 5-20; zip bombs: ~1000).
    "MAX_COMPRESSION_RATIO": env_int("IMPORT_MAX_COMPRESSION_RATIO", 100, minimum=2),
    # Parts in one workbook (a real one has 10-50).
    "MAX_XLSX_PARTS": env_int("IMPORT_MAX_XLSX_PARTS", 1000, minimum=10),
    # Each part loaded whole (shared strings, styles, workbook, manifest; sheets are streamed):
    # the shared strings cost about 1 s and 7 MB of memory per unpacked MB.
    "MAX_XLSX_PART_MB": env_int("IMPORT_MAX_XLSX_PART_MB", 20, minimum=1),
    # Rows read (header and empty rows included), whatever the file declares.
    "MAX_ROWS": env_int("IMPORT_MAX_ROWS", 1_000_000, minimum=2),
    # Columns of the header row; cells right of the header are never read.
    "MAX_COLUMNS": env_int("IMPORT_MAX_COLUMNS", 200, minimum=1),
    # A run of this many empty rows stops the reading with an error (a gap, or a sheet formatted
    # far below its data), so no stretch of rows goes unnoticed or unbounded.
    "MAX_EMPTY_ROWS": env_int("IMPORT_MAX_EMPTY_ROWS", 10_000, minimum=1),
}
# The opt-out list upload (report, "Import numbers"): one number per line, read whole.
OPTOUT_LIST_MAX_UPLOAD_MB = env_int("OPTOUT_LIST_MAX_UPLOAD_MB", 5, minimum=1)
OPTOUT_LIST_MAX_LINES = env_int("OPTOUT_LIST_MAX_LINES", 100_000, minimum=1)

# --- SMS channel ----------------------------------------------------------------------
# Extra keywords, added to the built-in lists in optouts/messaging/keywords.py (never replacing).
SMS_STOP_KEYWORDS = env_list("SMS_STOP_KEYWORDS")
SMS_START_KEYWORDS = env_list("SMS_START_KEYWORDS")
SMS_HELP_KEYWORDS = env_list("SMS_HELP_KEYWORDS")
# True when the provider (e.g. Twilio Advanced Opt-Out) already answers STOP/START/HELP itself,
# so the webhook answers with an empty TwiML response instead of a second confirmation.
SMS_PROVIDER_REPLIES_TO_KEYWORDS = env_bool("SMS_PROVIDER_REPLIES_TO_KEYWORDS", False)
# The sender's name in the keyword confirmations (carriers require it): `{brand}` in the texts
# below; a text without it gets "<brand>: " in front.
SMS_BRAND_NAME = env_str("SMS_BRAND_NAME").strip() or SITE_HEADER
SMS_STOP_REPLY = env_str(
    "SMS_STOP_REPLY",
    "{brand}: You are unsubscribed and will get no more texts. Reply START to opt back in.",
)
SMS_START_REPLY = env_str(
    "SMS_START_REPLY", "{brand}: You are subscribed to texts again. Reply STOP to opt out."
)
# Where a contact who texts HELP can reach a person (CTIA: the help answer names the sender, a
# help contact and how to stop): a phone number, an e-mail address or a web page.
SMS_HELP_CONTACT = env_str("SMS_HELP_CONTACT", "your loan officer").strip() or "your loan officer"
SMS_HELP_REPLY = env_str(
    "SMS_HELP_REPLY",
    "{brand}: For help, contact {help_contact}. Reply STOP to unsubscribe, START to "
    "resubscribe. Msg & data rates may apply.",
)
# Provider error codes that put the number on the list with source system (channel carrier);
# the reason each is recorded with is in optouts/messaging/carrier_codes.py.
SMS_SYSTEM_OPT_OUT_ERROR_CODES = env_list(
    "SMS_SYSTEM_OPT_OUT_ERROR_CODES", ["21610", "30005", "30006"]
)
# Revoke-all (47 C.F.R. § 64.1200(a)(10), from 31 January 2027): a contact's revocation covers
# autodialed and prerecorded calls too (`all`, the look-up's autodialed_calls_allowed). `sms`
# answers for SMS only; `check --deploy` warns about it from that date (optouts.checks).
CONSENT_REVOCATION_SCOPE = env_choice("CONSENT_REVOCATION_SCOPE", "all", {"all", "sms"})
# "Unreachable" codes (30003: handset off or out of coverage, usually temporary) are not consent
# decisions: each counts as a failure, and SMS_UNREACHABLE_FAILURES of them within
# SMS_UNREACHABLE_DAYS days hold the number (no texts, off the opt-out list) until it texts us,
# an admin lifts the hold, or a retry SMS_UNREACHABLE_RETRY_DAYS later is delivered.
SMS_UNREACHABLE_ERROR_CODES = env_list("SMS_UNREACHABLE_ERROR_CODES", ["30003"])
SMS_UNREACHABLE_FAILURES = env_int("SMS_UNREACHABLE_FAILURES", 3, minimum=1)
SMS_UNREACHABLE_DAYS = env_int("SMS_UNREACHABLE_DAYS", 7, minimum=1)
SMS_UNREACHABLE_RETRY_DAYS = env_int("SMS_UNREACHABLE_RETRY_DAYS", 30, minimum=1)
# Base URL of the Twilio REST API; only set it to point at a test double.
TWILIO_API_BASE_URL = env_str("TWILIO_API_BASE_URL")
TWILIO_HTTP_TIMEOUT = env_int("TWILIO_HTTP_TIMEOUT", 10, minimum=1)

# --- Send policy: quiet hours and frequency caps, docs/compliance.md -----------------
# The rules table (optouts/messaging/policy_rules.py) is the one source of the federal and state
# windows and caps; these settings may only narrow them, and `check` refuses one that would not
# (optouts/messaging/checks.py). Each key is read from the environment variable SMS_<key>.
SMS_SEND_POLICY = {
    # A window for every number, in the recipient's local time, on top of the table's rows;
    # None (unset): the federal window of the table.
    "SEND_WINDOW_START": env_time("SMS_SEND_WINDOW_START"),
    "SEND_WINDOW_END": env_time("SMS_SEND_WINDOW_END"),
    # hold: a send outside the window waits (status held) and the task worker sends it at the
    # next allowed minute; refuse: it is refused (409 quiet_hours). Holding needs a task backend
    # that can defer (database, rq); with the immediate backend a send outside it is refused.
    "QUIET_HOURS_ACTION": env_choice("SMS_QUIET_HOURS_ACTION", "hold", {"hold", "refuse"}),
    # At most this many messages to one number in 24 hours, for every number (0: no cap beyond
    # the state rows). It can only add a cap or lower one: a state's lower cap still applies.
    "FREQUENCY_CAP": env_int("SMS_FREQUENCY_CAP", 0, minimum=0),
}
# A text that may revoke consent (a stop word among other words) waits in the possible-opt-out
# inbox for a person; undecided by the end of this many business days after receipt (weekends and
# US federal holidays do not count; days end at midnight in TIME_ZONE), the worker applies it as
# the contact's opt-out (optouts.messaging.deadlines). None (unset): the FCC's 10 business days
# (47 CFR 64.1200(a)(10)); a setting may shorten it, never lengthen it (`check` refuses that).
SMS_REVOCATION_DEADLINE_BUSINESS_DAYS = env_int_or_none(
    "SMS_REVOCATION_DEADLINE_BUSINESS_DAYS", minimum=1
)

# --- Evidence anchors (docs/compliance.md, "Anchors") ------------------------------------
# The Ed25519 key that signs anchors: 64 hex digits here, or a file (PEM or hex) named by the
# _FILE variable. Never stored in the database. With DEBUG off a missing key stops the app
# (optouts/evidence/checks.py); `make venv` writes a development key into .env.
SMS_EVIDENCE_SIGNING_KEY = env_str("SMS_EVIDENCE_SIGNING_KEY").strip()
SMS_EVIDENCE_SIGNING_KEY_FILE = env_str("SMS_EVIDENCE_SIGNING_KEY_FILE").strip()
# Public keys (hex or PEM files) of earlier signing keys, still trusted for older anchors.
SMS_EVIDENCE_TRUSTED_PUBLIC_KEYS = env_list("SMS_EVIDENCE_TRUSTED_PUBLIC_KEYS")
# Where anchors are written: a storage alias of STORAGES (e.g. S3 with Object Lock through
# django-storages, docs/operations.md), else this directory.
SMS_EVIDENCE_ANCHOR_STORAGE = env_str("SMS_EVIDENCE_ANCHOR_STORAGE").strip()
SMS_EVIDENCE_ANCHOR_DIR = Path(env_str("SMS_EVIDENCE_ANCHOR_DIR") or BASE_DIR / "var" / "anchors")
# Migrations run as this role (the tables' owner) when set; the app runs as DATABASE_URL's role,
# which then neither owns the tables nor may rewrite the consent history (docs/operations.md).
DATABASE_OWNER_URL = env_str("DATABASE_OWNER_URL")

# --- Production shape -----------------------------------------------------------------
# Every value below is an environment variable (docs/operations.md). The defaults are the safe
# production values when DEBUG is off; development (DEBUG=true) only relaxes what needs HTTPS.

# HTTPS: redirect, HSTS, cookies only over TLS. Behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER=true so Django trusts its X-Forwarded-Proto header.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# No page script reads the CSRF cookie: forms carry the token, Swagger UI gets it in its config.
CSRF_COOKIE_HTTPONLY = env_bool("CSRF_COOKIE_HTTPONLY", True)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content Security Policy (django-csp 4): scripts and styles only from our own static files, or
# inline blocks carrying the per-request nonce (the API docs page). No 'unsafe-inline' anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],  # Swagger UI's icons are data: SVGs
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if env_bool("CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = CONTENT_SECURITY_POLICY
    CONTENT_SECURITY_POLICY = None

# Static files: hashed, compressed names served by WhiteNoise (needs `collectstatic`, which
# `make serve` runs). Off with DEBUG so tests and `make run` work without collectstatic.
if env_bool("STATIC_MANIFEST", not DEBUG):
    STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}

# Login throttling (velocify_sms/middleware.py): failed admin logins counted in the shared
# cache per account (the user the typed name resolves to) and per client address; past either
# limit the login answers 429 until the window ends.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_FAILURE_IP_LIMIT = env_int("LOGIN_FAILURE_IP_LIMIT", 50, minimum=1)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 900, minimum=1)

# RQ (TASKS_BACKEND=rq): django-rq's queue on Redis; the worker is `manage.py rqworker`.
RQ_REDIS_URL = env_str("RQ_REDIS_URL") or (
    env_str("CACHE_URL") if env_str("CACHE_URL").startswith("redis") else "redis://127.0.0.1:6379/0"
)
RQ_QUEUES = {"default": {"URL": RQ_REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
if TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq"]
    TASKS["default"]["QUEUES"] = ["default"]

# --- Logging ----------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
