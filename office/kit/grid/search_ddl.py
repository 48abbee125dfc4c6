"""The SQLite search index's DDL, in one place: the FTS5 table, the triggers that keep it in
step with its table, and the statement that fills it.

Two users: the migration ``bfaff0508f8d`` (grid search index) creates the index from here, and
the demo seeder (``seed_base.Sink``) drops the triggers for its bulk load, fills the index
once with ``fill`` and creates the triggers again from here, all in its one transaction.

A migration has run this text: changing it changes what *new* databases get, not existing
ones. Change it only together with a new migration that drops the triggers
(``drop_triggers``), creates them again (``triggers``) and, when the indexed text changed,
empties and refills the FTS table.

The indexed text is ``grid_search.text_sql`` (name, community and address), plus its bigram
string: ``" 花园 园小 小区 "`` (2-character terms, which have no trigram). SQLite triggers
cannot loop or use WITH, so the bigrams are cut with the numbers table ``fts_seq``.
"""
from __future__ import annotations

from office.kit.grid.search import PREFIX, search_indexes, text_sql

SEQ_MAX = 512  # longer than name + community + address together (80 + 50 + 200 + 2)
TRIGGERS = ("ai", "ad", "au")  # after insert, delete, update


def fts_table(table: str) -> str:
    return PREFIX + table


def trigger_names(table: str) -> list[str]:
    return [f"{PREFIX}{table}_{suffix}" for suffix in TRIGGERS]


def _grams(text: str) -> str:
    return (f"(SELECT ' ' || coalesce(group_concat(substr({text}, n, 2), ' '), '') || ' ' "
            f"FROM fts_seq WHERE n < length({text}))")


def _row(table: str, prefix: str) -> tuple[str, str]:
    """(text, bigrams) of the row ``prefix`` names (``new.``, ``old.``, ``compound.``)."""
    text = text_sql(table, prefix=prefix)
    return text, _grams(text)


def create(table: str) -> list[str]:
    """Everything the migration creates for ``table`` on SQLite, in order: the numbers table,
    the FTS5 table, its triggers and its contents."""
    fts = fts_table(table)
    return [
        "CREATE TABLE IF NOT EXISTS fts_seq (n INTEGER PRIMARY KEY)",
        "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < "
        f"{SEQ_MAX}) INSERT OR IGNORE INTO fts_seq (n) SELECT n FROM s",
        # Contentless (the text is in the table), detail=none (no positions: the query is an
        # AND of trigrams, rechecked with LIKE): the smallest index that answers "contains".
        f"CREATE VIRTUAL TABLE {fts} USING fts5("
        "t, g, tokenize = 'trigram', detail = 'none', content = '')",
        *triggers(table),
        fill(table),
    ]


def triggers(table: str) -> list[str]:
    """CREATE TRIGGER for insert, delete and update of the indexed columns."""
    fts = fts_table(table)
    new_t, new_g = _row(table, "new.")
    old_t, old_g = _row(table, "old.")
    insert = f"INSERT INTO {fts} (rowid, t, g) VALUES (new.id, {new_t}, {new_g});"
    # A contentless table forgets the text: a delete must give the values that were indexed.
    delete = f"INSERT INTO {fts} ({fts}, rowid, t, g) VALUES ('delete', old.id, {old_t}, {old_g});"
    ai, ad, au = trigger_names(table)
    return [
        f"CREATE TRIGGER {ai} AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER {ad} AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER {au} AFTER UPDATE OF {', '.join(search_indexes()[table])} ON {table} "
        f"BEGIN {delete} {insert} END",
    ]


def drop_triggers(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name}" for name in reversed(trigger_names(table))]


def fill(table: str, after_id: int | None = None) -> str:
    """Index the rows of ``table`` in one statement (all of them, or those with id >
    ``after_id``: rows the triggers did not see)."""
    text, grams = _row(table, f"{table}.")
    where = "" if after_id is None else f" WHERE {table}.id > {int(after_id)}"
    return (f"INSERT INTO {fts_table(table)} (rowid, t, g) "
            f"SELECT {table}.id, {text}, {grams} FROM {table}{where}")


def drop(table: str) -> list[str]:
    """What the migration's downgrade removes for ``table`` (the reverse of ``create``)."""
    return [*drop_triggers(table), f"DROP TABLE IF EXISTS {fts_table(table)}",
            "DROP TABLE IF EXISTS fts_seq"]
