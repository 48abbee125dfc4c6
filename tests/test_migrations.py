"""The schema only ever changes through migrations (DESIGN.md): the migrations must build
exactly what the models describe, and must run both ways.

These tests use their own scratch database, so that dropping everything never disturbs the
session database the other tests share: a SQLite file on the embedded back end, and on
PostgreSQL a database named after OFFICE_TEST_DATABASE_URL's with `_migrations` appended,
created here on first use and emptied before each test (a whole database, not a schema:
migrations install extensions such as pg_trgm, which belong to a database).

Why the drift check catches a forgotten migration: after `upgrade`, the database has exactly
the columns the revision files create. If someone adds `Compound.photo` to the model but no
revision, `db.metadata` has a column the database lacks, and `compare_metadata` returns
`("add_column", None, "compound", Column("photo", ...))` — a non-empty diff, so
`test_upgrade_from_empty_matches_models` fails. `test_drift_check_is_not_vacuous` proves that on
a copy of the metadata, without touching the models. (Known blind spot of Alembic's
autogenerate, and so of this check: CHECK constraints, e.g. the allowed enum values. Objects
named fts_* are the search indexes, deliberately outside the models: see
office/kit/grid/search.py.)
"""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from office import create_app
from office.kit.grid import search as grid_search
from office.models import db
from tests.conftest import DATABASE_URL, IS_POSTGRES

# The options migrations/env.py gives autogenerate: "no drift" here means `make migrate`
# would find nothing to write. The fts_* search indexes are deliberately not models.
COMPARE_OPTS = {
    "compare_type": True,
    "compare_server_default": True,
    "include_name": grid_search.include_name,
    "include_object": grid_search.include_object,
}


def _scratch_url(tmp_dir) -> sa.URL:
    if IS_POSTGRES:
        url = sa.make_url(DATABASE_URL)
        return url.set(database=f"{url.database}_migrations")
    return sa.make_url(f"sqlite:///{tmp_dir}/scratch.db")


def _ensure_database(name: str) -> None:
    """CREATE DATABASE once; later runs reuse it (DROP DATABASE forces a slow checkpoint)."""
    engine = sa.create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                             {"name": name})
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


@pytest.fixture(scope="module")
def scratch_app(tmp_path_factory):
    url = _scratch_url(tmp_path_factory.mktemp("migrations"))
    if IS_POSTGRES:
        _ensure_database(url.database)
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False),
    })
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture()
def empty_db(scratch_app):
    """The scratch database, emptied; yields inside its app context."""
    with scratch_app.app_context():
        if IS_POSTGRES:
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        else:
            db.engine.dispose()
            Path(db.engine.url.database).unlink(missing_ok=True)
        assert _tables() == set()
        yield scratch_app


@pytest.fixture()
def migrated(scratch_app):
    """The scratch database at head (a no-op when an earlier test left it there)."""
    with scratch_app.app_context():
        upgrade()
        yield scratch_app


def _tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def _diff(metadata: sa.MetaData | None = None) -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts=COMPARE_OPTS)
        return compare_metadata(context, metadata if metadata is not None else db.metadata)


def _current_heads() -> set[str]:
    with db.engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def _script(app) -> ScriptDirectory:
    return ScriptDirectory(app.extensions["migrate"].directory)


def _summary(diff: list) -> set[tuple]:
    """compare_metadata's entries as comparable tuples: (op, table, column) or (op, name)."""
    out = set()
    for entry in diff:
        for change in entry if isinstance(entry, list) else [entry]:
            op = change[0]
            if op in ("add_column", "remove_column"):
                out.add((op, change[2], change[3].name))
            elif op.startswith("modify_"):
                out.add((op, change[2], change[3]))
            else:
                out.add((op, getattr(change[1], "name", str(change[1]))))
    return out


def _assert_no_drift() -> None:
    drift = sorted(_summary(_diff()))
    assert not drift, (
        "models and migrations differ (make migrate m=\"...\" writes the missing revision): "
        + "; ".join(map(str, drift))
    )


def _copy_of_models() -> sa.MetaData:
    copy = sa.MetaData(naming_convention=db.metadata.naming_convention)
    for table in db.metadata.tables.values():
        table.to_metadata(copy)
    return copy


def test_one_head(scratch_app):
    """Two branches merged without `flask db merge` leave two heads: `db upgrade` then fails."""
    heads = _script(scratch_app).get_heads()
    assert len(heads) == 1, (
        f"several migration heads {heads}: flask --app run db merge -m 'merge' heads"
    )


def test_upgrade_from_empty_matches_models(empty_db):
    upgrade()
    assert _current_heads() == set(_script(empty_db).get_heads())
    _assert_no_drift()


def test_drift_check_is_not_vacuous(migrated):
    """A column added to a model without a migration, or a changed type, shows up as drift
    (independently of whatever other drift test_upgrade_from_empty_matches_models reports)."""
    baseline = _summary(_diff())

    with_new_column = _copy_of_models()
    with_new_column.tables["compound"].append_column(sa.Column("drift_probe", sa.String(200)))
    assert _summary(_diff(with_new_column)) - baseline == {
        ("add_column", "compound", "drift_probe")
    }

    longer_name = _copy_of_models()
    name = longer_name.tables["compound"].c.name
    name.type = sa.String(name.type.length + 50)
    assert _summary(_diff(longer_name)) - baseline == {("modify_type", "compound", "name")}


def test_downgrade_to_base_and_upgrade_again(migrated):
    downgrade(revision="base")
    assert _tables() <= {"alembic_version"}, "downgrade to base left tables behind"
    assert _current_heads() == set()
    upgrade()
    assert _current_heads() == set(_script(migrated).get_heads())
    _assert_no_drift()


def test_every_revision_downgrades_and_upgrades(migrated):
    """Stairway: from base, up one revision, down one, up again — for each revision in order,
    so every downgrade runs against the schema its own upgrade produced."""
    downgrade(revision="base")
    for revision in reversed(list(_script(migrated).walk_revisions())):
        upgrade(revision=revision.revision)
        before = _tables()
        downgrade(revision=f"{revision.revision}-1")
        assert _current_heads() == set(revision._normalized_down_revisions), revision.revision
        upgrade(revision=revision.revision)
        assert _tables() == before, revision.revision
    assert _current_heads() == set(_script(migrated).get_heads())
