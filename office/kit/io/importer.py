"""Validate an uploaded sheet, row by row, before anything is saved.

One validation path: every row goes through the screen's own add form (or edit form, for a
row that matches an existing record on the view's `business_key`), with the row as formdata -
the same required fields, lengths, uniqueness, model hooks and CHECK rules as the edit page.
Around it, what a form cannot know: reading the cell (dates, numbers, labels), naming related
rows (resolved in the user's write scope, so a row into another township is an error on that
row), duplicates within the file, and the row scope of the result.

Work per upload, not per row: related rows are indexed once (label → id), the rows they
name loaded in one IN query per relation, existing records matched on the business key in
chunked tuple-IN queries, and each form's dropdowns are given their one chosen row instead
of querying their choices.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from office.kit.columns import RELATION, Col, columns_for, header_key
from office.kit.i18n import Term, error_text
from office.kit.io.read import ImportFileError, Sheet
from office.kit.io.rules import check_rules, final_values, strip_database_rules, unique_rules
from office.kit.refs import RefIndex, load_objects
from office.kit.rowform import REQUIRED, RowForms
from office.kit.validation import NOT_A_CHOICE
from office.kit.values import CellError, convert, form_text, to_store
from office.models import db
from office.scope import UserScope, in_scope

INVALID = object()  # a cell that could not be read; its error is already recorded
_WTFORMS_MESSAGES = {
    "This field is required.": REQUIRED,
    "Not a valid choice": NOT_A_CHOICE,
    "Not a valid choice.": NOT_A_CHOICE,
    "Already exists.": "系统中已有相同的值",
    "Not a valid integer value.": "不是整数",
    "Not a valid decimal value.": "不是数字",
    "Not a valid date value.": "不是有效的日期",
}


@dataclass
class ImportSpec:
    """What importing into one screen means."""

    view: object
    cols: list[Col]
    key: list[str]
    edit_columns: set[str]

    @property
    def model(self):
        return self.view.datamodel.obj

    def col(self, name: str) -> Col:
        return next(c for c in self.cols if c.name == name)

    def known_headers(self) -> dict[str, str]:
        known = {}
        for c in self.cols:
            known[header_key(c.name)] = c.name
        for c in self.cols:
            known[header_key(c.label)] = c.name
            known.setdefault(header_key(c.source_label or c.label), c.name)  # a Chinese sheet
        return known


def import_spec(view) -> ImportSpec:
    cols = columns_for(view, view.add_columns or [])
    form = view.add_form(formdata=None, meta={"csrf": False})
    for c in cols:
        if c.name in form:
            c.required = bool(form[c.name].flags.required)
    key = [k for k in (getattr(view, "business_key", None) or []) if any(c.name == k for c in cols)]
    return ImportSpec(view, cols, key, set(view.edit_columns or []))


@dataclass
class RowOutcome:
    row: int                                        # Excel row number
    errors: list[tuple[str | None, str]] = field(default_factory=list)
    action: str | None = None                       # new | update | same
    id: int | None = None
    version: int | None = None
    values: dict = field(default_factory=dict)      # JSON: all values (new) or changes (update)

    def error(self, column: str | None, message: str) -> None:
        self.errors.append((column, message))

    def to_json(self) -> dict:
        return {"row": self.row, "errors": self.errors, "action": self.action, "id": self.id,
                "version": self.version, "values": self.values}


@dataclass
class _Row:
    outcome: RowOutcome
    values: dict = field(default_factory=dict)      # column → typed value / related id
    existing: object | None = None

    def good(self, name: str) -> bool:
        return self.values.get(name) not in (None, INVALID)


def _attr(model, col: Col):
    return getattr(model, col.fk if col.kind == RELATION else col.name)


def _read_cells(spec: ImportSpec, sheet: Sheet, present: list[Col], scope) -> list[_Row]:
    position = {name: i for i, name in enumerate(sheet.columns) if name}
    refs = {c.name: RefIndex(c.target, c.label, scope) for c in present if c.kind == RELATION}
    rows = []
    for number, cells in sheet.rows:
        row = _Row(RowOutcome(number))
        for c in present:
            try:
                value = convert(c, cells[position[c.name]])
                if value is None and c.required:
                    raise CellError(REQUIRED)
                if value is not None and c.kind == RELATION:
                    value = refs[c.name].resolve(value)
            except CellError as exc:
                row.outcome.error(c.name, exc.at(number, c))
                value = INVALID
            row.values[c.name] = value
        rows.append(row)
    return rows


def _key_of(spec: ImportSpec, row: _Row):
    if not spec.key or not all(row.good(k) for k in spec.key):
        return None
    return tuple(row.values[k] for k in spec.key)


def _match_existing(spec: ImportSpec, rows: list[_Row]) -> None:
    """Attach the stored record each row's business key names (any scope; checked later)."""
    keys = {k for k in (_key_of(spec, r) for r in rows) if k is not None}
    if not keys:
        return
    model = spec.model
    attrs = [_attr(model, spec.col(k)) for k in spec.key]
    found = {}
    keys = sorted(keys, key=repr)
    for start in range(0, len(keys), 400):
        chunk = keys[start:start + 400]
        if len(attrs) == 1:
            clause = attrs[0].in_([k[0] for k in chunk])
        else:
            clause = sa.tuple_(*attrs).in_(chunk)
        for obj in db.session.scalars(sa.select(model).where(clause)):
            found[tuple(getattr(obj, a.key) for a in attrs)] = obj
    for row in rows:
        key = _key_of(spec, row)
        if key is not None:
            row.existing = found.get(key)


def _unique_sets(spec: ImportSpec, present: list[Col]) -> list[list[str]]:
    """Column sets that must be unique (business key, unique constraints) that the file fills."""
    names = {c.name for c in present}
    by_attr = {(c.fk if c.kind == RELATION else c.name): c.name for c in present}
    sets = [list(spec.key)] if spec.key else []
    table = spec.model.__table__
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint):
            cols = [by_attr.get(c.key) for c in constraint.columns]
            if all(cols) and cols not in sets:
                sets.append(cols)
    for column in table.columns:
        if column.unique and by_attr.get(column.key) and [by_attr[column.key]] not in sets:
            sets.append([by_attr[column.key]])
    return [s for s in sets if set(s) <= names]


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def _duplicates_in_file(spec: ImportSpec, present: list[Col], rows: list[_Row]) -> None:
    # Whatever the keys, a row identical to an earlier one is a copy-paste slip (a screen with
    # no business key, such as contracts or contact points, would save both).
    first_seen: dict[tuple, int] = {}
    for row in rows:
        if not all(row.good(c.name) for c in present):
            continue
        whole = tuple(_hashable(row.values[c.name]) for c in present)
        if whole in first_seen:
            row.outcome.error(None, f"与第 {first_seen[whole]} 行完全相同（重复的一行）")
        else:
            first_seen[whole] = row.outcome.row
    for names in _unique_sets(spec, present):
        first: dict[tuple, int] = {}
        labels = "、".join(spec.col(n).label for n in names)
        for row in rows:
            if not all(row.good(n) for n in names):
                continue
            key = tuple(row.values[n] for n in names)
            if key in first:
                row.outcome.error(names[-1], f"与第 {first[key]} 行重复（{labels}相同）")
            else:
                first[key] = row.outcome.row


def _differs(col: Col, existing, value) -> bool:
    current = getattr(existing, col.fk if col.kind == RELATION else col.name)
    if value is None or current is None:
        return (value is None) != (current is None)
    return current != value


def _form_for(spec: ImportSpec, row: _Row, present: list[Col], related: dict,
              forms: RowForms):
    """The screen's form filled with the row over what is stored (kit/rowform.py), its
    dropdowns given just the chosen row."""
    existing = row.existing
    # columns the file leaves out keep their stored values
    data = forms.stored(existing) if existing is not None else MultiDict()
    for c in present:
        value = row.values[c.name]
        if value is INVALID or value is None:
            data.poplist(c.name)  # blank (or unreadable, already reported)
            continue
        data.setlist(c.name, [form_text(c, related[c.name][value]
                                        if c.kind == RELATION else value)])
    chosen = {}
    for c in spec.cols:
        posted = data.get(c.name)
        if c.kind != RELATION or posted in (None, "__None"):
            continue
        obj = related[c.name].get(int(posted)) if c.name in related else None
        if obj is None and existing is not None:
            obj = getattr(existing, c.name)
        chosen[c.name] = obj
    return forms.fill(existing, data, chosen)


def _form_errors(row: _Row, form) -> None:
    reported = {c for c, _ in row.outcome.errors}
    for name, messages in form.errors.items():
        if name in reported or name == "csrf_token":
            continue
        for message in messages if isinstance(messages, list) else [messages]:
            text = str(message)
            row.outcome.error(name, _WTFORMS_MESSAGES.get(text, text))
            break


def _model_hooks(spec: ImportSpec, row: _Row, present: list[Col]) -> None:
    """The model's @validates hooks on the row's values (as the form path runs them when the
    record is populated), keeping the value they return (e.g. the 统一社会信用代码 in upper
    case), without building an instrumented record per row."""
    hooks = sa.inspect(spec.model).validators
    reported = {c for c, _ in row.outcome.errors}
    for c in present:
        if c.name not in hooks or c.kind == RELATION or not row.good(c.name) \
                or c.name in reported:
            continue
        try:
            row.values[c.name] = hooks[c.name][0](object.__new__(spec.model), c.name,
                                                  row.values[c.name])
        except (ValueError, TypeError) as exc:
            row.outcome.error(c.name, error_text(exc))


def _scope_probe(spec: ImportSpec, row: _Row, present: list[Col], related: dict):
    """A transient record carrying just what the scope rule follows (its first hops)."""
    rule = spec.model.__scope__
    heads = {p.split(".")[0] for p in (rule.township, rule.department) if p}
    item = spec.model()
    for c in present:
        value = row.values[c.name]
        if value in (None, INVALID):
            continue
        if c.kind == RELATION and (c.fk in heads or c.name in heads):
            setattr(item, c.name, related[c.name].get(value))
        elif c.name in heads:
            setattr(item, c.name, value)
    return item


def _decide(spec: ImportSpec, row: _Row, present: list[Col], related: dict,
            scope: UserScope) -> None:
    out = row.outcome
    if row.existing is not None:
        if not in_scope(row.existing, scope, write=True):
            out.error(spec.key[-1], "系统中的这条记录不在您的管辖范围内，不能修改")
            return
        changes = {c.name: to_store(c, row.values[c.name] if c.kind != RELATION else
                                    related[c.name].get(row.values[c.name]))
                   for c in present if c.name in spec.edit_columns
                   and _differs(c, row.existing, row.values[c.name])}
        out.action = "update" if changes else "same"
        out.id, out.version = row.existing.id, getattr(row.existing, "version", None)
        out.values = changes
        return
    if scope.restricted:
        with db.session.no_autoflush:
            if not in_scope(_scope_probe(spec, row, present, related), scope, write=True):
                out.error(None, "这一行的记录不在您的管辖范围内（所属乡镇/部门不是您的单位），"
                                "不能导入")
                return
    out.action = "new"
    out.values = {c.name: to_store(c, related[c.name].get(row.values[c.name])
                                   if c.kind == RELATION and row.values[c.name] is not None
                                   else row.values[c.name]) for c in present}


def _database_rules(spec: ImportSpec, rows: list[_Row], present: list[Col]) -> None:
    """The forms' UNIQUE and CHECK rules, for all rows in a few queries (xlsx_rules)."""
    if not rows:
        return
    values = [final_values(spec.model, r, present, spec.edit_columns, INVALID) for r in rows]
    unique_rules(spec.model, rows, values, present)
    check_rules(spec.model, rows, values, present)


def validate(view, sheet: Sheet, scope: UserScope, spec: ImportSpec | None = None):
    """Every row of the sheet checked; returns (spec, [RowOutcome]). Nothing is written."""
    spec = spec or import_spec(view)
    present = [c for c in spec.cols if c.name in sheet.columns]
    missing = [c.label for c in spec.cols if c.required and c.name not in sheet.columns]
    if missing:
        raise ImportFileError("表头缺少必填列：%(missing)s。请使用导入模板，不要删除或改动列名。",
                              missing=tuple(Term(m) for m in missing))
    if not sheet.rows:
        raise ImportFileError("表头下面没有数据行：文件中没有需要导入的数据。")
    with db.session.no_autoflush:
        rows = _read_cells(spec, sheet, present, scope)
        ids = defaultdict(set)
        for row in rows:
            for c in present:
                if c.kind == RELATION and row.good(c.name):
                    ids[c.name].add(row.values[c.name])
        related = {c.name: load_objects(c.target, ids[c.name])
                   for c in present if c.kind == RELATION}
        _match_existing(spec, rows)
        _duplicates_in_file(spec, present, rows)
        # the database rules are checked for the whole upload at once (rules.py)
        forms = RowForms(view, prepare=strip_database_rules)
        for row in rows:
            form = _form_for(spec, row, present, related, forms)
            if not form.validate():
                _form_errors(row, form)
            if not row.outcome.errors:
                _model_hooks(spec, row, present)
        _database_rules(spec, [r for r in rows if not r.outcome.errors], present)
        for row in rows:
            if not row.outcome.errors:
                _decide(spec, row, present, related, scope)
    return spec, [r.outcome for r in rows]


def summary(outcomes) -> dict:
    counts = {"total": len(outcomes), "errors": 0, "new": 0, "update": 0, "same": 0,
              "error_cells": 0}
    for o in outcomes:
        errors = o["errors"] if isinstance(o, dict) else o.errors
        action = o["action"] if isinstance(o, dict) else o.action
        if errors:
            counts["errors"] += 1
            counts["error_cells"] += len(errors)
        elif action:
            counts[action] += 1
    counts["ok"] = counts["total"] - counts["errors"]
    return counts


def now_text() -> str:
    return dt.datetime.now().strftime("%Y-%m-%d %H:%M")
