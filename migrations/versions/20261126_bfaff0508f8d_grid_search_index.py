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

The fts_* and page_* objects live outside the ORM metadata: office.services.grid_search
(include_name / include_object) keeps autogenerate from proposing to drop it. The SQL text
of the indexed expression must stay identical to grid_search.text_sql().

Revision ID: bfaff0508f8d
Revises: f416882e6500
Create Date: 2026-11-26 15:00:00
"""
from alembic import op

revision = "bfaff0508f8d"
down_revision = "f416882e6500"
branch_labels = None
depends_on = None

TABLE = "compound"
COLUMNS = ("name", "community", "address")
SEQ_MAX = 512  # longer than name + community + address together (80 + 50 + 200 + 2)


def _text(prefix: str = "") -> str:
    return "(" + " || ' ' || ".join(f"coalesce({prefix}{c}, '')" for c in COLUMNS) + ")"


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


def _grams(text: str) -> str:
    return (f"(SELECT ' ' || coalesce(group_concat(substr({text}, n, 2), ' '), '') || ' ' "
            f"FROM fts_seq WHERE n < length({text}))")


def _row(prefix: str) -> tuple[str, str]:
    text = _text(prefix)
    return text, _grams(text)


def _upgrade_sqlite():
    op.execute("CREATE TABLE IF NOT EXISTS fts_seq (n INTEGER PRIMARY KEY)")
    op.execute(
        "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < "
        f"{SEQ_MAX}) INSERT OR IGNORE INTO fts_seq (n) SELECT n FROM s"
    )
    op.execute(
        f"CREATE VIRTUAL TABLE fts_{TABLE} USING fts5("
        "t, g, tokenize = 'trigram', detail = 'none', content = '')"
    )
    new_t, new_g = _row("new.")
    old_t, old_g = _row("old.")
    insert = f"INSERT INTO fts_{TABLE} (rowid, t, g) VALUES (new.id, {new_t}, {new_g});"
    delete = (f"INSERT INTO fts_{TABLE} (fts_{TABLE}, rowid, t, g) "
              f"VALUES ('delete', old.id, {old_t}, {old_g});")
    op.execute(f"CREATE TRIGGER fts_{TABLE}_ai AFTER INSERT ON {TABLE} BEGIN {insert} END")
    op.execute(f"CREATE TRIGGER fts_{TABLE}_ad AFTER DELETE ON {TABLE} BEGIN {delete} END")
    op.execute(
        f"CREATE TRIGGER fts_{TABLE}_au AFTER UPDATE OF {', '.join(COLUMNS)} ON {TABLE} "
        f"BEGIN {delete} {insert} END"
    )
    t, g = _row(f"{TABLE}.")
    op.execute(f"INSERT INTO fts_{TABLE} (rowid, t, g) SELECT {TABLE}.id, {t}, {g} FROM {TABLE}")
    op.execute(f"CREATE INDEX page_{TABLE}_id ON {TABLE} (id)")


def _downgrade_sqlite():
    op.execute(f"DROP INDEX IF EXISTS page_{TABLE}_id")
    for suffix in ("au", "ad", "ai"):
        op.execute(f"DROP TRIGGER IF EXISTS fts_{TABLE}_{suffix}")
    op.execute(f"DROP TABLE IF EXISTS fts_{TABLE}")
    op.execute("DROP TABLE IF EXISTS fts_seq")


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
