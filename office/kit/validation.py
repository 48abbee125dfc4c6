"""Form validation derived from the model: what the database would refuse is said in Chinese,
on the form, next to the field, before anything is written.

FAB already derives NOT NULL (required), string length and single-column UNIQUE from the
columns. It does not know a table's CHECK constraints, its multi-column UNIQUE constraints or
the model's ``@validates`` hooks: a violation then reaches the database (FAB flashes the raw
driver error and throws the clerk's input away) or raises in ``populate_obj``. This module
adds, for every column of an add/edit form:

* ``@validates`` hooks (e.g. the 统一社会信用代码 checksum) run on the submitted value;
* every named CHECK constraint of the table, evaluated by the database itself on the
  submitted values (so the rule is written once, in the model, and SQLite and PostgreSQL
  judge it exactly as they will judge the INSERT);
* every UNIQUE constraint, checked against the stored rows (the row being edited excluded),
  with a message that names the clash (FAB's own single-column check says only "已存在");
* NOT NULL booleans accept an unticked checkbox (FAB would call it a missing answer).

Messages come from ``constraint.info["message"]`` when a model declares one, else from
the model's ``__messages__``, else a generic sentence naming the columns by their Chinese labels.

Every path that takes a clerk's values through a view's forms (screens, grid, xlsx import)
gets the same checks. ``item_errors(item)`` applies the CHECK and UNIQUE rules to an ORM object
(for the REST API, whose schema load bypasses the forms), and ``constraint_message`` gives the
sentence for a constraint named in a database error.

Wiring (base.py): ``class OfficeModelView(ModelValidationMixin, ScopedMixin, ModelView)``.
``install(view)`` does the same for a view instance that was built without the mixin.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from flask_appbuilder.forms import GeneralModelConverter
from wtforms import HiddenField
from wtforms.validators import DataRequired, InputRequired, StopValidation

from office.kit.fields import NOT_A_CHOICE, ChoiceField, clerk_fields  # noqa: F401 (re-exported)
from office.kit.i18n import error_text
from office.kit.labels import model_labels, model_messages
from office.models import db

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# ---------------------------------------------------------------- form values


def _relation_of_column(model) -> dict[str, str]:
    """FK column name -> the many-to-one relationship a form shows instead."""
    out = {}
    for rel in sa.inspect(model).relationships:
        if rel.direction.name == "MANYTOONE" and len(rel.local_columns) == 1:
            (col,) = rel.local_columns
            out[col.key] = rel.key
    return out


class _FormValues:
    """The row as the submitted form would write it: form fields first, then the stored row
    (edit) or the column default (add)."""

    def __init__(self, model, form):
        self.model = model
        self.form = form
        self.own_pk = getattr(form, "_id", None)
        self._relations = _relation_of_column(model)
        self._stored = None

    def _stored_row(self):
        if self.own_pk is None:
            return None
        if self._stored is None:
            with db.session.no_autoflush:
                self._stored = db.session.get(self.model, self.own_pk)
        return self._stored

    def __getitem__(self, column: str):
        if column in self.form:
            return self.form[column].data
        relation = self._relations.get(column)
        if relation in self.form:
            related = self.form[relation].data
            return None if related is None else sa.inspect(related).identity[0]
        row = self._stored_row()
        if row is not None:
            return getattr(row, column)
        default = self.model.__table__.c[column].default
        return default.arg if default is not None and default.is_scalar else None


class _ItemValues:
    """The row as an ORM object about to be written holds it (FK set or relation set)."""

    def __init__(self, item):
        self.item = item
        self.own_pk = sa.inspect(item).identity[0] if sa.inspect(item).identity else None
        self._relations = _relation_of_column(type(item))

    def __getitem__(self, column: str):
        value = getattr(self.item, column)
        relation = self._relations.get(column)
        if value is None and relation is not None:
            related = getattr(self.item, relation)
            if related is not None:
                value = sa.inspect(related).mapper.primary_key_from_instance(related)[0]
        return value


def _form_key(model, column: str) -> str:
    """The form field that carries a column (the relationship for an FK column)."""
    return _relation_of_column(model).get(column, column)


def _label(model, column: str) -> str:
    labels = model_labels(model)
    return labels.get(_form_key(model, column)) or labels.get(column) or column


def constraint_message(constraint, model, values: dict | None = None) -> str:
    """The Chinese sentence for a broken constraint: ``constraint.info["message"]`` if the
    constraint carries one, else the model's ``__messages__``, else one naming the columns.
    ``values`` fill the {column} placeholders (left empty when unknown, e.g. from a database
    error)."""
    text = (constraint.info or {}).get("message") or model_messages(model).get(constraint.name)
    if text is None:
        columns = [c.key for c in getattr(constraint, "columns", [])] or list(values or {})
        names = "、".join(f"「{_label(model, c)}」" for c in columns)
        return f"{names}的取值不符合规则"
    shown = {k: ("" if v is None else v) for k, v in (values or {}).items()}
    return text.format_map(_Blank(shown))


class _Blank(dict):
    def __missing__(self, key):
        return ""


# ---------------------------------------------------------------- validators


class ModelHookValidator:
    """Runs the model's ``@validates`` hook for one column on the submitted value (and keeps
    the value it returns, e.g. the compact upper-case 统一社会信用代码)."""

    def __init__(self, model, column: str, hook: Callable):
        self.model, self.column, self.hook = model, column, hook

    def __call__(self, form, field):
        if field.data in (None, ""):
            return
        try:
            value = self.hook(object.__new__(self.model), self.column, field.data)
        except (ValueError, TypeError) as exc:
            raise StopValidation(error_text(exc)) from exc
        field.data = value  # the hook's normal form, so the unique checks compare like for like


def _typed(value, type_):
    """A bound value the database compares as the column would: PostgreSQL needs the type
    spelled out (an untyped NULL is text); SQLite must not CAST dates (to a number)."""
    bound = sa.literal(value, type_=type_)
    return bound if db.engine.dialect.name == "sqlite" else sa.cast(bound, type_)


def _check_fails(model, constraint, columns, values) -> dict | None:
    """The submitted values when they break the CHECK constraint, else None."""
    row = {c: values[c] for c in columns}
    table = model.__table__
    given = sa.select(*[_typed(v, table.c[c].type).label(c) for c, v in row.items()]
                      ).subquery("submitted")
    condition = str(constraint.sqltext)
    verdict = sa.literal_column(
        f"CASE WHEN ({condition}) THEN 1 WHEN NOT ({condition}) THEN 0 END"
    )
    with db.session.no_autoflush:
        ok = db.session.execute(sa.select(verdict).select_from(given)).scalar()
    return row if ok == 0 else None


def _unique_clash(model, constraint, values) -> dict | None:
    """The submitted key when another stored row has it, else None."""
    row = {c.key: values[c.key] for c in constraint.columns}
    if any(v is None or v == "" for v in row.values()):
        return None  # NULLs never collide; required-field validators report the gap
    table = model.__table__
    (pk,) = table.primary_key.columns
    query = sa.select(pk).where(*[table.c[c] == v for c, v in row.items()])
    if values.own_pk is not None:
        query = query.where(pk != values.own_pk)
    with db.session.no_autoflush:
        clash = db.session.execute(query.limit(1)).first()
    return row if clash is not None else None


class CheckConstraintValidator:
    """A table CHECK constraint, evaluated by the database on the submitted values.

    SQL semantics are kept: a constraint that evaluates to NULL (a value missing) passes, as
    it would on INSERT; the field validators for required columns report the missing value.
    """

    def __init__(self, model, constraint: sa.CheckConstraint, columns: list[str]):
        self.model, self.constraint, self.columns = model, constraint, columns

    def __call__(self, form, field):
        row = _check_fails(self.model, self.constraint, self.columns,
                           _FormValues(self.model, form))
        if row is not None:
            raise StopValidation(constraint_message(self.constraint, self.model, row))


class UniqueConstraintValidator:
    """A UNIQUE constraint, checked against the stored rows (any scope: the database refuses a
    duplicate whoever can see it)."""

    def __init__(self, model, constraint: sa.UniqueConstraint):
        self.model, self.constraint = model, constraint

    def __call__(self, form, field):
        row = _unique_clash(self.model, self.constraint, _FormValues(self.model, form))
        if row is not None:
            raise StopValidation(constraint_message(self.constraint, self.model, row))


# ---------------------------------------------------------------- derivation


def _check_columns(model, constraint) -> list[str]:
    names = set(model.__table__.c.keys())
    seen = []
    for token in _IDENTIFIER.findall(str(constraint.sqltext)):
        if token in names and token not in seen:
            seen.append(token)
    return seen


def _anchor(model, columns: Iterable[str], form_columns: list[str]) -> str | None:
    """The form field that shows a multi-column error: the one the clerk fills in last."""
    keys = [_form_key(model, c) for c in columns]
    present = [k for k in form_columns if k in keys]
    return present[-1] if present else None


def model_validators(model, form_columns: list[str]) -> dict[str, list]:
    """Validators for the fields of one form, derived from the model and its table."""
    out: dict[str, list] = {}

    def add(key, validator):
        out.setdefault(key, []).append(validator)

    for column, (hook, _opts) in sa.inspect(model).validators.items():
        if column in form_columns:
            add(column, ModelHookValidator(model, column, hook))
    for constraint in model.__table__.constraints:
        if isinstance(constraint, sa.CheckConstraint):
            if getattr(constraint, "_type_bound", False):
                continue  # an Enum's own CHECK: the select field already limits the choice
            columns = _check_columns(model, constraint)
            key = _anchor(model, columns, form_columns)
            if key:
                add(key, CheckConstraintValidator(model, constraint, columns))
        elif isinstance(constraint, sa.UniqueConstraint):
            key = _anchor(model, [c.key for c in constraint.columns], form_columns)
            if key:
                add(key, UniqueConstraintValidator(model, constraint))
    return out


def item_errors(item) -> dict[str, str]:
    """{form field: message} for an ORM object about to be written (REST API, services): the
    same CHECK and UNIQUE rules the forms apply. ``@validates`` hooks have already run when
    the attributes were set."""
    model = type(item)
    values = _ItemValues(item)
    errors: dict[str, str] = {}
    for constraint in model.__table__.constraints:
        if isinstance(constraint, sa.CheckConstraint):
            if getattr(constraint, "_type_bound", False):
                continue
            columns = _check_columns(model, constraint)
            row = _check_fails(model, constraint, columns, values)
        elif isinstance(constraint, sa.UniqueConstraint):
            columns = [c.key for c in constraint.columns]
            row = _unique_clash(model, constraint, values)
        else:
            continue
        if row is not None:
            key = _form_key(model, columns[-1])
            errors.setdefault(key, constraint_message(constraint, model, row))
    return errors


def _merged(declared: dict | None, derived: dict) -> dict:
    """Fresh lists per form: FAB's converter appends to the lists it is given."""
    declared = declared or {}
    keys = set(declared) | set(derived)
    return {k: [*derived.get(k, []), *declared.get(k, [])] for k in keys}


def _unticked_is_an_answer(form_cls, model, columns) -> None:
    """FAB marks a NOT NULL boolean "required", and an unticked checkbox posts nothing, so
    False could never be saved ("该字段是必填字段"). A checkbox always has an answer."""
    table = model.__table__
    for name in columns:
        if name in table.c and isinstance(table.c[name].type, sa.Boolean):
            unbound = getattr(form_cls, name, None)
            if unbound is not None and "validators" in getattr(unbound, "kwargs", {}):
                unbound.kwargs["validators"] = [
                    v for v in unbound.kwargs["validators"]
                    if not isinstance(v, (InputRequired, DataRequired))
                ]


def _form(view, conv, columns, extra_fields, query_rel_fields):
    model = view.datamodel.obj
    form_cls = conv.create_form(
        view.label_columns, columns, view.description_columns,
        _merged(view.validators_columns, model_validators(model, list(columns))),
        extra_fields, query_rel_fields,
    )
    _unticked_is_an_answer(form_cls, model, columns)
    clerk_fields(form_cls)  # enum and relation choices, dates as typed (kit/fields.py)
    return form_cls


def build_forms(view) -> None:
    """(Re)build a view's add and edit forms with the derived validators."""
    conv = GeneralModelConverter(view.datamodel)
    view.add_form = _form(view, conv, view.add_columns, view.add_form_extra_fields,
                          view.add_form_query_rel_fields)
    view.edit_form = _form(view, conv, view.edit_columns, view.edit_form_extra_fields,
                           view.edit_form_query_rel_fields)
    if "version" in view.datamodel.obj.__table__.columns:
        # The version the clerk opened (rendered by the form's hidden_tag): see
        # OfficeModelView.pre_update.
        view.edit_form.version = HiddenField()
    view._office_validated_forms = True


class ModelValidationMixin:
    """Put before ModelView in the bases: the add/edit forms validate what the model states.

    Forms a view declares itself (``add_form = ...``) are left alone.
    """

    def _init_forms(self):
        if not self.add_form and not self.edit_form:
            build_forms(self)
        super()._init_forms()

