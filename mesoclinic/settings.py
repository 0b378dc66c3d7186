"""mesoclinic settings, driven by the environment.

Defaults give a working single-machine install: SQLite under ``var/``, email to files
under ``var/mail``. Production sets ``DATABASE_URL``, ``SECRET_KEY``, ``ALLOWED_HOSTS``.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
# Everything mesoclinic writes (the database, backups, photos, keys, checkpoints, the
# cache) is readable by its owner only.
os.umask(0o077)
VAR_DIR = Path(os.environ.get("MESOCLINIC_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _key(variable: str, file_name: str) -> str:
    # A key generated on first start and kept outside the repository (and outside the
    # database), readable by its owner only, so that a fresh clone runs without anyone
    # committing a secret.
    if key := os.environ.get(variable):
        return key
    key_file = VAR_DIR / file_name
    if not key_file.exists():
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _key("SECRET_KEY", "secret_key")
# The audit chain's HMAC key: whoever holds the database but not this key cannot recompute
# the chain. Keep it apart from database backups (AUDIT_KEY in the environment, or the file).
AUDIT_KEY = _key("AUDIT_KEY", "audit_key")
# Signed checkpoints of each chain's head, appended outside the database; point it at
# storage the database's administrators cannot rewrite (another host, an append-only mount).
AUDIT_CHECKPOINT_MINUTES = int(os.environ.get("AUDIT_CHECKPOINT_MINUTES", "5"))
# How often a process seals the audit events written since the last seal, after one of its
# requests commits. Served with `manage.py audit_sealer` beside it (scripts/serve.sh), the
# web processes only stand in for a sealer that has stopped: once a minute.
AUDIT_SEAL_EVERY_SECONDS = float(os.environ.get("AUDIT_SEAL_EVERY_SECONDS", "1"))
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "mesoclinic.core",
    "mesoclinic.catalog",
    "mesoclinic.patients",
    "mesoclinic.inventory",
    "mesoclinic.consultation",
    "mesoclinic.safety",
    "mesoclinic.courses",
    "mesoclinic.aftercare",
    "mesoclinic.outcomes",
    "mesoclinic.billing",
    "mesoclinic.booking",
    "mesoclinic.demo",
    "mesoclinic.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "mesoclinic.core.middleware.ContentSecurityPolicyMiddleware",
    # The PagesOnly* entries are Django's (and WhiteNoise's, django-otp's, django-htmx's)
    # own middleware, skipped for /api/, which authenticates by bearer token.
    "mesoclinic.core.middleware.PagesOnlyStaticFiles",
    # After WhiteNoise, which answers static files itself: they may be cached.
    "mesoclinic.core.middleware.NoStoreMiddleware",
    "mesoclinic.core.middleware.PagesOnlySessions",
    "django.middleware.locale.LocaleMiddleware",
    "mesoclinic.core.middleware.PagesOnlyCommon",
    # Kept for API requests too: the deploy checks look for them, and ninja's views are
    # exempt from CSRF anyway unless they authenticate by cookie.
    "django.middleware.csrf.CsrfViewMiddleware",
    "mesoclinic.core.middleware.PagesOnlyAuthentication",
    "mesoclinic.core.middleware.PagesOnlyOtp",
    "mesoclinic.core.middleware.PagesOnlyMessages",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "mesoclinic.core.middleware.PagesOnlyHtmx",
    "mesoclinic.core.middleware.ClinicContextMiddleware",
    "mesoclinic.core.middleware.RateLimitMiddleware",
    "mesoclinic.core.middleware.OutOfRangeIdMiddleware",
    # Last, as django-axes asks, so that it sees the outcome of every login attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mesoclinic.urls"
WSGI_APPLICATION = "mesoclinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "mesoclinic" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mesoclinic.core.context_processors.clinic_context",
            ],
            "builtins": ["mesoclinic.core.templatetags.moments"],
        },
    },
]

# Databases ---------------------------------------------------------------------------
SQLITE_PATH = Path(os.environ.get("SQLITE_PATH", VAR_DIR / "mesoclinic.sqlite3"))
if os.environ.get("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"], conn_max_age=60, conn_health_checks=True
        )
    }
else:
    DATABASES = {
        "default": {
            # Django's SQLite, with its writers queued on a lock file (core/sqlite/base.py).
            "ENGINE": "mesoclinic.core.sqlite",
            "NAME": SQLITE_PATH,
            # Kept open between requests: opening one costs its PRAGMAs, and closing the
            # last one checkpoints the write-ahead log.
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # IMMEDIATE takes the write lock when a transaction starts, so two writers
                # queue on busy_timeout instead of failing with "database is locked"
                # when a reader upgrades to a writer.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=FULL;"
                    "PRAGMA foreign_keys=ON;"
                ),
            },
            # A file, not shared memory: concurrent writers then lock as in production.
            "TEST": {"NAME": os.environ.get("SQLITE_TEST_PATH")
                     or str(VAR_DIR / "test.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# One checkpoint file a database (they describe that database's chains).
_database_name = Path(str(DATABASES["default"]["NAME"])).stem
AUDIT_CHECKPOINT_FILE = Path(os.environ.get(
    "AUDIT_CHECKPOINT_FILE", VAR_DIR / f"audit-checkpoints-{_database_name}.jsonl"))

# Authentication ----------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"

AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
# Locked by account and address, and by account alone: failures spread over many
# addresses lock the account too.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "mesoclinic.core.views.lockout_response"
AXES_USERNAME_CALLABLE = "mesoclinic.core.views.axes_username"

# Owners must use a second factor. The demo owner has one too; see the README.
MESOCLINIC_OWNERS_REQUIRE_OTP = env_bool("MESOCLINIC_OWNERS_REQUIRE_OTP", True)
OTP_TOTP_ISSUER = "mesoclinic"

# Staff sessions end after 30 minutes without a request.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# PRODUCTION=1 behind HTTPS: secure cookies, HSTS, redirects to HTTPS (`manage.py check
# --deploy` is clean then; a test holds it so).
PRODUCTION = env_bool("PRODUCTION", False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if PRODUCTION:
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    if env_bool("BEHIND_PROXY", False):  # the proxy says which requests came over HTTPS
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

API_TOKEN_LIFETIME = timedelta(hours=8)
# A token unused this long stops working, whatever its lifetime.
API_TOKEN_IDLE = timedelta(minutes=int(os.environ.get("API_TOKEN_IDLE_MINUTES", "30")))

# Requests per address on the public and token endpoints: (method, path pattern, requests,
# window in seconds, scope). Counted in the cache below, which gunicorn's workers share.
RATE_LIMITS_ENABLED = env_bool("RATE_LIMITS", True)
RATE_LIMITS = [
    ("GET", r"^/find/", 120, 60, "search"),
    ("GET", r"^/api/v1/public/(search|clinics/[^/]+/slots)", 120, 60, "search"),
    ("POST", r"^/clinics/[^/]+/book/", 20, 60, "booking"),
    ("POST", r"^/api/v1/public/", 20, 60, "booking"),
    (None, r"^/(p|booking|c)/[^/]+/", 60, 60, "link"),
    ("POST", r"^/(api/v1/auth/token|login/)", 20, 60, "login"),
    ("POST", r"^/me/sign-in/", 10, 60, "sign-in"),
]

# The patient's own space: a sign-in link lasts a quarter of an hour and is used once; an
# address gets at most three in a quarter of an hour; a session idle this long ends.
PORTAL_LINK_MAX_AGE = timedelta(minutes=15)
PORTAL_LINK_WINDOW = timedelta(minutes=15)
PORTAL_LINKS_PER_ADDRESS = 3
# A freed time is offered to this many waiting patients at once, and held for them this
# long; the first to take it gets it.
WAITLIST_OFFERS_PER_TIME = 3
WAITLIST_HOLD = timedelta(hours=2)
PORTAL_IDLE = timedelta(minutes=int(os.environ.get("PORTAL_IDLE_MINUTES", "15")))
CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                      "LOCATION": os.environ.get("CACHE_DIR", str(VAR_DIR / "cache"))}}

# Internationalisation ------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "mesoclinic" / "locale"]
# The switch's choice, kept a year in the browser (staff keep theirs on their account).
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# Static files --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "mesoclinic" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

# Clinical photographs live outside the web root and are served only through access checks.
FILE_UPLOAD_PERMISSIONS = 0o600  # stored photos: their owner's alone, like the rest
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
PHOTO_ROOT = Path(os.environ.get("PHOTO_ROOT", VAR_DIR / "photos"))
# Patients' data archives, outside the web root like the photos.
EXPORT_ROOT = Path(os.environ.get("EXPORT_ROOT", VAR_DIR / "exports"))
PHOTO_MAX_BYTES = 15 * 1024 * 1024
PHOTO_MAX_PIXELS = 50_000_000
INTAKE_LINK_MAX_AGE = timedelta(days=7)

# Background work: reminders, check-ins, photo analysis. `manage.py db_worker` runs them.
TASKS = {"default": {"BACKEND": os.environ.get("TASKS_BACKEND",
                                               "django_tasks_db.DatabaseBackend")}}
CHECKIN_LINK_MAX_AGE = timedelta(days=120)
# Where the links in emails point: the address patients reach the clinic's mesoclinic at.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# Email ---------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "mesoclinic <no-reply@localhost>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # 4xx answers (a taken slot, a refused booking) are expected; server errors are not.
    "loggers": {"django.request": {"level": "ERROR"}},
}
