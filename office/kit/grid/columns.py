"""Spreadsheet mode, part 1: what a grid column is, derived from a ModelView's declarations.

A view declares ``list_columns``, ``add_columns``/``edit_columns`` and ``label_columns``; the
model's column types do the rest. This module turns those into one ``GridColumn`` per field
(shared by the page, the data endpoint and the save endpoint), writes a row as JSON for the
grid, and reads a pasted cell back into what the view's WTForms form expects as formdata
(the one validation path: grid_save.py hands that formdata to the same form as the edit page).

Stored vs shown values: an enum cell holds the member *name* ("company") and shows its
Chinese label ("物业服务企业"); a relation cell holds the related row's id and shows its
label. Pasted text may carry either form; ``to_formdata`` accepts both.
"""
from __future__ import annotations

import datetime as dt
import enum
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from office.models import db

TEXT, LONGTEXT, INT, DECIMAL, DATE, DATETIME, BOOL, ENUM, FK, OTHER = (
    "text", "longtext", "int", "decimal", "date", "datetime", "bool", "enum", "fk", "other",
)
BOOKKEEPING = {"id", "created_at", "updated_at", "version"}


@dataclass
class GridColumn:
    """One column of a view's grid."""

    field: str  # the view's column name; for a relation, the relationship name ("township")
    title: str
    kind: str
    column: sa.Column | None = None  # the table column (the FK column for a relation)
    nullable: bool = True
    max_length: int | None = None
    enum_cls: type[enum.Enum] | None = None
    related: type | None = None  # related model of a many-to-one relation
    label_column: str | None = None  # the related model's "name"-like column, if it has one
    on_list: bool = True  # declared in list_columns (else only in the add/edit forms)
    can_update: bool = False  # in edit_columns
    can_insert: bool = False  # in add_columns
    sortable: bool = False
    filterable: bool = False
    choices: list[tuple[str, str]] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The attribute whose stored value the cell shows (FK column key for relations)."""
        return self.column.key if self.column is not None else self.field

    def spec(self) -> dict:
        """What the browser needs to build this column (see static/grid/grid.js)."""
        out = {
            "field": self.field, "title": self.title, "kind": self.kind,
            "nullable": self.nullable, "maxLength": self.max_length,
            "onList": self.on_list, "canUpdate": self.can_update, "canInsert": self.can_insert,
            "sortable": self.sortable, "filterable": self.filterable,
        }
        if self.kind == ENUM:
            out["choices"] = [{"value": n, "label": lab} for n, lab in self.choices]
        return out


def _label_column(model) -> str | None:
    cols = model.__table__.c
    for name in ("name", "title", "person", "number"):
        if name in cols:
            return name
    return None


def _kind_of(col: sa.Column) -> str:
    t = col.type
    if isinstance(t, sa.Enum) and t.enum_class is not None:
        return ENUM
    if isinstance(t, sa.Boolean):
        return BOOL
    if isinstance(t, sa.DateTime):
        return DATETIME
    if isinstance(t, sa.Date):
        return DATE
    if isinstance(t, sa.Integer):
        return INT
    if isinstance(t, sa.Numeric):
        return DECIMAL
    if isinstance(t, sa.Text):
        return LONGTEXT
    if isinstance(t, sa.String):
        return TEXT
    return OTHER


def build_columns(view) -> list[GridColumn]:
    """The grid's columns: the list columns first, then what the add/edit forms add."""
    model = view.datamodel.obj
    mapper = sa.inspect(model)
    table = model.__table__
    listed = list(view.list_columns or [])
    edit = list(view.edit_columns or [])
    add = list(view.add_columns or [])
    names = listed + [c for c in edit + add if c not in listed]
    out: list[GridColumn] = []
    seen: set[str] = set()
    for name in names:
        if name in seen or name in BOOKKEEPING or "." in name:
            continue
        seen.add(name)
        title = str(view.label_columns.get(name, name))
        common = {"on_list": name in listed, "can_update": name in edit,
                  "can_insert": name in add}
        rel = mapper.relationships.get(name)
        if rel is not None:
            if rel.direction.name != "MANYTOONE" or len(rel.local_columns) != 1:
                continue  # collections are not spreadsheet cells
            (fk,) = rel.local_columns
            related = rel.mapper.class_
            label = _label_column(related)
            out.append(GridColumn(
                name, title, FK, column=fk, nullable=fk.nullable, related=related,
                label_column=label, sortable=label is not None, filterable=True, **common,
            ))
            continue
        if name in table.c:
            col = table.c[name]
            kind = _kind_of(col)
            gc = GridColumn(
                name, title, kind, column=col, nullable=bool(col.nullable),
                sortable=kind not in (LONGTEXT, OTHER),
                filterable=kind != OTHER, **common,
            )
            if kind in (TEXT,) and getattr(col.type, "length", None):
                gc.max_length = col.type.length
            if kind == ENUM:
                gc.enum_cls = col.type.enum_class
                gc.choices = [(m.name, str(m.value)) for m in gc.enum_cls]
            out.append(gc)
            continue
        # a property or function of the model: shown, never edited, not sortable
        common.update(can_update=False, can_insert=False)
        out.append(GridColumn(name, title, OTHER, **common))
    return out


# ---------------------------------------------------------------- values out (rows as JSON)


def cell_value(col: GridColumn, item):
    """The stored value of one cell, JSON-ready."""
    if col.kind == OTHER:
        value = getattr(item, col.field, None)
        return None if value is None else str(value)
    value = getattr(item, col.key)
    if value is None:
        return None
    if col.kind == ENUM:
        return value.name
    if col.kind in (DATE, DATETIME):
        return value.isoformat(sep=" ") if col.kind == DATETIME else value.isoformat()
    if col.kind == DECIMAL:
        return format(value, "f")
    return value


def row_json(columns: list[GridColumn], item) -> dict:
    """A row for the grid: stored values, labels of related rows, id and version."""
    row = {"id": item.id, "_key": str(item.id)}
    if hasattr(item, "version"):
        row["_version"] = item.version
    labels = {}
    for col in columns:
        row[col.field] = cell_value(col, item)
        if col.kind == FK and row[col.field] is not None:
            related = getattr(item, col.field)  # joined by the query: no extra SELECT
            labels[col.field] = str(related) if related is not None else None
    row["_labels"] = labels
    return row


# ---------------------------------------------------------------- values in (pasted text)

_DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
TRUE_WORDS = {"1", "y", "yes", "true", "t", "是", "有", "√", "✓", "已归档", "on"}
FALSE_WORDS = {"0", "n", "no", "false", "f", "否", "无", "×", "✗", "off", ""}


class CellError(ValueError):
    """A pasted value that cannot even be put to the form (message is Chinese)."""


def _norm(text: str) -> str:
    """Full-width digits and punctuation as typed on a Chinese keyboard → ASCII."""
    return unicodedata.normalize("NFKC", text).strip()


def normalize_date(raw: str) -> str:
    text = _norm(raw)
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                return dt.date(y, mo, d).isoformat()
            except ValueError:
                raise CellError(f"不是有效日期：{raw}") from None
    return text  # the form's DateField reports it


def resolve_related(col: GridColumn, raw) -> str:
    """A relation cell: an id, or the related row's label as pasted (looked up in the user's
    write scope; the form then checks the id against that scope again)."""
    from office.scope import current_scope, scope_clause

    if isinstance(raw, int):
        return str(raw)
    text = _norm(str(raw))
    if text.isdigit():
        return text
    if col.label_column is None:
        raise CellError(f"请从下拉列表选择{col.title}")
    label = getattr(col.related, col.label_column)
    stmt = sa.select(col.related.id).where(label == text).limit(2)
    clause = scope_clause(col.related, current_scope(), write=True)
    if clause is not None:
        stmt = stmt.where(clause)
    ids = db.session.execute(stmt).scalars().all()
    if not ids:
        raise CellError(f"未找到{col.title}「{text}」（或不在您的管辖范围内）")
    if len(ids) > 1:
        raise CellError(f"{col.title}「{text}」不唯一，请从下拉列表选择")
    return str(ids[0])


def to_formdata(col: GridColumn, raw) -> str | None:
    """One grid value → the string the WTForms field expects (None: leave the key out)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if col.kind == FK:
            return "__None"
        if col.kind == BOOL:
            return "false"
        return ""
    if col.kind == BOOL:
        if isinstance(raw, bool):
            return "y" if raw else "false"
        word = _norm(str(raw)).lower()
        if word in TRUE_WORDS:
            return "y"
        if word in FALSE_WORDS:
            return "false"
        raise CellError(f"请填写“是”或“否”：{raw}")
    if col.kind == ENUM:
        text = _norm(str(raw))
        for name, label in col.choices:
            if text == name or text == label or text.lower() == name.lower():
                return name
        allowed = "、".join(label for _, label in col.choices)
        raise CellError(f"“{raw}”不是可选值（可选：{allowed}）")
    if col.kind == FK:
        return resolve_related(col, raw)
    if col.kind == DATE:
        return normalize_date(str(raw))
    if col.kind in (INT, DECIMAL):
        if isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool):
            return str(raw)
        text = _norm(str(raw)).replace(",", "").replace(" ", "")
        return text
    return str(raw).strip()


def from_text(col: sa.Column, text: str | None):
    """A ChangeLog value (services/audit.to_text) back to the column's Python value."""
    if text is None:
        return None
    t = col.type
    if isinstance(t, sa.Enum) and t.enum_class is not None:
        return t.enum_class[text]
    if isinstance(t, sa.Boolean):
        return text in ("True", "true", "1")
    if isinstance(t, sa.DateTime):
        return dt.datetime.fromisoformat(text)
    if isinstance(t, sa.Date):
        return dt.date.fromisoformat(text)
    if isinstance(t, sa.Integer):
        return int(text)
    if isinstance(t, sa.Numeric):
        return Decimal(text)
    return text
