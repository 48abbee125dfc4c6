"""ONE way a row goes through its screen's rules, for every path that writes it.

The HTML form, the grid's save, the xlsx import, the REST API and undoing a logged change all
write a row the same way:

- the **version check**: a write names the version it was made against (the form's hidden
  field, the grid row's and API payload's ``version``, the version the import preview saw);
  without one, or at a stale one, it is refused with the same Chinese message naming who
  changed the row and when (``check_version`` → VersionConflict);
- the **form**: a row the grid or an import brings is put through the screen's own add or
  edit form (``RowForms``), its untouched columns filled from what is stored, exactly as if
  the clerk had submitted the edit page; related rows are given to the form's dropdowns as
  the one row chosen instead of the whole table;
- **only real changes**: a form writes every field back, so ``populate`` keeps the stored
  value of each column the row left alone (NULL stays NULL, never '') and the change log
  records only what changed;
- scope and the owner-only columns are the view's ``pre_add``/``pre_update`` (kit/base.py),
  called by each path after this.

Domain errors only (VersionConflict); the paths say them as their HTTP answer.
"""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask_appbuilder.fields import EnumField, QuerySelectField, QuerySelectMultipleField
from werkzeug.datastructures import MultiDict

from office.kit.columns import RELATION, describe
from office.kit.i18n import locale_key
from office.kit.validation import NOT_A_CHOICE
from office.kit.values import form_text
from office.models import ChangeLog, db

CONFLICT = "该行已被他人修改，请刷新后重试"
# A write that does not say which version it edited could overwrite anyone's change unseen.
NO_VERSION = ("保存失败：没有带上版本号（version），无法确认您修改的是最新内容，"
              "请刷新后重试")


# Fields a form carries but never writes: the version is the database's to count.
NOT_WRITTEN = {"csrf_token", "version"}


class VersionConflict(Exception):
    """The row was written at another version than the one the write was made against."""

    def __init__(self, message: str, who: str = ""):
        super().__init__(message)
        self.message = message
        self.who = who  # '（张三 于 2020-10-15 08:00 修改）', for a path's own wording


# ---------------------------------------------------------------- the same messages

REQUIRED = "必填，不能为空"
# What the API's schema (marshmallow) says, as the form path says it.
_SAID = [
    (re.compile(r"^Missing data for required field\.$"), REQUIRED),
    (re.compile(r"^Field may not be null\.$"), REQUIRED),
    (re.compile(r"^Must be one of: .*\.$"), NOT_A_CHOICE),
    (re.compile(r"^Not a valid integer\.$"), "不是整数"),
    (re.compile(r"^Not a valid (?:number|decimal)\.$"), "不是数字"),
    (re.compile(r"^Not a valid date\.$"), "不是有效的日期"),
    (re.compile(r"^Not a valid datetime\.$"), "不是有效的日期时间"),
    (re.compile(r"^Not a valid boolean\.$"), "请填写“是”或“否”"),
    (re.compile(r"^Not a valid string\.$"), "不是文本"),
    (re.compile(r"^Unknown field\.$"), "未知的列"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), "不能超过 {0} 个字"),
    (re.compile(r"^Invalid input type\.$"), "内容格式无效"),
]


def in_chinese(messages):
    """A field → messages answer (the API schema's) in the words the form path uses."""
    if isinstance(messages, dict):
        return {k: in_chinese(v) for k, v in messages.items()}
    if isinstance(messages, list):
        return [in_chinese(m) for m in messages]
    if isinstance(messages, str):
        for pattern, said in _SAID:
            m = pattern.match(messages)
            if m:
                return said.format(*m.groups())
    return messages


# ---------------------------------------------------------------- the version check


def who_when(entity: str, row_id: int, after_id: int = 0) -> str:
    """'（张三 于 2020-10-15 08:00 修改）' from the row's latest ChangeLog entry, if any."""
    last = db.session.execute(
        sa.select(ChangeLog.username, ChangeLog.at)
        .where(ChangeLog.entity == entity, ChangeLog.row_id == row_id, ChangeLog.id > after_id)
        .order_by(ChangeLog.id.desc()).limit(1)
    ).first()
    if last is None:
        return ""
    return f"（{last.username or '系统'} 于 {last.at:%Y-%m-%d %H:%M} 修改）"


def conflict_message(model, row_id: int, opened=None, now=None) -> str:
    versions = (f"您修改的是第 {opened} 版，现在是第 {now} 版。"
                if opened is not None and now is not None else "")
    return CONFLICT + who_when(model.__name__, row_id) + versions


def sent_version(value) -> int | None:
    """The version a write names; None when missing or not a whole number."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        return int(value) if str(value).strip() else None
    except ValueError:
        return None


def check_version(item, sent) -> None:
    """Refuse (VersionConflict) a write to a versioned row unless it names the row's version.

    The flush's ``UPDATE … WHERE version = ?`` then catches a write that lands in between
    (StaleDataError), which every path says with ``conflict_message`` as well."""
    if not hasattr(item, "version"):
        return
    version = sent_version(sent)
    if version is None:
        raise VersionConflict(NO_VERSION)
    if version != item.version:
        raise VersionConflict(conflict_message(type(item), item.id, version, item.version),
                              who_when(type(item).__name__, item.id))


# ---------------------------------------------------------------- the form


def _column(view, name: str):
    """describe(), once per view and column (an import fills a form per row)."""
    cache = view.__dict__.setdefault("_rowform_columns", {})
    key = (name, locale_key())  # its label is in the request's language
    if key not in cache:
        cache[key] = describe(view, name)
    return cache[key]


def _stored_text(view, name: str, item) -> list[str] | None:
    """A form field's stored value as the browser would post it (None: nothing to post)."""
    col = _column(view, name)
    if col is not None:
        value = getattr(item, col.key)
        if value is None:
            return ["__None"] if col.kind == RELATION else None
        return [str(value) if col.kind == RELATION else form_text(col, value)]
    value = getattr(item, name, None)
    if isinstance(value, list | set | tuple):  # a many-to-many dropdown
        return [str(sa.inspect(o).identity[0]) for o in value]
    return None if value is None else [str(value)]


def stored_formdata(view, form, item) -> MultiDict:
    """Every field of ``form`` as ``item`` stores it, as formdata."""
    data = MultiDict()
    for fld in form:
        if fld.name == "csrf_token":
            continue
        posted = _stored_text(view, fld.name, item)
        if posted is not None:
            data.setlist(fld.name, posted)
    return data


def _no_pre_validate(form) -> None:
    return None


class RowForms:
    """A screen's add and edit forms, filled with one row at a time.

    One form instance per form class, re-filled for every row (binding a WTForms form's fields
    costs more than validating it). ``prepare(form)`` runs once on each new instance (the
    import takes the database rules off, to check them for the whole upload at once)."""

    def __init__(self, view, prepare=None):
        self.view = view
        self._prepare = prepare
        self._forms: dict = {}

    def form_for(self, item) -> object:
        """The bare form a row goes through: the edit form for a stored row, else the add."""
        form_cls = self.view.edit_form if item is not None else self.view.add_form
        form = self._forms.get(form_cls)
        if form is None:
            form = self._forms[form_cls] = form_cls(formdata=None, meta={"csrf": False})
            if self._prepare is not None:
                self._prepare(form)
        return form

    def stored(self, item) -> MultiDict:
        """What ``item`` stores, as its edit form's formdata."""
        return stored_formdata(self.view, self.form_for(item), item)

    def fill(self, item, data: MultiDict, chosen: dict) -> object:
        """The form for ``item`` (None: a new row) filled with ``data``; ``chosen``: for each
        dropdown given a value, the related row it names (None: not found/not allowed)."""
        form = self.form_for(item)
        form.process(formdata=data)
        form.__dict__.pop("_id", None)
        if item is not None:
            form._id = item.id  # FAB's Unique validators skip the row itself
        for fld in form:
            fld.__dict__.pop("pre_validate", None)
            if isinstance(fld, EnumField) and fld.name not in data:
                # FAB's EnumField raises a bare ValueError on an empty choice (WTForms 3.2 no
                # longer turns it into a field error); the required check, or none, reports it.
                fld.pre_validate = _no_pre_validate
            elif type(fld) is QuerySelectField:
                posted = data.get(fld.name)
                obj = chosen.get(fld.name) if posted not in (None, "", "__None") else None
                fld._object_list = [(posted, obj)] if obj is not None else []
            elif isinstance(fld, QuerySelectMultipleField) and item is not None:
                fld._object_list = [(str(sa.inspect(o).identity[0]), o)
                                    for o in getattr(item, fld.name, None) or []]
        return form


def related_choice(view, form_cls, name: str, posted: str):
    """The related row a dropdown's posted id names, if the form would offer it: FAB's
    QuerySelectField checks the id against *all* rows its query returns (the write-scoped
    related interface and the view's ``*_query_rel_fields``); asking that query for the one
    id gives the same verdict with one row read instead of 200,000."""
    try:
        pk = int(posted)
    except (TypeError, ValueError):
        return None
    rel_fields = (view.edit_form_query_rel_fields if form_cls is view.edit_form
                  else view.add_form_query_rel_fields)
    related = view.datamodel.get_related_interface(name)
    filters = None
    if rel_fields and name in rel_fields:
        filters = related.get_filters().add_filter_list(rel_fields[name])
    return related.get(pk, filters)


def populate(form, item, touched) -> None:
    """Write the form onto ``item``, keeping as stored every plain column not in ``touched``
    (a form writes every field back; '' must not replace NULL, nor be logged as a change)."""
    columns = {c.key for c in sa.inspect(type(item)).column_attrs}
    kept = {f.name: getattr(item, f.name) for f in form
            if f.name in columns and f.name not in touched}
    for fld in form:
        if fld.name not in NOT_WRITTEN:
            fld.populate_obj(item, fld.name)
    for name, stored in kept.items():
        if getattr(item, name) != stored:
            setattr(item, name, stored)
