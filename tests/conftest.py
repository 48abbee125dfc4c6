"""One suite, two back ends: SQLite by default, PostgreSQL when OFFICE_TEST_DATABASE_URL is set.

The schema always comes from the migrations (never create_all), so every test also exercises
them. Each test starts from the same tiny county (tests/factories.py).
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager

_TMP = tempfile.mkdtemp(prefix="office-test-")
os.environ.setdefault("OFFICE_INSTANCE_DIR", _TMP)
os.environ.setdefault("OFFICE_LOGIN_RATE_LIMITED", "0")

import flask  # noqa: E402
import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from config import database_url  # noqa: E402
from office import create_app  # noqa: E402
from office.models import db  # noqa: E402

PASSWORD = "Test-Passw0rd!"
DATABASE_URL = database_url(os.environ.get("OFFICE_TEST_DATABASE_URL")
                            or f"sqlite:///{_TMP}/test.db")
IS_POSTGRES = DATABASE_URL.startswith("postgresql")


def _reset_schema(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if IS_POSTGRES:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


class IsolatedClient(FlaskClient):
    """Each request in a fresh application context, as in production.

    Fixtures keep an app context pushed for the whole test, and Flask reuses a pushed app
    context for a request: `g` (the signed-in user, the cached row scope) would otherwise leak
    from one request - and one user - to the next.
    """

    def open(self, *args, **kwargs):
        token = flask.globals._cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            flask.globals._cv_app.reset(token)


@pytest.fixture(scope="session")
def app():
    from flask_migrate import upgrade

    from office.security import ensure_roles

    _reset_schema(DATABASE_URL)
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": DATABASE_URL,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "localhost",
        # automatic retries of report attempts only where a test asks for them
        # (tests/test_report_retry.py): a stale run here is failed, as it was
        "REPORT_RETRY_INTERVALS": "",
    })
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
        ensure_roles()
    yield app


def _wait_for_background_jobs(timeout: float = 120) -> None:
    """Let the jobs an earlier test queued on the embedded worker finish before the database
    is reset under them: a TRUNCATE meeting a job's open write transaction deadlocks on
    PostgreSQL (and a DELETE meets "database is locked" on SQLite)."""
    import time

    from rq import Queue
    from rq.registry import StartedJobRegistry

    from office import queue as office_queue

    conn = office_queue.started_embedded_connection()  # None: no embedded worker yet
    if conn is None:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = sum(q.count + StartedJobRegistry(q.name, connection=conn).count
                   for q in Queue.all(connection=conn))
        if not busy:
            return
        time.sleep(0.05)
    raise RuntimeError(f"background jobs still running after {timeout}s")


def _truncate_business_tables() -> None:
    _wait_for_background_jobs()
    db.session.commit()  # end this session's own read transaction before taking the locks
    keep = {"ab_role", "ab_permission", "ab_view_menu", "ab_permission_view",
            "ab_permission_view_role", "alembic_version"}
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in keep]
    if IS_POSTGRES:
        # Anything else still holding these tables (a straggling connection of an earlier
        # test) is waited for a bounded time, not forever, and then named.
        db.session.execute(sa.text("SET LOCAL lock_timeout = '30s'"))
        db.session.execute(sa.text(
            "TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE"
        ))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@contextmanager
def seeded_county(app, compounds: int, seed: int, today=None):
    """A demo county (flask office seed-demo) in place of the factory county; yields its
    2020 campaign. For fixtures of tests that need a county with every kind of record; by
    default the county as it stood at the 2020 inspection (``today`` 2020-10-15: no later
    years, no campaign of another year), so that tests of 2020 dates stay about 2020."""
    import datetime as dt

    from office.demo.seed import seed_demo
    from office.models import Campaign

    with app.app_context():
        _truncate_business_tables()
        seed_demo(compounds=compounds, seed=seed, today=today or dt.date(2020, 10, 15))
        yield db.session.scalar(sa.select(Campaign).where(Campaign.year == 2020))
        db.session.remove()


@pytest.fixture()
def county(app):
    """A fresh tiny county for every test; yields the factory namespace."""
    from tests.factories import build_county

    with app.app_context():
        _truncate_business_tables()
        data = build_county()
        yield data
        db.session.remove()


ROLE_USERS = {
    "admin": ("Admin", None, None),
    "bureau": ("BureauClerk", None, None),
    "town_a": ("TownshipClerk", "城关街道", None),
    "liaison_a": ("DepartmentLiaison", None, "县公安局"),
    "reviewer": ("PriceReviewer", None, None),
    "supervisor": ("Supervisor", None, None),
}


@pytest.fixture()
def users(county):
    from office.services.users import create_user

    for username, (role, township, department) in ROLE_USERS.items():
        create_user(username, role, PASSWORD, township=township, department=department)
    return ROLE_USERS


@pytest.fixture()
def login(app, users):
    """login("town_a") -> a test client signed in as that user."""

    def _login(username: str):
        client = app.test_client()
        resp = client.post("/login/", data={"username": username, "password": PASSWORD})
        assert resp.status_code == 302, f"login failed for {username}"
        return client

    return _login


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))
