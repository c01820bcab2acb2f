"""Settings, read from the environment through django-environ.

SQLite is the embedded default so a newcomer can run `make demo` with nothing else; a bureau sets
DATABASE_URL to PostgreSQL. Strict parsing: a malformed value stops start-up instead of being
guessed at. Every variable is listed in .env.example.
"""

import sys
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.is_file():
    environ.Env.read_env(env_file)

TESTING = "pytest" in sys.modules or (len(sys.argv) > 1 and sys.argv[1] == "test")
DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
SECRET_KEY_MISSING = not SECRET_KEY
if SECRET_KEY_MISSING:
    # Enough to import settings for tests and one-off commands (makemigrations, migrate, check).
    # Serving never runs on it: config/wsgi.py refuses to start and `check --deploy` reports it.
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105

# Personal data encrypted at rest (core/crypto.py: SM4 with HMAC-SM3). FIELD_ENCRYPTION_KEYS is
# "id:base64,…" of 32-byte keys, the first encrypting and all decrypting (rotation: README);
# FIELD_HASH_KEY keys the hashes that find duplicate placements. Unset, DEBUG and tests use a fixed
# development key; anything else refuses to encrypt or decrypt, config/wsgi.py refuses to serve
# and `check --deploy` reports core.E010. Losing them loses the data.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
FIELD_HASH_KEY = env.str("FIELD_HASH_KEY", default="")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG or TESTING else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "config.apps.BureauAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Login failure handling (core/login_lock.py) and the second factor: TOTP and recovery codes (core/two_factor.py).
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    # Connects the lock's and the session clock's receivers, hides django-otp's admin pages.
    "core.account_security.AccountSecurityConfig",
    "stations",
    "assessment",
    "subsidies",
    "portal",
    "desk",
]

MIDDLEWARE = [
    # First: a load balancer's probe of /health/ by address over plain HTTP is answered before host
    # validation and the HTTPS redirect (core/health.py says why that is safe).
    "core.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files from the app itself, so `make serve` and a server without nginx in front serve
    # them too; nginx serves the same files from STATIC_ROOT when it is there (deploy/nginx/).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy on every page and no-store on personal data and files (core/headers.py);
    # after WhiteNoise, so static files keep their long caching.
    "core.headers.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A request body over its view's limit is refused before the CSRF check reads it (core/upload_limits.py).
    "core.upload_limits.UploadLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Which second factor verified this session (request.user.is_verified()).
    "django_otp.middleware.OTPMiddleware",
    # Idle and absolute session timeouts, then the second factor before any page (core/sessions.py, core/two_factor.py).
    "core.sessions.SessionTimeoutMiddleware",
    "core.two_factor.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused by the lock into the login page with the lock's message.
    "axes.middleware.AxesMiddleware",
]

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
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # A database host that does not answer fails a request (and /health/) in seconds, not minutes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )

# A job reports its progress on a connection of its own, so a job inside one long transaction
# (computing a province's results) is still seen to move (core.jobs.Progress). SQLite has one
# writer at a time, and a test's rows live in its own transaction: there, progress shares "default".
if DATABASES["default"]["ENGINE"].endswith("postgresql") and not TESTING:
    DATABASES["progress"] = {**DATABASES["default"]}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "stations.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "core.passwords.ChineseMinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    # 等保 2.0: at least three of upper case, lower case, digits and symbols.
    {"NAME": "core.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Hashing dominates a suite that logs in every role many times.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# ---- Login, second factor and sessions (等保 2.0).
# The lock (django-axes, core/login_lock.py): LOGIN_LOCK_FAILURES failures within the lock's time
# lock the account, and as many from one address lock the address, whichever comes first; the lock
# lasts LOGIN_LOCK_MINUTES, doubling with each further lock of that account or address within a
# day, up to LOGIN_LOCK_MAX_HOURS. Counted in the database, so every server process sees the same lock.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_LOCK_MINUTES = env.int("LOGIN_LOCK_MINUTES", default=15)
LOGIN_LOCK_MAX_HOURS = env.int("LOGIN_LOCK_MAX_HOURS", default=24)
# Failures that lock an account (wherever they come from), and failures that lock an address (whatever
# accounts they try). An address is often a whole office behind one gateway, so it takes more: one
# clerk's typos do not lock the colleagues, while someone trying many accounts is still stopped.
LOGIN_LOCK_FAILURES = env.int("LOGIN_LOCK_FAILURES", default=5)
LOGIN_LOCK_ADDRESS_FAILURES = env.int("LOGIN_LOCK_ADDRESS_FAILURES", default=20)
AXES_FAILURE_LIMIT = "core.login_lock.failure_limit"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = "core.login_lock.lock_duration"
# Each attempt row expires on its own lock's end, so the cleanup of a short lock never ends a long one.
AXES_USE_ATTEMPT_EXPIRATION = True
# A refused attempt during a lock is recorded (core.login_lock) but does not restart the lock.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "core.login_lock.lockout_response"
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_address"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Axes' own admin pages are in English; bureau staff unlock on the page of core/login_lock_views.py.
AXES_ENABLE_ADMIN = False
# No "AXES: BEGIN" line at every start of a command; each attempt is still logged (names and addresses masked).
AXES_VERBOSE = False
# The second factor (core/two_factor.py): required of bureau staff, auditors and superusers unless
# turned off (debug and tests default to off; tests turn it on where they test it). Anyone else may
# enrol, and then always needs it.
TWO_FACTOR_REQUIRED = env.bool("TWO_FACTOR_REQUIRED", default=not DEBUG and not TESTING)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="站点考核")
# Sessions (core/sessions.py): logged out after SESSION_IDLE_MINUTES without a request of the person
# (a job page's polling does not count) and SESSION_ABSOLUTE_HOURS after login whatever they do.
# Always on when serving; off in tests, which log in once and then travel days ahead on a frozen
# clock to a deadline (tests/security/test_sessions_passwords.py turns them on).
SESSION_TIMEOUTS = not TESTING
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_ABSOLUTE_HOURS = env.int("SESSION_ABSOLUTE_HOURS", default=12)
if SESSION_TIMEOUTS:
    # The cookie and the stored session end with the absolute timeout instead of Django's two weeks.
    SESSION_COOKIE_AGE = SESSION_ABSOLUTE_HOURS * 3600

LANGUAGE_CODE = "zh-hans"
# Only Chinese: a clerk whose browser asks for English must still get the whole admin in Chinese
# (LocaleMiddleware would otherwise half-translate it by Accept-Language).
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"

# Files go through the storage API so a bureau can point "default" at S3-compatible storage
# (e.g. django-storages' S3 backend) with FILE_STORAGE_BACKEND and FILE_STORAGE_OPTIONS.
STORAGES = {
    "default": {
        "BACKEND": env.str("FILE_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"),
        "OPTIONS": env.json("FILE_STORAGE_OPTIONS", default={}),
    },
    # In production, collectstatic writes each file under a name with its content's hash (cached by
    # browsers for a year) and compressed copies; debug and tests read the source folders and need
    # no collectstatic.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# WhiteNoise reads STATIC_ROOT once at start; debug and tests find the files in the source folders.
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEBUG or TESTING

# What every visitor reads alike (a public notice's pages) is kept here. Local memory is per
# process; with several server processes set REDIS_URL (e.g. redis://127.0.0.1:6379/1) to share it.
# Django's own RedisCache backend needs the `redis` package.
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 2000},
        }
    )
}

# ---- Background work (Celery). A province sets CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0)
# and starts workers (`make worker`); without it every task runs in-process at once, right after
# the commit that queued it, so a county's `make demo` needs nothing more. Job state, progress and
# result files live in core.Job rows, not in a result backend.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
# Long jobs: a worker takes one message at a time, so a queued job waits for a free worker
# instead of behind a busy one.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# `celery -A config beat` (one per installation; deploy/systemd/station-assessment-beat.service):
# every hour, fail jobs abandoned by a dead worker and remove expired job files.
CELERY_BEAT_SCHEDULE = {
    "jobs-housekeeping": {"task": "core.jobs_housekeeping", "schedule": 3600},
    # Mail a dead worker left unsent goes out again within minutes, not at the next hour.
    "notifications-requeue-stale": {"task": "core.notifications_requeue_stale", "schedule": 300},
}
# Jobs (core.Job): how long a finished job's file is kept, and after how long without a sign of
# life a running job counts as abandoned by a dead worker (marked failed, can be retried).
JOB_FILES_KEEP_DAYS = env.int("JOB_FILES_KEEP_DAYS", default=7)
JOB_STALE_MINUTES = env.int("JOB_STALE_MINUTES", default=30)
# Audit trail (core.audit): records of who saw personal data in full are kept this many days, then
# purged by the hourly housekeeping; every other audit row is kept for good. At least 180 (等保 2.0
# asks for six months): a smaller value is refused by `manage.py check` (core.E020).
AUDIT_KEEP_DAYS = env.int("AUDIT_KEEP_DAYS", default=180)
# Imports (the portal's placement roster, the admin's sheet data) of a file larger than this run as
# a job the clerk watches; smaller ones in the request. Measured at 512 KB: a roster of 11,500 rows
# (44 bytes a row) imports in 0.8 s on SQLite, 0.6 s on PostgreSQL; sheet data of 2,100 rows (250
# bytes a row) in 0.8 s on either, so a request stays well under gunicorn's timeout. Bigger files
# grow linearly (a 50,000-row roster: 2.2 MB, 3.2 s on SQLite; 12,000 sheet rows: 3 MB, 7 s on PostgreSQL).
IMPORT_INLINE_MAX_BYTES = env.int("IMPORT_INLINE_MAX_BYTES", default=512 * 1024)

# Mail (core.notify): every message is a Notification row, delivered by a task with retries.
# A bureau's SMTP server: EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and the EMAIL_HOST* below.
# Outside debug the default is SMTP: the console backend would print addresses into the server's log.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG or TESTING
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@localhost")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
# A mail server that does not answer holds a delivery task this long, not forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)

# HTTPS. Outside debug and tests every protection is on unless the environment turns it off, so a
# bureau that sets only SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL passes `check --deploy`.
# `make serve` turns them off for plain HTTP on a laptop (it says so).
_HTTPS_DEFAULT = not DEBUG and not TESTING
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=_HTTPS_DEFAULT)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_HTTPS_DEFAULT)
# A load balancer probes over plain HTTP; it gets the health answer, not a redirect.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if _HTTPS_DEFAULT else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=SECURE_HSTS_SECONDS > 0)
# The preload flag only makes the domain eligible for the browsers' built-in list: nothing is listed
# until someone submits the registered domain at hstspreload.org by hand.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=SECURE_HSTS_SECONDS > 0)
# Whether a request came over HTTPS. Behind nginx on the same machine gunicorn decides it: it takes
# X-Forwarded-Proto only from FORWARDED_ALLOW_IPS (127.0.0.1; deploy/gunicorn.conf.py), so the
# redirect cannot loop and nobody else can claim HTTPS. BEHIND_TLS_PROXY=true makes Django trust the
# header from anyone: only for another server behind a proxy that always sets it (never exposed).
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# How many reverse proxies of the bureau's own stand between visitors and gunicorn (nginx on the
# same machine: 1). The visitor's address is then the rightmost X-Forwarded-For entry those proxies
# did not add (core/client_address.py); 0 means REMOTE_ADDR and the header is ignored.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Request bodies (core/upload_limits.py): a view that takes files declares its own limit with
# @upload_limit; every other view accepts UPLOAD_DEFAULT_MAX_BYTES, and the plain fields of any form
# DATA_UPLOAD_MAX_MEMORY_SIZE. The upload handler first in line stops a body at its view's limit
# while it streams in, before the next handlers keep it in memory or in a temporary file.
UPLOAD_DEFAULT_MAX_BYTES = env.int("UPLOAD_DEFAULT_MAX_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
# Django's default of 1,000 fields is below one rubric section's editor: every item carries its
# rule's labelled fields and row tables (about 140), so a section of 7 items was refused with a 400.
# The body limits above still bound what a request may cost.
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=20000)
FILE_UPLOAD_HANDLERS = [
    "core.upload_limits.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Request bodies never reach the logs: rosters carry ID numbers and phones.
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # SQL with its parameters would carry ID numbers and phones: never logged, whatever LOG_LEVEL says.
        "django.db.backends": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # A worker logs each task it ends (with its arguments: ids only); in-process that is noise.
        "celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"},
    },
}
