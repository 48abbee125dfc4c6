"""Spreadsheet mode, part 4: saving a batch of edited and pasted rows, and undoing it.

One validation path: each row is put through the view's own WTForms form (edit_form for an
existing row, add_form for a new one) with the row's stored values as formdata and the grid's
values over them, exactly as if the clerk had submitted the edit/add page. Then the view's
own ``pre_update``/``pre_add`` (row scope) and the ORM flush (``version`` column: a stale
UPDATE raises StaleDataError; constraints: IntegrityError).

A batch is all-or-nothing: one transaction, any error rolls everything back, and the answer
lists the errors per row and field, {row_key: {field: message}}; "_row" is a whole-row error
(a conflict). A row the user may not write (not in their write scope, or gone) makes the
whole batch 404, as the edit page would.

Undo: a successful save answers a signed token naming the ChangeLog rows it wrote; posting
it back reverts exactly those changes as a new, audited write - refused per row if anyone
wrote the row since.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import abort, current_app
from flask_appbuilder.fields import EnumField, QuerySelectField, QuerySelectMultipleField
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from wtforms import BooleanField, DateField, DateTimeField

from office.kit.audit.log import audit_context, to_text
from office.kit.grid.columns import FK, CellError, GridColumn, from_text, row_json, to_formdata
from office.models import ChangeAction, ChangeLog, ChangeSource, db
from office.models.base import utcnow

CONFLICT = "该行已被他人修改，请刷新后重试"
# A save that does not say which version it edited could overwrite anyone's change unseen.
NO_VERSION = "保存失败：这一行没有带上版本号（version），无法确认您修改的是最新内容，请刷新后重试"
MAX_ROWS = 2000


@dataclass
class Outcome:
    status: int
    body: dict = field(default_factory=dict)


# ---------------------------------------------------------------- messages


def _who_when(entity: str, row_id: int, after_id: int = 0) -> str:
    """'（张三 于 2020-10-15 08:00 修改）' from the row's latest ChangeLog entry, if any."""
    last = db.session.execute(
        sa.select(ChangeLog.username, ChangeLog.at)
        .where(ChangeLog.entity == entity, ChangeLog.row_id == row_id, ChangeLog.id > after_id)
        .order_by(ChangeLog.id.desc()).limit(1)
    ).first()
    if last is None:
        return ""
    return f"（{last.username or '系统'} 于 {last.at:%Y-%m-%d %H:%M} 修改）"


def _version_of(row: dict) -> int | None:
    """The version a grid row was edited at; None when missing or not a whole number."""
    sent = row.get("version")
    if isinstance(sent, bool):
        return None
    try:
        return int(sent) if isinstance(sent, int | str) and str(sent).strip() else None
    except ValueError:
        return None


def conflict_message(model, row_id: int) -> str:
    return CONFLICT + _who_when(model.__name__, row_id)


def _constraint_for(exc: sa.exc.IntegrityError, model):
    orig = exc.orig
    name = getattr(getattr(orig, "diag", None), "constraint_name", None)
    text = str(orig)
    for c in model.__table__.constraints:
        if c.name and (c.name == name or c.name in text):
            return c
    if "UNIQUE constraint failed:" in text:  # SQLite names the columns, not the constraint
        cols = {part.strip().split(".")[-1] for part in text.split(":", 1)[1].split(",")}
        for c in model.__table__.constraints:
            if isinstance(c, sa.UniqueConstraint) and {x.name for x in c.columns} == cols:
                return c
        for col in model.__table__.columns:
            if col.unique and {col.name} == cols:
                return sa.UniqueConstraint(col)
    return None


def integrity_errors(exc, model, columns: list[GridColumn]) -> dict[str, str]:
    """A database refusal as {field: Chinese message} for the row being written."""
    by_key = {c.key: c for c in columns}
    constraint = _constraint_for(exc, model)
    text = str(exc.orig)
    if constraint is None:
        if "NOT NULL" in text.upper() or "null value" in text:
            return {"_row": "有必填项未填写"}
        if "FOREIGN KEY" in text.upper() or "foreign key" in text:
            return {"_row": "关联的记录不存在或仍被其他记录引用"}
        return {"_row": "数据库拒绝保存该行：" + text.splitlines()[0][:120]}
    cols = [by_key[c.name] for c in getattr(constraint, "columns", []) if c.name in by_key]
    message = (constraint.info or {}).get("message") if hasattr(constraint, "info") else None
    if isinstance(constraint, sa.UniqueConstraint):
        labels = "+".join(c.title for c in cols) or "关键字段"
        message = message or f"与已有记录重复（{labels}不能重复）"
    elif isinstance(constraint, sa.CheckConstraint):
        message = message or f"不符合数据规则：{constraint.name}"
    else:
        message = message or "数据库拒绝保存该行"
    return {(cols[-1].field if cols else "_row"): message}


def _first(messages) -> str:
    if isinstance(messages, dict):  # FieldList / FormField
        return _first(next(iter(messages.values())))
    return str(messages[0]) if messages else "无效"


# ---------------------------------------------------------------- forms


def _as_formdata(fld) -> list[str]:
    """A form field's current data as the browser would post it."""
    data = fld.data
    if isinstance(fld, QuerySelectMultipleField):
        return [str(fld.get_pk_func(o)) for o in data or []]
    if isinstance(fld, QuerySelectField):
        return ["__None"] if data is None else [str(fld.get_pk_func(data))]
    if isinstance(fld, BooleanField):
        return ["y"] if data else ["false"]
    if isinstance(fld, EnumField):
        return [""] if data is None else [getattr(data, "name", str(data))]
    if isinstance(fld, (DateField, DateTimeField)):
        return [fld._value()]
    return [""] if data is None else [str(data)]


def _prime_related(view, form, rel_fields: dict | None) -> None:
    """Validate a relation field against the related row alone, not the whole table.

    FAB's QuerySelectField checks the posted id is among *all* rows its query returns (the
    write-scoped related interface, the view's ``*_query_rel_fields``); asking that query for
    the one posted id gives the same verdict with one row read instead of 200,000.
    """
    for fld in form:
        if type(fld) is not QuerySelectField or not fld._formdata:
            continue
        related = view.datamodel.get_related_interface(fld.name)
        filters = None
        if rel_fields and fld.name in rel_fields:
            filters = related.get_filters().add_filter_list(rel_fields[fld.name])
        try:
            pk = int(fld._formdata)
        except ValueError:
            fld._object_list = []
            continue
        obj = related.get(pk, filters)
        fld._object_list = [(str(pk), obj)] if obj is not None else []


def build_form(view, form_cls, item, values: dict, columns: dict, rel_fields, is_new: bool):
    """The view's form with the row's values, and the cells that could not be read."""
    base = form_cls(obj=item, meta={"csrf": False}) if not is_new else None
    data = MultiDict()
    if base is not None:
        for fld in base:
            if fld.name != "csrf_token":
                data.setlist(fld.name, _as_formdata(fld))
    cell_errors = {}
    for name, raw in values.items():
        col = columns[name]
        try:
            value = to_formdata(col, raw)
        except CellError as exc:
            cell_errors[name] = str(exc)
            continue
        if value is not None:
            data.setlist(name, [value])
    form = form_cls(formdata=data, obj=item if not is_new else None, meta={"csrf": False})
    if not is_new:
        form._id = item.id  # FAB's Unique validators skip the row itself
    for fld in form:
        if isinstance(fld, EnumField) and fld.data is None:
            # FAB's EnumField raises a bare ValueError for "no choice" (a browser always posts
            # one); let the field's own Optional/InputRequired validator judge a blank cell.
            fld.pre_validate = lambda form: None
    _prime_related(view, form, rel_fields)
    return form, cell_errors


# ---------------------------------------------------------------- saving


def _untouched_columns(item, form, values: dict) -> dict:
    """The stored value of every plain column the form carries but the row's cells left alone."""
    columns = {c.key for c in sa.inspect(type(item)).column_attrs}
    return {f.name: getattr(item, f.name) for f in form
            if f.name in columns and f.name not in values}


def _undo_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="office-grid-undo")


def save_batch(view, columns: list[GridColumn], rows: list[dict], may) -> Outcome:
    """Validate and write ``rows`` ([{key, id?, version?, values: {field: value}}]) or
    nothing. ``may(verb)`` answers the user's permission on the view."""
    model = view.datamodel.obj
    if not isinstance(rows, list) or not rows:
        return Outcome(400, {"message": "没有要保存的修改"})
    if len(rows) > MAX_ROWS:
        return Outcome(400, {"message": f"一次最多保存 {MAX_ROWS} 行，请分批粘贴"})
    updates = [r for r in rows if r.get("id") not in (None, "")]
    inserts = [r for r in rows if r.get("id") in (None, "")]
    if updates and not may("edit"):
        return Outcome(403, {"message": "您没有修改这些记录的权限"})
    if inserts and not may("add"):
        return Outcome(403, {"message": "您没有新增记录的权限"})
    by_field = {c.field: c for c in columns}
    update_cols = {c.field: c for c in columns if c.can_update}
    insert_cols = {c.field: c for c in columns if c.can_insert}

    try:
        ids = {int(r["id"]) for r in updates}
    except (TypeError, ValueError):
        return Outcome(400, {"message": "行编号无效"})
    writable = view.datamodel.writable()
    items = {}
    if ids:
        query = writable.apply_filters(db.session.query(model), view._base_filters)
        items = {i.id: i for i in query.filter(model.id.in_(ids))}
        if len(items) != len(ids):
            db.session.rollback()
            abort(404)

    errors: dict[str, dict[str, str]] = {}
    conflicts = False  # a row edited at a stale or unstated version
    saved: list[tuple[str, object]] = []
    started = utcnow()
    with audit_context(ChangeSource.grid):
        for n, row in enumerate(rows):
            is_new = row.get("id") in (None, "")
            key = str(row.get("key") or (f"new-{n}" if is_new else row["id"]))
            values = row.get("values") or {}
            if not isinstance(values, dict):
                return Outcome(400, {"message": "数据格式无效"})
            allowed = insert_cols if is_new else update_cols
            bad = {f: ("该列不能在此修改" if f in by_field else "未知的列")
                   for f in values if f not in allowed}
            if bad:
                errors[key] = bad
                continue
            if is_new:
                item = model()
                form_cls, rel_fields = view.add_form, view.add_form_query_rel_fields
            else:
                item = items[int(row["id"])]
                form_cls, rel_fields = view.edit_form, view.edit_form_query_rel_fields
                if hasattr(item, "version"):
                    sent = _version_of(row)
                    if sent is None or sent != item.version:
                        errors[key] = {"_row": NO_VERSION if sent is None
                                       else conflict_message(model, item.id)}
                        conflicts = True
                        continue
            with db.session.no_autoflush:
                form, cell_errors = build_form(view, form_cls, item, values, allowed,
                                               rel_fields, is_new)
                valid = form.validate()
            row_errors = dict(cell_errors)
            if not valid:
                for name, messages in form.errors.items():
                    row_errors.setdefault(name if name in by_field else "_row", _first(messages))
            if row_errors:
                errors[key] = row_errors
                continue
            untouched = {} if is_new else _untouched_columns(item, form, values)
            view.process_form(form, is_new)
            form.populate_obj(item)
            for name, stored in untouched.items():
                # a form writes every field back: a cell the clerk did not edit keeps exactly
                # what is stored (NULL stays NULL, never ''), so nothing unchanged is logged
                if getattr(item, name) != stored:
                    setattr(item, name, stored)
            try:
                if is_new:
                    view.pre_add(item)  # row scope: aborts 404 outside the user's township
                    db.session.add(item)
                else:
                    view.pre_update(item)
            except HTTPException:
                raise
            except Exception as exc:  # a view's own rule, said as FAB's form would flash it
                errors[key] = {"_row": str(exc)}
                continue
            try:
                db.session.flush()
            except StaleDataError:
                db.session.rollback()
                errors[key] = {"_row": conflict_message(model, item.id)}
                conflicts = True
                break
            except sa.exc.IntegrityError as exc:
                db.session.rollback()
                errors[key] = integrity_errors(exc, model, columns)
                break
            saved.append((key, item))
        if errors:
            db.session.rollback()
            # a version conflict is the HTTP conflict (409) whatever else the batch holds
            return Outcome(409 if conflicts else 422, {"errors": errors,
                                 "message": f"{len(errors)} 行有错误，本次修改未保存"})
        log_ids = _log_ids(model, [i.id for _, i in saved], started)
        db.session.commit()
    for key, item in saved:
        (view.post_add if key.startswith("new") else view.post_update)(item)
    token = _undo_signer().dumps({"e": model.__name__, "u": current_user.id, "ids": log_ids})
    return Outcome(200, {
        "rows": {key: row_json(columns, item) for key, item in saved},
        "saved": len(saved), "undo": token if log_ids else None,
        "message": f"已保存 {len(saved)} 行",
    })


def _log_ids(model, row_ids: list[int], since: dt.datetime) -> list[int]:
    """The ChangeLog rows this batch wrote (same transaction, same user, source grid)."""
    if not row_ids:
        return []
    return list(db.session.execute(
        sa.select(ChangeLog.id).where(
            ChangeLog.entity == model.__name__, ChangeLog.row_id.in_(row_ids),
            ChangeLog.source == ChangeSource.grid, ChangeLog.user_id == current_user.id,
            ChangeLog.at >= since,
        ).order_by(ChangeLog.id)
    ).scalars())


# ---------------------------------------------------------------- undo


def undo_batch(view, columns: list[GridColumn], token: str, may) -> Outcome:
    model = view.datamodel.obj
    try:
        data = _undo_signer().loads(token or "")
    except BadSignature:
        return Outcome(400, {"message": "撤销凭据无效"})
    if data.get("e") != model.__name__ or data.get("u") != current_user.id:
        return Outcome(400, {"message": "撤销凭据无效"})
    logs = list(db.session.scalars(
        sa.select(ChangeLog).where(ChangeLog.id.in_(data.get("ids") or []))
        .order_by(ChangeLog.id)
    ))
    if not logs:
        return Outcome(400, {"message": "没有可撤销的修改"})
    inserted = {log.row_id for log in logs if log.action == ChangeAction.insert}
    if inserted and not may("add"):
        return Outcome(403, {"message": "您没有撤销新增记录的权限"})
    if len(inserted) < len({log.row_id for log in logs}) and not may("edit"):
        return Outcome(403, {"message": "您没有修改这些记录的权限"})
    row_ids = sorted({log.row_id for log in logs})
    last_of = {}
    for log in logs:
        last_of[log.row_id] = max(last_of.get(log.row_id, 0), log.id)

    writable = view.datamodel.writable()
    query = writable.apply_filters(db.session.query(model), view._base_filters)
    items = {i.id: i for i in query.filter(model.id.in_(row_ids))}
    errors: dict[str, dict[str, str]] = {}
    later = db.session.execute(
        sa.select(ChangeLog.row_id, ChangeLog.id).where(
            ChangeLog.entity == model.__name__, ChangeLog.row_id.in_(row_ids),
            ChangeLog.id > min(last_of.values()),
        )
    ).all()
    changed_since = {r for r, i in later if i > last_of[r]}
    for row_id in row_ids:
        if row_id in changed_since:
            errors[str(row_id)] = {"_row": "该行在上次保存后已被修改，无法撤销"
                                   + _who_when(model.__name__, row_id, last_of[row_id])}
        elif row_id not in items:
            # gone, or no longer in the user's write scope: never say which
            db.session.rollback()
            abort(404)
    if errors:
        db.session.rollback()
        return Outcome(409, {"errors": errors, "message": "撤销被拒绝：有行已被他人修改"})

    table = model.__table__
    removed, kept = [], []
    with audit_context(ChangeSource.grid):
        for log in reversed(logs):
            item = items[log.row_id]
            if log.action == ChangeAction.insert:
                if item not in removed:
                    view.pre_delete(item)
                    db.session.delete(item)
                    removed.append(item)
            elif log.action == ChangeAction.update and log.field in table.c:
                current = to_text(getattr(item, log.field))
                if current != log.new:
                    db.session.rollback()
                    return Outcome(409, {"errors": {str(item.id): {"_row": CONFLICT}},
                                         "message": "撤销被拒绝：有行已被他人修改"})
                setattr(item, log.field, from_text(table.c[log.field], log.old))
        for item in items.values():
            if item not in removed:
                view.pre_update(item)
                kept.append(item)
        try:
            db.session.flush()
        except StaleDataError:
            db.session.rollback()
            return Outcome(409, {"message": CONFLICT})
        except sa.exc.IntegrityError as exc:
            db.session.rollback()
            return Outcome(409, {"message": "无法撤销：" + next(iter(
                integrity_errors(exc, model, columns).values()))})
        db.session.commit()
    for item in kept:
        db.session.refresh(item)
    return Outcome(200, {
        "rows": {str(i.id): row_json(columns, i) for i in kept},
        "removed": [str(i.id) for i in removed],
        "message": f"已撤销上次保存（{len(kept) + len(removed)} 行）",
    })


__all__ = ["FK", "Outcome", "save_batch", "undo_batch", "conflict_message"]
