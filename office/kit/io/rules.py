"""The form rules that ask the database (UNIQUE and CHECK constraints), for a whole upload at
once.

The add/edit forms check each value against the stored rows (UNIQUE) and let the database judge
each CHECK constraint on the submitted values (office/kit/validation.py) - one or two queries
per field and row, fine for a form, 20,000 queries for a 10,000-row file. An import takes those
validators out of its per-row forms and applies the same constraints, with the same messages,
in a few set-based queries: the stored keys in chunked IN queries, the CHECK conditions over
the rows as a VALUES list. Everything else the forms check stays per row.
"""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask_appbuilder.validators import Unique

from office.kit.columns import RELATION, Col
from office.models import db

CHUNK = 400  # keys per IN query
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _validation():
    try:
        from office.kit import validation
    except ImportError:  # pragma: no cover - the form validation module is optional
        return None
    return validation


def is_database_rule(validator) -> bool:
    """A form validator that queries the database for one row (handled here in bulk)."""
    if isinstance(validator, Unique):
        return True
    v = _validation()
    return v is not None and isinstance(
        validator, (v.CheckConstraintValidator, v.UniqueConstraintValidator))


def strip_database_rules(form) -> None:
    """This form instance (reused for every row of an upload) without those validators."""
    for field in form:
        field.validators = [v for v in field.validators if not is_database_rule(v)]


def message(constraint, model, values: dict) -> str:
    v = _validation()
    if v is not None:
        return v.constraint_message(constraint, model, values)
    return "取值不符合规则"  # pragma: no cover


def _attr(col: Col) -> str:
    return col.fk if col.kind == RELATION else col.name


def final_values(model, row, present: list[Col], edit_columns: set[str], invalid) -> dict:
    """The row as it would be stored: the stored record (update) or the column defaults (new),
    with the file's values over it."""
    table = model.__table__
    existing = row.existing
    if existing is not None:
        values = {c.key: getattr(existing, c.key) for c in table.columns}
    else:
        values = {}
        for c in table.columns:
            default = c.default
            values[c.key] = default.arg if default is not None and default.is_scalar else None
    for col in present:
        value = row.values.get(col.name)
        if value is invalid or (existing is not None and col.name not in edit_columns):
            continue
        values[_attr(col)] = value
    return values


def _anchor(columns: list[str], present: list[Col]) -> str | None:
    """The file column that shows a constraint's error: the last one the constraint uses."""
    named = [c.name for c in present if _attr(c) in columns]
    return named[-1] if named else None


def check_rules(model, rows: list, values: list[dict], present: list[Col]) -> None:
    """Every CHECK constraint over all rows: per constraint, one query per chunk of rows,
    ``WITH submitted(...) AS (VALUES ...) SELECT row_index ... WHERE NOT (<condition>)`` - the
    database judges the condition exactly as on INSERT (NULL passes, as it does there)."""
    table = model.__table__
    conn = db.session.connection()
    dialect = conn.dialect
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    quote = dialect.identifier_preparer.quote
    for constraint in table.constraints:
        if not isinstance(constraint, sa.CheckConstraint) or getattr(
                constraint, "_type_bound", False):
            continue
        condition = str(constraint.sqltext)
        columns = list(dict.fromkeys(t for t in _IDENTIFIER.findall(condition)
                                     if t in table.c))
        anchor = _anchor(columns, present)
        if not columns or anchor is None:
            continue
        processors = [table.c[c].type.bind_processor(dialect) for c in columns]
        # PostgreSQL types a VALUES column from its rows: the first row says what each is.
        first = (f"(CAST({mark} AS INTEGER), " + ", ".join(
            f"CAST({mark} AS {table.c[c].type.compile(dialect=dialect)})" for c in columns)
            + ")") if dialect.name == "postgresql" else None
        plain = "(" + ", ".join([mark] * (len(columns) + 1)) + ")"
        where = condition.replace("%", "%%") if mark == "%s" else condition
        head = (f"WITH submitted (row_index, {', '.join(quote(c) for c in columns)}) AS "
                "(VALUES ")
        size = max(1, 900 // (len(columns) + 1))  # old SQLite builds allow 999 parameters
        for start in range(0, len(rows), size):
            part = range(start, min(start + size, len(rows)))
            params: list = []
            for i in part:
                params.append(i)
                for column, process in zip(columns, processors, strict=True):
                    value = values[i][column]
                    params.append(process(value) if process is not None else value)
            tuples = [first or plain] + [plain] * (len(part) - 1)
            sql = (head + ", ".join(tuples) + ") SELECT row_index FROM submitted "
                   f"WHERE NOT ({where})")
            for (i,) in conn.exec_driver_sql(sql, tuple(params)):
                shown = {c: values[i][c] for c in columns}
                rows[i].outcome.error(anchor, message(constraint, model, shown))


def unique_rules(model, rows: list, values: list[dict], present: list[Col]) -> None:
    """Every UNIQUE constraint against the stored rows (the row's own record excepted), in
    chunked IN queries. Duplicates within the file are found before (xlsx_import)."""
    table = model.__table__
    (pk,) = table.primary_key.columns
    for constraint in table.constraints:
        if not isinstance(constraint, sa.UniqueConstraint):
            continue
        columns = [c.key for c in constraint.columns]
        anchor = _anchor(columns, present)
        if anchor is None:
            continue
        wanted: dict[tuple, list[int]] = {}
        for i, vals in enumerate(values):
            key = tuple(vals[c] for c in columns)
            if not any(v is None or v == "" for v in key):
                wanted.setdefault(key, []).append(i)
        keys = list(wanted)
        cols = [table.c[c] for c in columns]
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start:start + CHUNK]
            clause = (cols[0].in_([k[0] for k in chunk]) if len(cols) == 1
                      else sa.tuple_(*cols).in_(chunk))
            with db.session.no_autoflush:
                found = db.session.execute(sa.select(pk, *cols).where(clause)).all()
            for stored_id, *key in found:
                for i in wanted.get(tuple(key), []):
                    own = rows[i].existing
                    if own is None or own.id != stored_id:
                        shown = dict(zip(columns, key, strict=True))
                        rows[i].outcome.error(anchor, message(constraint, model, shown))
