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
from flask_appbuilder.fields import QuerySelectField
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from office.kit.audit.log import audit_context
from office.kit.columns import Col
from office.kit.dependants import HasDependants
from office.kit.grid.columns import CellError, ref_indexes, row_json, to_formdata
from office.kit.i18n import error_text
from office.kit.labels import model_messages
from office.kit.rowform import (
    CONFLICT,
    RowForms,
    VersionConflict,
    check_version,
    conflict_message,
    populate,
    related_choice,
    who_when,
)
from office.kit.values import from_log, log_text
from office.models import ChangeAction, ChangeLog, ChangeSource, db
from office.models.base import utcnow
from office.scope import current_scope

MAX_ROWS = 2000


@dataclass
class Outcome:
    status: int
    body: dict = field(default_factory=dict)


# ---------------------------------------------------------------- messages


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


def integrity_errors(exc, model, columns: list[Col]) -> dict[str, str]:
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
    message = ((constraint.info or {}).get("message") if hasattr(constraint, "info") else None
               ) or model_messages(model).get(getattr(constraint, "name", None))
    if isinstance(constraint, sa.UniqueConstraint):
        labels = "+".join(c.label for c in cols) or "关键字段"
        message = message or f"与已有记录重复（{labels}不能重复）"
    elif isinstance(constraint, sa.CheckConstraint):
        message = message or f"不符合数据规则：{constraint.name}"
    else:
        message = message or "数据库拒绝保存该行"
    return {(cols[-1].name if cols else "_row"): message}


def _first(messages) -> str:
    if isinstance(messages, dict):  # FieldList / FormField
        return _first(next(iter(messages.values())))
    return str(messages[0]) if messages else "无效"


# ---------------------------------------------------------------- forms


def build_form(view, forms: RowForms, item, values: dict, columns: dict, refs: dict,
               number: int = 0):
    """The view's form with the row's values over what it stores (kit/rowform.py), and the
    cells that could not even be read (said for row ``number`` as the grid shows it)."""
    data = forms.stored(item) if item is not None else MultiDict()
    cell_errors = {}
    for name, raw in values.items():
        try:
            data.setlist(name, [to_formdata(columns[name], raw, refs)])
        except CellError as exc:
            cell_errors[name] = exc.at(number, columns[name])
    form = forms.form_for(item)
    chosen = {}
    for fld in form:
        name, posted = fld.name, data.get(fld.name)
        if type(fld) is not QuerySelectField or posted in (None, "", "__None"):
            continue
        if name in values or item is None:
            chosen[name] = related_choice(view, type(form), name, posted)
        else:
            chosen[name] = getattr(item, name)  # stored and untouched: as it is
    return forms.fill(item, data, chosen), cell_errors


# ---------------------------------------------------------------- saving


def _undo_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="office-grid-undo")


def save_batch(view, columns: list[Col], rows: list[dict], may) -> Outcome:
    """Validate and write ``rows`` ([{key, id?, version?, row?, values: {field: value}}]) or
    nothing (``row``: the number the grid shows for it, used in messages). ``may(verb)``
    answers the user's permission on the view."""
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
    by_field = {c.name: c for c in columns}
    update_cols = {c.name: c for c in columns if c.can_update}
    insert_cols = {c.name: c for c in columns if c.can_insert}
    refs = ref_indexes(by_field, rows, current_scope())
    forms = RowForms(view)

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
            stored = None if is_new else items[int(row["id"])]
            if stored is not None:
                try:
                    check_version(stored, row.get("version"))
                except VersionConflict as exc:
                    errors[key] = {"_row": exc.message}
                    conflicts = True
                    continue
            with db.session.no_autoflush:
                form, cell_errors = build_form(view, forms, stored, values, allowed, refs,
                                               _row_number(row, n))
                valid = form.validate()
            row_errors = dict(cell_errors)
            if not valid:
                for name, messages in form.errors.items():
                    row_errors.setdefault(name if name in by_field else "_row", _first(messages))
            if row_errors:
                errors[key] = row_errors
                continue
            item = model() if is_new else stored
            populate(form, item, touched=set(values) if not is_new else set(form._fields))
            try:
                if is_new:
                    view.pre_add(item)  # row scope: aborts 404 outside the user's township
                    db.session.add(item)
                else:
                    view.pre_update(item)
            except HTTPException:
                raise
            except Exception as exc:  # a view's own rule, said as FAB's form would flash it
                errors[key] = {"_row": error_text(exc)}
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


def _row_number(row: dict, n: int) -> int:
    """The row's number as the grid shows it (its row header), sent as ``row``; else its place
    in the batch."""
    number = row.get("row")
    if isinstance(number, int) and not isinstance(number, bool) and 0 < number < 10**9:
        return number
    return n + 1


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


def undo_batch(view, columns: list[Col], token: str, may) -> Outcome:
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
                                   + who_when(model.__name__, row_id, last_of[row_id])}
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
                    try:
                        view.pre_delete(item)
                    except HasDependants as exc:  # rows added since refer to it
                        db.session.rollback()
                        return Outcome(409, {"errors": {str(item.id): {"_row": exc.message}},
                                             "message": "撤销被拒绝：" + exc.message})
                    db.session.delete(item)
                    removed.append(item)
            elif log.action == ChangeAction.update and log.field in table.c:
                current = log_text(getattr(item, log.field))
                if current != log.new:
                    db.session.rollback()
                    return Outcome(409, {"errors": {str(item.id): {"_row": CONFLICT}},
                                         "message": "撤销被拒绝：有行已被他人修改"})
                setattr(item, log.field, from_log(table.c[log.field], log.old))
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


__all__ = ["Outcome", "save_batch", "undo_batch", "conflict_message", "CONFLICT"]
