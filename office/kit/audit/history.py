"""A record's change history, told in the clerk's words, and undoing one logged change.

The change log stores values as text (enum member name, ISO date, FK id); this module shows
them as the screens do (enum label, YYYY-MM-DD, the related row's name) and turns them back
into values to revert. A revert is an ordinary ORM write, so the audit hook logs it - as
action 撤销 (audit_context(..., action=ChangeAction.revert)).
"""
from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import InvalidOperation

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from office.kit.audit.log import SECRET_CHANGED, SECRET_SET, SKIPPED_FIELDS, audit_context
from office.kit.columns import ref_spec
from office.kit.i18n import N_, Term, TranslatableError, tr
from office.kit.labels import model_labels
from office.kit.refs import label_of
from office.kit.values import from_log, log_text
from office.models import ChangeAction, ChangeLog, ChangeSource, db
from office.scope import in_scope

EMPTY = N_("（空）")
REVERTIBLE = (ChangeAction.update, ChangeAction.revert)


class RevertError(TranslatableError):
    """The change cannot be undone; the message (a msgid) says why."""


def entries(model, row_id: int, limit: int = 500) -> list[ChangeLog]:
    stmt = (sa.select(ChangeLog)
            .where(ChangeLog.entity == model.__name__, ChangeLog.row_id == row_id)
            .order_by(ChangeLog.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def _column(model, field: str):
    attrs = sa.inspect(model).column_attrs
    return attrs[field].columns[0] if field in attrs else None


def _relationship_for(model, field: str):
    for rel in sa.inspect(model).relationships:
        if [c.key for c in rel.local_columns] == [field] and not rel.uselist:
            return rel
    return None


def field_name(model, field: str) -> str:
    """The form/list name of a logged column: the relationship for a foreign key."""
    rel = _relationship_for(model, field)
    return rel.key if rel is not None else field


def field_label(labels: dict, model, field: str | None) -> str:
    if not field:
        return ""
    name = field_name(model, field)
    own = model_labels(model)
    return tr(str(labels.get(name) or own.get(name) or own.get(field) or field))


def from_text(model, field: str, text: str | None):
    """The attribute value a logged text stands for (values.from_log on the field's column)."""
    return from_log(_column(model, field), text)


def models_by_name() -> dict[str, type]:
    return {m.class_.__name__: m.class_ for m in ChangeLog.registry.mappers}


def _logged_values(entry: ChangeLog, model):
    """(field, text) pairs an entry shows: its field's old and new, or a snapshot's fields."""
    if entry.field:
        return [(entry.field, entry.old), (entry.field, entry.new)]
    try:
        data = json.loads((entry.new if entry.action == ChangeAction.insert else entry.old)
                          or "{}")
    except ValueError:
        return []
    return list(data.items()) if isinstance(data, dict) else []


def related_labels(entries) -> dict[tuple[type, int], str]:
    """The names of every related row the entries refer to by id - one UNION query for the
    rows named by a name column, one query per other model - so a page of the change log
    does not load its related rows one by one."""
    models = models_by_name()
    wanted: dict[type, set[int]] = defaultdict(set)
    for entry in entries:
        model = models.get(entry.entity)
        if model is None:
            continue
        for field, text in _logged_values(entry, model):
            rel = _relationship_for(model, field)
            if rel is not None and text and str(text).isdigit():
                wanted[rel.mapper.class_].add(int(text))
    labels: dict[tuple[type, int], str] = {}
    named = [t for t in wanted if ref_spec(t).by_name]
    if named:
        parts = [sa.select(sa.literal(t.__name__).label("model"), t.id, t.name)
                 .where(t.id.in_(sorted(wanted[t]))) for t in named]
        stmt = parts[0] if len(parts) == 1 else sa.union_all(*parts)
        for model_name, id_, name in db.session.execute(stmt):
            labels[(models[model_name], id_)] = name
    for target in wanted:
        if target in named:
            continue
        parents = [joinedload(getattr(target, r.key)) for r in sa.inspect(target).relationships
                   if r.direction.name == "MANYTOONE"]
        stmt = sa.select(target).where(target.id.in_(sorted(wanted[target]))).options(*parents)
        for obj in db.session.scalars(stmt).unique():
            labels[(target, obj.id)] = str(obj)
    return labels


def display(model, field: str, text: str | None, related: dict | None = None) -> str:
    """A logged value as the screens show it (`related`: from related_labels)."""
    if text is None or text == "":
        return tr(EMPTY)
    if text in (SECRET_CHANGED, SECRET_SET):
        return tr(text)
    column = _column(model, field)
    if column is None:
        return text
    try:
        value = from_text(model, field, text)
    except (KeyError, ValueError, InvalidOperation):
        return text
    rel = _relationship_for(model, field)
    if rel is not None:
        target = rel.mapper.class_
        if related is not None:
            label = related.get((target, value))
        else:
            row = db.session.get(target, value)
            label = label_of(row) if row is not None else None
        return label if label is not None else tr("#%(id)s（已删除）", id=value)
    if hasattr(value, "value") and hasattr(value, "name"):  # enum: its Chinese label
        return tr(str(value.value))
    if isinstance(value, bool):
        return tr("是") if value else tr("否")
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return text


def snapshot(labels: dict, model, text: str | None,
             related: dict | None = None) -> list[tuple[str, str]]:
    """An insert's or delete's JSON snapshot as (label, value) pairs, empty values left out."""
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return [("", text or "")]
    if not isinstance(data, dict):
        return [("", text or "")]
    return [(field_label(labels, model, k), display(model, k, v, related))
            for k, v in data.items() if v not in (None, "") and k != "id"]


def describe(labels: dict, model, entry: ChangeLog, editable: set[str],
             related: dict | None = None) -> dict:
    field = entry.field
    return {
        "id": entry.id,
        "at": entry.at.strftime("%Y-%m-%d %H:%M:%S") if entry.at else "",
        "username": entry.username or tr("（系统）"),
        "source": str(entry.source.value) if entry.source else "",
        "action": str(entry.action.value) if entry.action else "",
        "field": field_label(labels, model, field),
        "old": display(model, field, entry.old, related) if field else "",
        "new": display(model, field, entry.new, related) if field else "",
        "snapshot": snapshot(labels, model, entry.new if entry.action == ChangeAction.insert
                             else entry.old, related) if not field else [],
        "revertible": bool(field) and entry.action in REVERTIBLE
        and field_name(model, field) in editable,
    }


def revert(item, entry: ChangeLog, editable: set[str], labels: dict) -> str:
    """Set the logged field back to its old value; returns the success message.

    Refused (RevertError) unless the entry is a field change of this very row, the field is
    editable on the screen, and its current value is still the entry's new value.
    """
    model = type(item)
    field = entry.field
    if entry.entity != model.__name__ or entry.row_id != item.id:
        raise RevertError("这条修改记录不属于当前记录")
    if not field or entry.action not in REVERTIBLE or field in SKIPPED_FIELDS \
            or _column(model, field) is None:
        raise RevertError("只能撤销对单个字段的修改（新增、删除的记录不能在这里撤销）")
    label = field_label(labels, model, field)
    if field_name(model, field) not in editable:
        raise RevertError("“%(label)s”不能在本页面修改，因此不能撤销", label=label)
    current = log_text(getattr(item, field))
    if current != entry.new:
        raise RevertError(
            "不能撤销：“%(label)s”现在是“%(now)s”，已不是这条记录中的“%(new)s”（之后又被修改过）。"
            "如需恢复，请直接编辑。", label=label, now=display(model, field, current),
            new=display(model, field, entry.new))
    try:
        value = from_text(model, field, entry.old)
    except (KeyError, ValueError, InvalidOperation) as exc:
        raise RevertError("原值“%(old)s”已无法识别，不能撤销", old=entry.old) from exc
    try:
        with audit_context(ChangeSource.form, action=ChangeAction.revert):
            setattr(item, field, value)
            with db.session.no_autoflush:
                if not in_scope(item, write=True):
                    raise RevertError("撤销后这条记录将不属于您的管辖范围，不能撤销")
            db.session.commit()
    except RevertError:
        db.session.rollback()
        raise
    except ValueError as exc:  # a model hook (e.g. the 统一社会信用代码 checksum)
        db.session.rollback()
        raise RevertError("不能撤销：%(why)s", why=exc if isinstance(exc, TranslatableError)
                          else Term(str(exc))) from exc
    except StaleDataError as exc:
        db.session.rollback()
        raise RevertError("记录刚被他人修改，请刷新页面后重试") from exc
    except SQLAlchemyError as exc:
        db.session.rollback()
        first = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]
        raise RevertError("不能撤销：恢复后的数据不符合规则（%(why)s）", why=first) from exc
    return tr("已撤销：“%(label)s”由“%(new)s”恢复为“%(old)s”", label=label,
              new=display(model, field, entry.new), old=display(model, field, entry.old))
