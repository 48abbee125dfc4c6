"""Settings read from the environment: a PostgreSQL URL always reaches psycopg 3."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from config import database_url


@pytest.mark.parametrize("written", [
    "postgresql://office:s3cret@db-host:5433/office",
    "postgres://office:s3cret@db-host:5433/office",
    "postgresql+psycopg2://office:s3cret@db-host:5433/office",
    "postgresql+psycopg://office:s3cret@db-host:5433/office",
])
def test_every_postgresql_spelling_uses_psycopg3(written):
    url = sa.make_url(database_url(written))
    assert url.drivername == "postgresql+psycopg"
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "office", "s3cret", "db-host", 5433, "office")
    # the driver SQLAlchemy then loads is the installed one (psycopg2 is not installed)
    assert sa.create_engine(url).dialect.driver == "psycopg"


@pytest.mark.parametrize("url", ["sqlite:///instance/office.db", "sqlite://"])
def test_other_urls_are_left_alone(url):
    assert database_url(url) == url


def test_create_app_reads_a_libpq_url():
    """The app itself, on the suite's database written the way libpq writes it."""
    from office import create_app
    from tests.conftest import DATABASE_URL, IS_POSTGRES

    written = DATABASE_URL.replace("postgresql+psycopg://", "postgresql://")
    app = create_app({"SQLALCHEMY_DATABASE_URI": written, "TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == DATABASE_URL
    with app.app_context():
        from office.models import db

        assert db.engine.dialect.driver == ("psycopg" if IS_POSTGRES else "pysqlite")
        assert db.session.scalar(sa.text("SELECT 1")) == 1


def test_a_new_instance_dir_is_created(tmp_path):
    """`db upgrade` into an OFFICE_INSTANCE_DIR that does not exist yet (a restore drill, a
    second county on one laptop), with SECRET_KEY set so nothing else creates the folder."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    instance = tmp_path / "new" / "instance"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OFFICE_")}
    env.update({"OFFICE_INSTANCE_DIR": str(instance), "SECRET_KEY": "x" * 32})
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "run", "db", "upgrade"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (instance / "office.db").stat().st_size > 0
