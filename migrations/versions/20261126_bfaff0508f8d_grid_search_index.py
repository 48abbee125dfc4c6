"""grid search index: substring search over compound name/community/address; paging indexes

Both: ix_compound_name on (name, id), declared in the model: the list's default order, and an
index-only scan for its deep pages on PostgreSQL.

PostgreSQL: pg_trgm GIN indexes on the concatenated text (terms of 3+ characters) and on its
bigram string fts_grams(text) (2-character terms such as 花园, which have no trigram).
SQLite: an FTS5 trigram table fts_compound (detail=none, contentless) over the same text and
bigram string, kept in step by triggers; fts_seq is the numbers table the triggers use to cut
bigrams (SQLite triggers cannot loop or use WITH); page_compound_id, a narrow index on id
alone, so OFFSET over id order walks a small index instead of the whole table (PostgreSQL's
primary key index already is one).

The fts_* and page_* objects live outside the ORM metadata: office.kit.grid.search
(include_name / include_object) keeps autogenerate from proposing to drop it. The indexed
expression is grid_search.text_sql(); the SQLite DDL (FTS5 table, triggers, fill) is
office.kit.grid.search_ddl, which the demo seeder also uses to drop and recreate the
triggers around its bulk load (change it only with a new migration, see there).

Revision ID: bfaff0508f8d
Revises: f416882e6500
Create Date: 2026-11-26 15:00:00
"""
from alembic import op

from office.kit.grid import search_ddl as ddl
from office.kit.grid.search import text_sql

revision = "bfaff0508f8d"
down_revision = "f416882e6500"
branch_labels = None
depends_on = None

TABLE = "compound"


def _text() -> str:
    return text_sql(TABLE, qualify=False)


# ---------------------------------------------------------------- PostgreSQL

PG_GRAMS = """
CREATE OR REPLACE FUNCTION fts_grams(text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT ' ' || coalesce(string_agg(substr($1, i, 2), ' '), '') || ' '
  FROM generate_series(1, char_length($1) - 1) AS i
$$
"""


def _upgrade_postgresql():
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(PG_GRAMS)
    op.execute(f"CREATE INDEX fts_{TABLE}_text ON {TABLE} USING gin ({_text()} gin_trgm_ops)")
    op.execute(
        f"CREATE INDEX fts_{TABLE}_grams ON {TABLE} USING gin (fts_grams({_text()}) gin_trgm_ops)"
    )


def _downgrade_postgresql():
    op.execute(f"DROP INDEX IF EXISTS fts_{TABLE}_grams")
    op.execute(f"DROP INDEX IF EXISTS fts_{TABLE}_text")
    op.execute("DROP FUNCTION IF EXISTS fts_grams(text)")


# ---------------------------------------------------------------- SQLite


def _upgrade_sqlite():
    for statement in ddl.create(TABLE):
        op.execute(statement)
    op.execute(f"CREATE INDEX page_{TABLE}_id ON {TABLE} (id)")


def _downgrade_sqlite():
    op.execute(f"DROP INDEX IF EXISTS page_{TABLE}_id")
    for statement in ddl.drop(TABLE):
        op.execute(statement)


def upgrade():
    dialect = op.get_bind().dialect.name
    op.create_index("ix_compound_name", TABLE, ["name", "id"])
    if dialect == "postgresql":
        _upgrade_postgresql()
    elif dialect == "sqlite":
        _upgrade_sqlite()


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        _downgrade_postgresql()
    elif dialect == "sqlite":
        _downgrade_sqlite()
    op.drop_index("ix_compound_name", TABLE)
