"""Every setting comes from the environment; the defaults are the embedded deployment
(SQLite under instance/, in-process jobs) so a laptop needs nothing installed."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("OFFICE_INSTANCE_DIR", BASE_DIR / "instance"))


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept under instance/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def database_url(url: str) -> str:
    """The SQLAlchemy URL with PostgreSQL always on psycopg 3, whichever way it was written.

    Deployments and docs written for psycopg2 (`postgresql+psycopg2://`), and the bare
    `postgresql://` / `postgres://` of libpq and most hosting panels (SQLAlchemy would pick
    psycopg2 for them, which is not installed), all mean the same database.
    """
    scheme, sep, rest = url.partition("://")
    if sep and scheme in {"postgres", "postgresql", "postgresql+psycopg2"}:
        return f"postgresql+psycopg://{rest}"
    return url


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, str(int(default))).lower() in {"1", "true", "yes", "on"}


class Config:
    BASE_DIR = BASE_DIR
    INSTANCE_DIR = INSTANCE_DIR
    SECRET_KEY = _secret_key()
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get(
        "OFFICE_DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'office.db'}"
    ))
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    REDIS_URL = os.environ.get("OFFICE_REDIS_URL", "")  # empty: in-process jobs
    CITY_ENDPOINT = os.environ.get("OFFICE_CITY_ENDPOINT", "")
    CITY_TOKEN = os.environ.get("OFFICE_CITY_TOKEN", "")  # sent as "Authorization: Bearer …"
    QUEUE_NAME = os.environ.get("OFFICE_QUEUE", "office")  # the RQ queue (`rq worker … office`)
    # Reports (office/services/report/build.py): fan out per township ("auto": when Redis is set),
    # a running report with no heartbeat for this long is failed, the monthly cron (UTC), the
    # waits between retries of a submission, the waits before each automatic retry of a report
    # attempt lost to a dead worker or a dropped connection (their number is the budget;
    # office/services/report/retry.py), and a delay and a fault that make reports slow or fail
    # their first attempt (tests only: "KeyError" or "disconnect").
    # One job per return by default: measured at 200,000 compounds on 2 cores, the fan-out per
    # township (parts + merge) took 50 s on 2 workers against 38 s for the single job. Worth
    # turning on ("1") with several worker hosts; "auto" = whenever Redis is configured.
    REPORT_FANOUT = os.environ.get("OFFICE_REPORT_FANOUT", "0")
    REPORT_STALE_SECONDS = int(os.environ.get("OFFICE_REPORT_STALE_SECONDS", "900"))
    REPORT_CRON = os.environ.get("OFFICE_REPORT_CRON", "0 1 1 * *")
    SUBMIT_RETRY_INTERVALS = os.environ.get("OFFICE_SUBMIT_RETRY_INTERVALS", "30,120,600,1800")
    REPORT_RETRY_INTERVALS = os.environ.get("OFFICE_REPORT_RETRY_INTERVALS", "30,120,600")
    REPORT_TEST_DELAY = float(os.environ.get("OFFICE_REPORT_TEST_DELAY", "0"))
    REPORT_TEST_FAULT = os.environ.get("OFFICE_REPORT_TEST_FAULT", "")
    REPORT_DIR = Path(os.environ.get("OFFICE_REPORT_DIR", INSTANCE_DIR / "reports"))
    UPLOAD_DIR = Path(os.environ.get("OFFICE_UPLOAD_DIR", INSTANCE_DIR / "uploads"))

    # Flask-AppBuilder
    APP_NAME = "住宅小区管理工作台"
    APP_THEME = ""
    AUTH_TYPE = 1  # AUTH_DB
    FAB_SECURITY_MANAGER_CLASS = "office.views.users.ScreenedSecurityManager"
    FAB_ADD_SECURITY_API = True
    FAB_API_SWAGGER_UI = True
    # The schema comes only from migrations, and roles are code (office.roles): FAB writes
    # nothing to the database at start-up.
    FAB_CREATE_DB = False
    FAB_UPDATE_PERMS = False
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_FOLDER = "translations"
    LANGUAGES = {
        "zh": {"flag": "cn", "name": "简体中文"},
        "en": {"flag": "gb", "name": "English"},
    }
    FAB_PASSWORD_COMPLEXITY_ENABLED = True
    FAB_PASSWORD_COMPLEXITY_VALIDATOR = "office.security.password_validator"

    # Login throttling (per client) and lockout (per account).
    AUTH_RATE_LIMITED = _flag("OFFICE_LOGIN_RATE_LIMITED", True)
    AUTH_RATE_LIMIT = os.environ.get("OFFICE_LOGIN_RATE_LIMIT", "10 per minute")
    RATELIMIT_ENABLED = AUTH_RATE_LIMITED
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    # Behind nginx the client is in X-Forwarded-For: trust that many proxies (0 = none, so a
    # client cannot pick its own address to dodge the login limit).
    PROXY_HOPS = int(os.environ.get("OFFICE_PROXY_HOPS", "0"))
    OFFICE_LOCKOUT_FAILURES = int(os.environ.get("OFFICE_LOCKOUT_FAILURES", "5"))
    OFFICE_LOCKOUT_MINUTES = int(os.environ.get("OFFICE_LOCKOUT_MINUTES", "15"))

    # Sessions and CSRF
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # a clerk's form stays valid for the whole session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _flag("OFFICE_SECURE_COOKIES", False)  # on behind HTTPS
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)

    MAX_CONTENT_LENGTH = int(os.environ.get("OFFICE_MAX_UPLOAD_MB", "20")) * 1024 * 1024
