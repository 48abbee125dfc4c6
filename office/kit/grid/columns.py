"""Spreadsheet mode, part 1: the grid's columns and its rows as JSON.

A view declares ``list_columns``, ``add_columns``/``edit_columns`` and ``label_columns``; the
one column description (kit/columns.py) does the rest. A pasted cell is read by the one
conversion (kit/values.py) and a related row by the one naming rule (kit/refs.py), exactly as
an imported cell is, then handed to the view's own form as formdata (kit/rowform.py).

Stored vs shown values: an enum cell holds the member *name* ("company") and shows its
Chinese label ("物业服务企业"); a relation cell holds the related row's id and shows its
label (its name, as a spreadsheet names it).
"""
from __future__ import annotations

from office.kit.columns import (
    BOOKKEEPING,
    BOOL,
    DATE,
    DATETIME,
    DECIMAL,
    ENUM,
    OTHER,
    RELATION,
    Col,
    describe,
)
from office.kit.refs import RefIndex, label_of
from office.kit.values import CellError, convert, form_text, is_blank, nfkc


def build_columns(view) -> list[Col]:
    """The grid's columns: the list columns first, then what the add/edit forms add."""
    listed = list(view.list_columns or [])
    edit = list(view.edit_columns or [])
    add = list(view.add_columns or [])
    names = listed + [c for c in edit + add if c not in listed]
    out: list[Col] = []
    seen: set[str] = set()
    model = view.datamodel.obj
    for name in names:
        if name in seen or name in BOOKKEEPING or "." in name:
            continue
        seen.add(name)
        col = describe(view, name)
        if col is None:
            if view.datamodel.is_relation(name) or not hasattr(model, name):
                continue  # collections are not spreadsheet cells
            # a property or function of the model: shown, never edited, not sortable
            col = Col(name, str(view.label_columns.get(name, name)), OTHER,
                      on_list=name in listed)
            out.append(col)
            continue
        col.on_list, col.can_update, col.can_insert = name in listed, name in edit, name in add
        out.append(col)
    return out


# ---------------------------------------------------------------- values out (rows as JSON)


def cell_value(col: Col, item):
    """The stored value of one cell, JSON-ready."""
    if col.kind == OTHER:
        value = getattr(item, col.name, None)
        return None if value is None else str(value)
    value = getattr(item, col.key)
    if value is None:
        return None
    if col.kind == ENUM:
        return value.name
    if col.kind == DATETIME:
        return value.isoformat(sep=" ")
    if col.kind == DATE:
        return value.isoformat()
    if col.kind == DECIMAL:
        return format(value, "f")
    return value


def row_json(columns: list[Col], item) -> dict:
    """A row for the grid: stored values, labels of related rows, id and version."""
    row = {"id": item.id, "_key": str(item.id)}
    if hasattr(item, "version"):
        row["_version"] = item.version
    labels = {}
    for col in columns:
        row[col.name] = cell_value(col, item)
        if col.kind == RELATION and row[col.name] is not None:
            related = getattr(item, col.name)  # joined by the query: no extra SELECT
            labels[col.name] = label_of(related) if related is not None else None
    row["_labels"] = labels
    return row


# ---------------------------------------------------------------- values in (pasted text)


def ref_indexes(columns: dict[str, Col], rows, scope) -> dict[str, RefIndex]:
    """For each relation column, the related rows named by the batch's pasted texts - the same
    index an import resolves against, narrowed to those names."""
    wanted: dict[str, set[str]] = {}
    for row in rows:
        values = row.get("values") if isinstance(row, dict) else None
        for name, raw in (values or {}).items() if isinstance(values, dict) else ():
            col = columns.get(name)
            if col is not None and col.kind == RELATION and isinstance(raw, str) \
                    and not is_blank(raw):
                wanted.setdefault(name, set()).add(nfkc(raw))
    return {name: RefIndex(columns[name].target, columns[name].label, scope, names=texts)
            for name, texts in wanted.items()}


def to_formdata(col: Col, raw, refs: dict[str, RefIndex]) -> str:
    """One grid value → the string the WTForms field expects; CellError (Chinese) if unreadable.

    A relation cell is the row's id when picked from the dropdown (a JSON number), else
    pasted text named by the one naming rule."""
    if is_blank(raw):
        if col.kind == RELATION:
            return "__None"
        return "false" if col.kind == BOOL else ""
    if col.kind == RELATION:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return str(raw)
        return str(refs[col.name].resolve(nfkc(str(raw))))
    return form_text(col, convert(col, raw))


__all__ = ["CellError", "build_columns", "cell_value", "row_json", "ref_indexes", "to_formdata"]
