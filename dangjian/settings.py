"""Settings, read from the environment.

DATABASE_URL  default sqlite:///var/dangjian.sqlite3; postgres://user@host:port/name for PostgreSQL
SECRET_KEY    default: generated once and kept in var/secret_key
PII_KEY       key for personal data at rest; default: derived from SECRET_KEY
DEBUG         "1"/"true" to enable
ALLOWED_HOSTS comma-separated
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DANGJIAN_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


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
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
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
    "dangjian.demo",
    "dangjian.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "dangjian.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dangjian.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "dangjian.urls"
WSGI_APPLICATION = "dangjian.wsgi.application"

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
            ],
        },
    },
]

# Background tasks (Django's Tasks API, django-tasks backport): the kept compliance results are refreshed
# after each write. "immediate" (default: the demo and the tests) runs a task at once, after the write
# commits; "database" queues it for `dangjian worker` (production).
TASK_BACKEND = os.environ.get("DANGJIAN_TASKS", "immediate").strip().lower()
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
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("TEST_DATABASE_NAME") or None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
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
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES")
CSRF_COOKIE_SECURE = _env_bool("SECURE_COOKIES")

# Personal data is never written to logs: every handler passes through the redaction filter.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_pii": {"()": "dangjian.core.logging.RedactPersonalDataFilter"}},
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
        # a line per task run (the refresh after every write) is noise; failures are still logged
        "django_tasks": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# Which system roles see 身份证号 and 手机号码 in full (on detail pages of records in their scope).
# A filter over more organisations than this searches them instead of listing them all (orgs.widgets).
ORG_PICKER_ABOVE = 300

PII_FULL_ACCESS_ROLES = ["gongwei_admin", "dangwei_admin", "branch_admin"]

# The data files under rules/ (rulebook versions, 党费 rates, workflow, parameters): dangjian.core.rulefiles.
RULES_DIR = BASE_DIR / "rules"

# 党费: no official rounding rule exists (FEE-13): the quantum and mode are settings.
DUES_ROUNDING_QUANTUM = os.environ.get("DUES_ROUNDING_QUANTUM", "0.01")
DUES_ROUNDING_MODE = os.environ.get("DUES_ROUNDING_MODE", "ROUND_HALF_UP")

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
