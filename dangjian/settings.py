"""Settings, read from the environment.

DATABASE_URL  default sqlite:///var/dangjian.sqlite3; postgres://user@host:port/name for PostgreSQL
SECRET_KEY    default: generated once and kept in var/secret_key
PII_KEY       key for personal data at rest; default: derived from SECRET_KEY
DEBUG         "1"/"true" to enable
ALLOWED_HOSTS comma-separated
BEHIND_TLS_PROXY "1" when a proxy terminates HTTPS in front of the application (see the README's deployment part)
DB_POOL_SIZE / DB_POOL_MIN_SIZE / DB_POOL_TIMEOUT  PostgreSQL connection pool per process (0: no pool)
AUDIT_RETENTION_DAYS  days audit events are kept at least (default and minimum 180)
FORM_TOKEN_RETENTION_DAYS  days consumed one-time form tokens are kept (default 7, at least 1)
REFRESH_JOBS  processes of a full refresh of the kept results on PostgreSQL (default: the number of cores)
FACT_THREADS  threads loading the compliance facts of a large scope on PostgreSQL (default 2; web and refresh workers: 1)
EMAIL_* / DEFAULT_FROM_EMAIL / SITE_URL / SMS_BACKEND  the reminders' e-mail digest (SMTP) and SMS gateway adapter
deploy/dangjian.env.example describes every setting (a test checks that none is missing from it).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DANGJIAN_VAR_DIR", BASE_DIR / "var"))
if not VAR_DIR.exists():  # the database, the secret key and the uploads: readable by the owner only
    VAR_DIR.mkdir(parents=True, mode=0o700)
    VAR_DIR.chmod(0o700)  # whatever the umask


def _private_file(path: Path) -> None:
    """Creates `path` empty and readable by the owner only, unless it exists (an empty file is also an
    empty SQLite database: SQLite keeps the mode, and gives its journal the database file's mode)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = VAR_DIR / "secret_key"
    if not path.exists():
        _private_file(path)  # never readable by others, not even between writing and a chmod
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
PII_KEY = os.environ.get("PII_KEY", "")
DEBUG = _env_bool("DEBUG")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "dangjian.core",
    "dangjian.accounts",
    "dangjian.orgs",
    "dangjian.members",
    "dangjian.meetings",
    "dangjian.compliance",
    "dangjian.dues",
    "dangjian.pipeline",
    "dangjian.movements",
    "dangjian.elections",
    "dangjian.training",
    "dangjian.talks",
    "dangjian.evaluations",
    "dangjian.assessment",
    "dangjian.appraisals",
    "dangjian.demo",
    "dangjian.portal",
    "dangjian.reminders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "dangjian.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dangjian.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "dangjian.core.middleware.NulQueryMiddleware",  # after the user is known: its 400 page is the site's page
    "dangjian.core.middleware.GoneRecordMiddleware",  # a form's record deleted meanwhile: 409, the site's page
    "dangjian.accounts.middleware.SessionTimeoutMiddleware",
    "dangjian.accounts.middleware.SecondFactorMiddleware",
    "dangjian.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out sign-in into the locked-out page
]

# Content-Security-Policy (django-csp): scripts only from the site's own static files — no inline script, no
# eval, nothing from elsewhere (the pages' behaviour is in static/js); inline styles stay allowed (style
# attributes, and the indicator styles htmx adds).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "dangjian.urls"
WSGI_APPLICATION = "dangjian.wsgi.application"

# Widgets: the simple ones written in Python, the others through Django's templates (dangjian/core/renderers.py:
# the same HTML without the template engine; the 党费收缴表 renders about a hundred of them).
FORM_RENDERER = "dangjian.core.renderers.FormRenderer"
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
                "django.template.context_processors.i18n",
                "dangjian.accounts.context_processors.access",
                "dangjian.reminders.context_processors.unread",
            ],
        },
    },
]

# Background tasks (Django's Tasks API, django-tasks backport): the kept compliance results are refreshed
# after each write. "immediate" (default: the demo and the tests) runs a task at once, after the write
# commits; "database" queues it for `dangjian worker` (production).
TASK_BACKEND = os.environ.get("DANGJIAN_TASKS", "immediate").strip().lower()
# An export expected to have more rows than this is made by the task worker while its page shows the progress
# (core.exports); its file is kept, encrypted, for EXPORT_KEEP_MINUTES.
EXPORT_BACKGROUND_ROWS = int(os.environ.get("DANGJIAN_EXPORT_BACKGROUND_ROWS", "5000"))
EXPORT_KEEP_MINUTES = int(os.environ.get("DANGJIAN_EXPORT_KEEP_MINUTES", "60"))
# The task worker (`dangjian worker`) runs at this CPU niceness at least: when the cores are busy, the pages people
# wait for come before the refreshes, which catch up in one pass over every path that waited (compliance.kept).
TASK_WORKER_NICE = int(os.environ.get("DANGJIAN_WORKER_NICE", "5"))
# ... and, after a task that leaves it above this many MB of resident memory, exits to be started afresh by its
# service (0: never; see core/management/commands/worker.py)
TASK_WORKER_MAX_MB = int(os.environ.get("DANGJIAN_WORKER_MAX_MB", "300"))
TASKS = {
    "default": {
        "BACKEND": {
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
            "database": "django_tasks_db.DatabaseBackend",
        }[TASK_BACKEND]
    }
}

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'dangjian.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
_SQLITE_FILE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and str(
    DATABASES["default"]["NAME"]
) not in ("", ":memory:")
if _SQLITE_FILE and Path(DATABASES["default"]["NAME"]).parent.is_dir():
    _private_file(Path(DATABASES["default"]["NAME"]))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("TEST_DATABASE_NAME") or None
    # PostgreSQL connections come from a pool per process (Django's psycopg pool): a request takes one and
    # gives it back at its end, instead of connecting anew each time. DB_POOL_SIZE is the most a process
    # holds (at least the gunicorn threads of a worker, deploy/gunicorn.conf.py); 0 turns pooling off
    # (then CONN_MAX_AGE applies). The pool keeps no connection across requests outside it: CONN_MAX_AGE 0.
    DB_POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", "2"))
    if DB_POOL_SIZE > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(int(os.environ.get("DB_POOL_MIN_SIZE", "1")), DB_POOL_SIZE),
            "max_size": DB_POOL_SIZE,
            "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),  # seconds a request waits for one
        }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# django-axes checks for a lock before the model backend checks the password.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# Sign-in (等保 2.0 三级 身份鉴别): the numbers are settings. SIGNIN_FAILURE_LIMIT failed sign-ins of one username
# (from any address), each within SIGNIN_FAILURE_WINDOW_MINUTES of the one before, lock that account for
# SIGNIN_LOCKOUT_MINUTES; SIGNIN_ADDRESS_FAILURE_LIMIT failures from one client address (for any usernames) lock
# that address, so that one person's typos never lock out the colleagues behind the same office address
# (dangjian.accounts.lockout; `dangjian security unlock <username>` unlocks).
SIGNIN_FAILURE_LIMIT = _env_int("SIGNIN_FAILURE_LIMIT", 5)
SIGNIN_ADDRESS_FAILURE_LIMIT = _env_int("SIGNIN_ADDRESS_FAILURE_LIMIT", 20)
SIGNIN_FAILURE_WINDOW_MINUTES = _env_int("SIGNIN_FAILURE_WINDOW_MINUTES", 15)
SIGNIN_LOCKOUT_MINUTES = _env_int("SIGNIN_LOCKOUT_MINUTES", 30)
AXES_FAILURE_LIMIT = "dangjian.accounts.lockout.failure_limit"  # read from the SIGNIN_* settings at each use
AXES_COOLOFF_TIME = "dangjian.accounts.lockout.lockout_period"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # the account, the client address: each its own limit
AXES_HANDLER = "dangjian.accounts.lockout.LockoutHandler"
AXES_LOCKOUT_CALLABLE = "dangjian.accounts.lockout.locked_out"
AXES_CLIENT_IP_CALLABLE = "dangjian.accounts.signin.client_address"
# A sign-in succeeds after its second step when one is needed: the failures of a username (wrong passwords and
# wrong codes alike) are forgotten then (accounts.lockout.LockoutHandler), not when the password alone was right.
AXES_RESET_ON_SUCCESS = False
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the lock ends SIGNIN_LOCKOUT_MINUTES after it began
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in the audit trail, not kept a second time
AXES_VERBOSE = False  # the audit trail records sign-ins; axes' own log lines would repeat them
AXES_ENABLE_ADMIN = False
# the failures' rows keep the request's form data: never a password (the change-password page's failures count)
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "old_password", "new_password1", "new_password2"]

# The second factor (accounts.otp): TOTP devices of django-otp. A wrong code counts as a failed sign-in
# (SIGNIN_FAILURE_LIMIT, the same account lock as wrong passwords), so django-otp's own growing delay is off.
OTP_TOTP_ISSUER = "市级机关党建信息化平台"
OTP_TOTP_THROTTLE_FACTOR = 0

# Passwords (等保 2.0 三级): length, character classes (of upper case, lower case, digits, other), not containing
# the username nor the linked member's name in pinyin, phone, 身份证号 or birth date, not one of the last
# PASSWORD_HISTORY passwords, changed every PASSWORD_MAX_AGE_DAYS days.
PASSWORD_MIN_LENGTH = _env_int("PASSWORD_MIN_LENGTH", 10)
PASSWORD_MIN_CLASSES = _env_int("PASSWORD_MIN_CLASSES", 3)
PASSWORD_HISTORY = _env_int("PASSWORD_HISTORY", 5)
PASSWORD_MAX_AGE_DAYS = _env_int("PASSWORD_MAX_AGE_DAYS", 90)
# How passwords are stored (dangjian.accounts.passwords.Argon2idHasher): Argon2id with these numbers, OWASP's
# recommended minimum; PBKDF2 stays listed so that hashes made with it still check, and are redone at sign-in.
PASSWORD_ARGON2_TIME_COST = _env_int("PASSWORD_ARGON2_TIME_COST", 2)
PASSWORD_ARGON2_MEMORY_KIB = _env_int("PASSWORD_ARGON2_MEMORY_KIB", 19456)
PASSWORD_ARGON2_LANES = _env_int("PASSWORD_ARGON2_LANES", 1)
PASSWORD_HASHERS = [
    "dangjian.accounts.passwords.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [  # the dangjian.accounts.passwords ones read the PASSWORD_* settings at each use
    {"NAME": "dangjian.accounts.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "dangjian.accounts.passwords.MinimumLengthValidator"},
    {"NAME": "dangjian.accounts.passwords.CharacterClassesValidator"},
    {"NAME": "dangjian.accounts.passwords.UsernameValidator"},
    {"NAME": "dangjian.accounts.passwords.CommonPasswordValidator"},
    {"NAME": "dangjian.accounts.passwords.NumericPasswordValidator"},
    {"NAME": "dangjian.accounts.passwords.HistoryValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = VAR_DIR / "media"
FILE_UPLOAD_PERMISSIONS = 0o600  # attachments and import files: the owner only
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
MEDIA_URL = "media/"
# Static files: `dangjian collectstatic` copies them into STATIC_ROOT with a content hash in each name, a
# manifest and gzip copies; whitenoise serves them from there as immutable, cached ten years (a changed file gets a
# new name). With DEBUG, {% static %} gives plain names and whitenoise finds the files in static/ and the
# apps as they are edited, without collectstatic. The tests use the plain storage (dangjian/conftest.py);
# dangjian/core/tests/test_production_stack.py serves a collected STATIC_ROOT as production does.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Sessions end after SESSION_IDLE_MINUTES without a request and SESSION_MAX_HOURS after sign-in
# (dangjian.accounts.middleware.SessionTimeoutMiddleware), and when the browser closes.
SESSION_IDLE_MINUTES = _env_int("SESSION_IDLE_MINUTES", 30)
SESSION_MAX_HOURS = _env_int("SESSION_MAX_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600  # server-side expiry (`dangjian clearsessions` deletes them)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
# Without DEBUG (production) the cookies are Secure, HSTS is sent and HTTP is redirected to HTTPS.
# LOCAL_HTTP=1 serves plain HTTP on this machine (`make demo`); the tests do the same (dangjian/conftest.py).
# BEHIND_TLS_PROXY=1: a proxy terminates TLS and sets X-Forwarded-Proto (and X-Forwarded-For, the client
# address the audit trail and the sign-in lock use); it must overwrite those headers from clients.
BEHIND_TLS_PROXY = _env_bool("BEHIND_TLS_PROXY")
SECURE_DEPLOYMENT = not DEBUG and not _env_bool("LOCAL_HTTP")
SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES", SECURE_DEPLOYMENT)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if SECURE_DEPLOYMENT:
    SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = _env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = _env_bool("SECURE_HSTS_PRELOAD", True)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Personal data is never written to logs: every handler passes through the redaction filter.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_pii": {"()": "dangjian.core.logging.RedactPersonalDataFilter"},
        "client_error_one_line": {"()": "dangjian.core.logging.ClientErrorOnOneLine"},
    },
    "formatters": {
        "plain": {
            "()": "dangjian.core.logging.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_pii"], "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # a refused request (403, 404) on one line; a server error with its traceback
        "django.request": {
            "handlers": ["console"],
            "level": "INFO",
            "filters": ["client_error_one_line"],
            "propagate": False,
        },
        # a line per task run (the refresh after every write) is noise; failures are still logged
        "django_tasks": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # every sign-in, failure and lock is in the audit trail (with the client address); axes' lines repeat it
        "axes": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# Which system roles see 身份证号 and 手机号码 in full (on detail pages of records in their scope).
# A picker over more organisations than this searches them instead of listing them all (orgs.widgets): a page
# renders at most 100 options (the top of the scope, at most orgs.widgets.TOP_LIMIT, before a search).
ORG_PICKER_ABOVE = 80
# A list of members or branches (党费提醒, 欠缴, 学时, 政治生日 …) over a range holding more 党支部 than this asks for a
# narrower organisation first (orgs.selectors.wide_scope): at the 工委 the whole city would be tens of thousands of rows.
WIDE_LIST_BRANCHES = _env_int("WIDE_LIST_BRANCHES", 60)
# A roll-up with one row per organisation (学时汇总) has a limit of its own: a 党委 of more than WIDE_LIST_BRANCHES
# 党支部 still sees its whole range on one page (about 1 ms and 1 KB per row); the 工委's city does not fit.
WIDE_ROLLUP_BRANCHES = _env_int("WIDE_ROLLUP_BRANCHES", 150)

PII_FULL_ACCESS_ROLES = ["gongwei_admin", "dangwei_admin", "branch_admin"]

# The data files under rules/ (rulebook versions, 党费 rates, workflow, parameters): dangjian.core.rulefiles.
RULES_DIR = BASE_DIR / "rules"

# 党费: no official rounding rule exists (FEE-13): the quantum and mode are settings.
DUES_ROUNDING_QUANTUM = os.environ.get("DUES_ROUNDING_QUANTUM", "0.01")
DUES_ROUNDING_MODE = os.environ.get("DUES_ROUNDING_MODE", "ROUND_HALF_UP")

# Audit events are kept at least this many days (等保 2.0: at least 6 months); `dangjian audit prune`
# refuses to delete younger ones, and a smaller value is refused.
AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", "180"))
if AUDIT_RETENTION_DAYS < 180:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"AUDIT_RETENTION_DAYS 为 {AUDIT_RETENTION_DAYS}：操作日志至少保留 180 天。")

# Consumed one-time form tokens (core.once) are kept this many days, then deleted by `dangjian forms purge`
# (nightly): a form resent within them is refused as repeated.
FORM_TOKEN_RETENTION_DAYS = int(os.environ.get("FORM_TOKEN_RETENTION_DAYS", "7"))

# A full refresh of the kept results (nightly, after a bulk load) on PostgreSQL evaluates the 单位 in this many
# processes at once, each 单位 whole in one of them (compliance/kept.py); 1 refreshes in this process only.
REFRESH_JOBS = max(1, int(os.environ.get("REFRESH_JOBS", "0")) or (os.cpu_count() or 1))
# The facts of a large scope's evaluation (a command's, the task worker's) are loaded by this many threads, each on its
# own connection (compliance/facts.py); 1 loads them in the evaluating thread only. The web processes
# (deploy/gunicorn.conf.py: their connection pools are sized to their request threads) and the worker processes of a
# full refresh in parts (they already keep every core busy) always use 1.
FACT_THREADS = max(1, int(os.environ.get("FACT_THREADS", "2")))
if FORM_TOKEN_RETENTION_DAYS < 1:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"FORM_TOKEN_RETENTION_DAYS 为 {FORM_TOKEN_RETENTION_DAYS}：至少保留 1 天。")

PAGE_SIZE = 50
# Excel imports (core.xlsx.parse_sheet): rows below the header a file may have (blank ones count: reading
# stops at the row after the limit), and what its zip may unpack to (an upload can inflate a thousandfold;
# a 100,000-row 党员 sheet unpacks to about 70 MB).
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "100000"))
IMPORT_MAX_UNPACKED_BYTES = int(os.environ.get("IMPORT_MAX_UNPACKED_BYTES", str(256 * 1024 * 1024)))
FORMAT_MODULE_PATH = None
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
USE_THOUSAND_SEPARATOR = False

# Reminders (dangjian.reminders): the e-mail digest goes out through Django's SMTP backend to the internal mail
# server; the SMS through a gateway adapter named here (the default writes to the log, the recipient's phone
# masked: a 政务短信平台 adapter is a subclass of dangjian.reminders.sms.SmsBackend).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS")
EMAIL_TIMEOUT = _env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "dangjian@localhost")
SMS_BACKEND = os.environ.get("SMS_BACKEND", "dangjian.reminders.sms.LogBackend")
SITE_URL = os.environ.get("SITE_URL", "")  # https://dangjian.example.gov.cn: the links in the e-mail digest
