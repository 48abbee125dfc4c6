"""Spreadsheet mode, part 2: the global search box, served by an index where one exists.

A search term is matched (contains, case-insensitive) against a view's ``search_columns``:
text columns, the label of related rows (township name …), enum labels, whole numbers and
dates. The text columns of the large tables have a substring index, created by the migration
``*_grid_search_index``, for the columns a model lists in ``__search_index__``:

* PostgreSQL: pg_trgm GIN indexes on the concatenated text (terms of 3+ characters) and on
  its bigram string ``fts_grams(text)`` (terms of 2 characters: a trigram index cannot answer
  "花园", which has no trigram). The planner picks the index for a rare term and the primary
  key scan for a common one (it has statistics on both expressions).
* SQLite: an FTS5 virtual table ``fts_<table>`` with the trigram tokenizer (detail=none,
  contentless), holding the same text and bigram string, kept in step by triggers (their DDL:
  grid_search_ddl, shared by the migration and the demo seeder's bulk load). Ordered by
  id the query is driven by the FTS index in rowid order and stops after one page.

The index only narrows the candidates; every row is re-checked with LIKE on the real columns,
so the result is exactly "contains". One-character terms fall back to LIKE (a scan).

Nothing here is in the ORM metadata: ``include_name``/``include_object`` keep Alembic's
autogenerate (and the drift test) from proposing to drop them. Everything is named ``fts_*``
(and the SQLite-only paging index ``page_compound_id``, see the migration).
"""
from __future__ import annotations

import datetime as dt
import re
from functools import cache

import sqlalchemy as sa

from office.kit.columns import DATE, ENUM, INT, RELATION, STRING, TEXT, Col
from office.models import db

PREFIX = "fts_"
# Objects the migrations create outside the models: search indexes (fts_*) and SQLite-only
# paging indexes (page_*: a narrow index on id, for OFFSET over id order).
UNMODELLED = (PREFIX, "page_")



@cache
def search_indexes() -> dict[str, tuple[str, ...]]:
    """table → the text columns its search index covers, as each model declares them
    (``__search_index__``; the index itself is made by a migration, which must match)."""
    return {m.local_table.name: tuple(m.class_.__search_index__)
            for m in db.Model.registry.mappers if vars(m.class_).get("__search_index__")}


def include_name(name, type_, parent_names) -> bool:
    """Alembic ``include_name``: search and paging indexes are not part of the models."""
    return not (type_ in ("table", "index") and name and name.startswith(UNMODELLED))


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic ``include_object``: the same rule, for objects already reflected."""
    return not (reflected and compare_to is None and name and str(name).startswith(UNMODELLED))


# ---------------------------------------------------------------- SQL text of the index

def text_sql(table: str, qualify: bool = True, prefix: str | None = None) -> str:
    """The concatenated text the index holds (the migration and grid_search_ddl use it too).
    Columns are qualified with ``prefix`` if given (``new.`` in a trigger), else with the
    table's name unless ``qualify`` is false."""
    if prefix is None:
        prefix = f"{table}." if qualify else ""
    parts = [f"coalesce({prefix}{c}, '')" for c in search_indexes()[table]]
    return "(" + " || ' ' || ".join(parts) + ")"


def escape_like(term: str) -> str:
    return re.sub(r"([\\%_])", r"\\\1", term)


def _fts_phrase(term: str) -> str:
    """An FTS5 string token: quoted, inner quotes doubled."""
    return '"' + term.replace('"', '""') + '"'


def fts_match(term: str) -> str | None:
    """The FTS5 MATCH expression that narrows to rows containing ``term`` (detail=none: an
    AND of trigrams, not a phrase), or None when the index cannot help (1 character)."""
    n = len(term)
    if n >= 3:
        grams = {term[i:i + 3] for i in range(n - 2)}
        return " AND ".join(_fts_phrase(g) for g in sorted(grams))
    if n == 2:
        return f"{_fts_phrase(' ' + term)} AND {_fts_phrase(term + ' ')}"
    return None


class Search:
    """The pieces of one search, for grid_query to place in its statement."""

    def __init__(self, clause, fts_table: str | None = None, fts_match: str | None = None):
        self.clause = clause  # WHERE condition (always exact)
        self.fts_table = fts_table  # SQLite: the FTS table that may drive the query
        self.fts_match = fts_match


def _contains(col, pattern):
    return col.ilike(pattern, escape="\\")


def build(model, columns: list[Col], search_columns, term: str, dialect: str):
    """The search condition for ``term`` over the view's search columns (None: no search)."""
    term = (term or "").strip()
    if not term:
        return None
    table = model.__table__.name
    pattern = f"%{escape_like(term)}%"
    by_field = {c.name: c for c in columns}
    wanted = [by_field[f] for f in search_columns or [] if f in by_field]
    text_cols = [c for c in wanted if c.kind in (STRING, TEXT)]
    indexed = [c for c in text_cols if c.name in search_indexes().get(table, ())]
    branches = []
    fts_table = match = None

    if indexed:
        recheck = sa.or_(*[_contains(c.column, pattern) for c in indexed])
        if dialect == "postgresql" and len(term) >= 2:
            text = sa.literal_column(text_sql(table))
            if len(term) >= 3:
                narrow = text.ilike(pattern, escape="\\")
            else:
                narrow = sa.func.fts_grams(text).like(f"% {escape_like(term)} %", escape="\\")
            branches.append(sa.and_(narrow, recheck))
        elif dialect == "sqlite" and (m := fts_match(term)):
            fts_table, match = PREFIX + table, m
            fts = sa.table(fts_table, sa.column("rowid"))
            ids = sa.select(fts.c.rowid).where(sa.text(f"{fts_table} MATCH :fts_q"))
            ids = ids.params(fts_q=m)
            branches.append(sa.and_(model.id.in_(ids.scalar_subquery()), recheck))
        else:
            branches.append(recheck)
    branches += [_contains(c.column, pattern) for c in text_cols if c not in indexed]

    for c in wanted:
        if c.kind == ENUM:
            members = [name for name, label in c.choices
                       if term in label or term.lower() == name.lower()]
            if members:
                branches.append(c.column.in_([c.enum[m] for m in members]))
        elif c.kind == RELATION and c.ref.by_name:
            label = c.target.name
            ids = sa.select(c.target.id).where(_contains(label, pattern))
            if dialect == "postgresql":
                # = ANY(ARRAY(subquery)) is an InitPlan the planner can use an index with,
                # also inside an OR (an IN-subquery there becomes a per-row SubPlan).
                branches.append(c.column == sa.func.any(sa.func.array(ids.scalar_subquery())))
            else:
                branches.append(c.column.in_(ids.scalar_subquery()))
        elif c.kind == INT and term.isdigit():
            branches.append(c.column == int(term))
        elif c.kind == DATE:
            try:
                branches.append(c.column == dt.date.fromisoformat(term))
            except ValueError:
                pass
    if not branches:
        return Search(sa.false())
    return Search(sa.or_(*branches), fts_table if len(branches) == 1 else None, match)
