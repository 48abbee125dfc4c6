"""Alembic environment for Flask-Migrate (`flask --app run db ...`).

The engine and the metadata come from the running Flask app (office.models.db), so the
migrations always target the database the app is configured for (OFFICE_DATABASE_URL, or the
SQLite file under instance/).
"""
import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from office.kit.grid import search as grid_search

config = context.config

# Keep the app's own loggers working when migrations run inside it (tests, `flask db`).
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def get_engine():
    # Flask-SQLAlchemy 3: `db.engine` (get_engine() is deprecated and goes in 3.2).
    return target_db.engine


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


config.set_main_option(
    "sqlalchemy.url", get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
)


def _options(dialect_name: str) -> dict:
    """What every run shares, online or offline."""
    options = dict(current_app.extensions["migrate"].configure_args)
    # Diff column types (VARCHAR lengths, NUMERIC precision) and server defaults, not only
    # names; tests/test_migrations.py checks with the same options.
    options.setdefault("compare_type", True)
    options.setdefault("compare_server_default", True)
    # SQLite cannot ALTER most things: autogenerate emits batch operations (copy-and-move),
    # which PostgreSQL runs as plain ALTERs.
    options.setdefault("render_as_batch", dialect_name == "sqlite")
    # Database objects that are deliberately not models (the fts_* search indexes and their
    # helper tables): autogenerate must neither drop them nor report them as drift.
    options.setdefault("include_name", grid_search.include_name)
    options.setdefault("include_object", grid_search.include_object)
    return options


def run_migrations_offline():
    """`flask db upgrade --sql`: emit the SQL instead of running it."""
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url,
        target_metadata=get_metadata(),
        literal_binds=True,
        **_options(get_engine().dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    # An autogenerate that finds nothing writes no empty revision file.
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    engine = get_engine()
    options = _options(engine.dialect.name)
    if options.get("process_revision_directives") is None:
        options["process_revision_directives"] = process_revision_directives

    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration rebuilds a table (copy, drop, rename); with the check on, the
            # drop would cascade into or refuse over the rows referring to it. Off while the
            # migrations run, then the whole database is verified before anything goes on.
            connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
            connection.commit()  # the PRAGMA's autobegun transaction: the migrations open theirs
        context.configure(connection=connection, target_metadata=get_metadata(), **options)
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            connection.exec_driver_sql("PRAGMA foreign_keys = ON")
            connection.commit()
            if broken:
                raise RuntimeError(f"foreign keys broken after migrating: {broken[:10]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
