"""Shared model machinery: the one metadata, timestamps, optimistic locking, enums, scope rules."""
from __future__ import annotations

import datetime as dt
import enum
import sqlite3
from dataclasses import dataclass

import sqlalchemy as sa
from flask_appbuilder import Model
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

# Alembic needs deterministic constraint names to diff and to drop them later.
Model.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# One metadata for FAB's security tables and ours, so one migration history covers both.
db = SQLAlchemy(model_class=Model)


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_enforces_foreign_keys(dbapi_connection, connection_record) -> None:
    """SQLite checks foreign keys only when each connection asks: every one does - the app's,
    the seeder's, the tests' and the migrations' (migrations/env.py turns the check off while a
    table is rebuilt, then verifies the whole database with PRAGMA foreign_key_check)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class LabelledEnum(enum.Enum):
    """Stored by member name (English), shown by value (Chinese label)."""

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.name, m.value) for m in cls]


def enum_column(enum_cls: type[LabelledEnum], **kw) -> sa.Enum:
    """A VARCHAR with a CHECK constraint: portable across SQLite and PostgreSQL."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.name) for m in enum_cls),
        name=enum_cls.__name__.lower(),
        validate_strings=True,
        **kw,
    )


@dataclass(frozen=True)
class ScopeRule:
    """How a row reaches the township or department that owns it.

    Paths are dotted relationship chains ending in a column, e.g. "compound.township_id".
    ``public_read`` rows (the directory, companies, the plan) are readable by every role that
    has the permission; writes are still limited to the user's own township/department.
    """

    township: str | None = None
    department: str | None = None
    public_read: bool = False


class AuditedMixin:
    """created_at/updated_at on every table."""

    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, nullable=False
    )


class VersionedMixin(AuditedMixin):
    """Editable tables carry a version; SQLAlchemy refuses a stale UPDATE (StaleDataError)."""

    version: Mapped[int] = mapped_column(nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}
