"""Every write leaves ChangeLog rows: who, when, entity, row, field, old → new.

Hooked on the session's flush, so forms, grid, import, API, jobs and CLI are all covered
without each path remembering to log. Bulk Core inserts (the demo seeder) are not ORM writes
and are not logged on purpose.
"""
from __future__ import annotations

import contextlib
import json
from contextvars import ContextVar

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.orm import attributes

from office.kit.i18n import N_
from office.kit.values import log_text
from office.models import ChangeAction, ChangeLog, ChangeSource, ReportRun
from office.models.base import utcnow
from office.scope import request_user

NOT_AUDITED = {ChangeLog, ReportRun}  # ReportRun has its own status history
SKIPPED_FIELDS = {"created_at", "updated_at", "version"}

# Security changes (the user screens, the role screens, `office create-user`/`ensure-admin`) are
# logged in their own words: what an administrator changed, never a password hash (a password
# change shows as 已修改) and not the sign-in bookkeeping (login counts, dates, lockout).
SECURITY_COLUMNS = {
    "OfficeUser": ("username", "first_name", "last_name", "email", "active", "township_id",
                   "department_id", "password"),
    "Role": ("name",),
}
SECURITY_COLLECTIONS = {"OfficeUser": ("roles",), "Role": ("permissions",)}
SECRET = {"password"}
SECRET_CHANGED, SECRET_SET = N_("（已修改）"), N_("（已设置）")

_source: ContextVar[ChangeSource | None] = ContextVar("audit_source", default=None)
_actor: ContextVar[tuple[int | None, str | None] | None] = ContextVar("audit_actor", default=None)
_action: ContextVar[ChangeAction | None] = ContextVar("audit_action", default=None)


@contextlib.contextmanager
def audit_context(source: ChangeSource, user_id: int | None = None, username: str | None = None,
                  action: ChangeAction | None = None):
    """Label the writes in this block (grid, import, job …) and, outside a request, their author.

    `action` relabels the field changes of the block (e.g. ChangeAction.revert when a logged
    change is undone); inserts and deletes keep their own action.
    """
    s_token = _source.set(source)
    a_token = _actor.set((user_id, username) if username else None)
    c_token = _action.set(action)
    try:
        yield
    finally:
        _source.reset(s_token)
        _actor.reset(a_token)
        _action.reset(c_token)


def _who() -> tuple[int | None, str | None]:
    if actor := _actor.get():
        return actor
    if has_request_context() and (user := request_user()) is not None:
        return user.id, user.username
    return None, None


def _where() -> ChangeSource:
    if source := _source.get():
        return source
    if has_request_context():
        return ChangeSource.api if request.path.startswith("/api/") else ChangeSource.form
    return ChangeSource.cli


def _columns(obj):
    mapper = sa.inspect(obj).mapper
    return [c for c in mapper.column_attrs if c.key not in SKIPPED_FIELDS]


def _snapshot(obj) -> str:
    return json.dumps({c.key: log_text(getattr(obj, c.key)) for c in _columns(obj)},
                      ensure_ascii=False)


def _names(items) -> str:
    return "、".join(sorted(str(i) for i in items))


def _security_rows(session, base):
    for obj in session.new:
        name = type(obj).__name__
        if name in SECURITY_COLUMNS:
            data = {c: (SECRET_SET if c in SECRET else log_text(getattr(obj, c, None)))
                    for c in SECURITY_COLUMNS[name]}
            data.update({c: _names(getattr(obj, c, None) or [])
                         for c in SECURITY_COLLECTIONS[name]})
            yield {**base, "entity": name, "row_id": obj.id, "action": ChangeAction.insert,
                   "field": None, "old": None, "new": json.dumps(data, ensure_ascii=False)}
    for obj in session.dirty:
        name = type(obj).__name__
        if name not in SECURITY_COLUMNS:
            continue
        for col in SECURITY_COLUMNS[name]:
            hist = attributes.get_history(obj, col)
            if not hist.has_changes():
                continue
            old = log_text(hist.deleted[0] if hist.deleted else None)
            new = log_text(hist.added[0] if hist.added else None)
            if old == new:
                continue
            if col in SECRET:
                old, new = None, SECRET_CHANGED
            yield {**base, "entity": name, "row_id": obj.id, "action": ChangeAction.update,
                   "field": col, "old": old, "new": new}
        for col in SECURITY_COLLECTIONS[name]:
            hist = attributes.get_history(obj, col)
            if not (hist.added or hist.deleted):
                continue
            before = list(hist.unchanged) + list(hist.deleted)
            after = list(hist.unchanged) + list(hist.added)
            if _names(before) != _names(after):
                yield {**base, "entity": name, "row_id": obj.id,
                       "action": ChangeAction.update, "field": col, "old": _names(before),
                       "new": _names(after)}
    for obj in session.deleted:
        name = type(obj).__name__
        if name in SECURITY_COLUMNS:
            data = {c: log_text(getattr(obj, c, None)) for c in SECURITY_COLUMNS[name]
                    if c not in SECRET}
            yield {**base, "entity": name, "row_id": obj.id, "action": ChangeAction.delete,
                   "field": None, "old": json.dumps(data, ensure_ascii=False), "new": None}


def _rows_for(session):
    user_id, username = _who()
    base = {"at": utcnow(), "user_id": user_id, "username": username, "source": _where()}
    update_action = _action.get() or ChangeAction.update
    yield from _security_rows(session, base)
    for obj in session.new:
        if _audited(obj):
            yield {**base, "entity": type(obj).__name__, "row_id": obj.id,
                   "action": ChangeAction.insert, "field": None, "old": None,
                   "new": _snapshot(obj)}
    for obj in session.dirty:
        if not _audited(obj) or not session.is_modified(obj, include_collections=False):
            continue
        for col in _columns(obj):
            hist = attributes.get_history(obj, col.key)
            if hist.has_changes():
                old = log_text(hist.deleted[0] if hist.deleted else None)
                new = log_text(hist.added[0] if hist.added else None)
                if old != new:
                    yield {**base, "entity": type(obj).__name__, "row_id": obj.id,
                           "action": update_action, "field": col.key, "old": old,
                           "new": new}
    for obj in session.deleted:
        if _audited(obj):
            yield {**base, "entity": type(obj).__name__, "row_id": obj.id,
                   "action": ChangeAction.delete, "field": None, "old": _snapshot(obj),
                   "new": None}


def _audited_class(cls) -> bool:
    return hasattr(cls, "__scope__") and cls not in NOT_AUDITED


def _audited(obj) -> bool:
    return _audited_class(type(obj))


def _after_flush(session, flush_context) -> None:
    rows = list(_rows_for(session))
    if rows:
        session.connection().execute(sa.insert(ChangeLog), rows)


def _keep_old_value(target, value, oldvalue, initiator):
    return value


def install(session) -> None:
    if sa.event.contains(session, "after_flush", _after_flush):
        return
    sa.event.listen(session, "after_flush", _after_flush)
    # An attribute set after a commit would otherwise not know its old value (it is expired);
    # active history loads it first, so the log always has old → new.
    sa.orm.configure_mappers()
    for mapper in ChangeLog.registry.mappers:
        if _audited_class(mapper.class_):
            for col in mapper.column_attrs:
                sa.event.listen(getattr(mapper.class_, col.key), "set", _keep_old_value,
                                active_history=True, retval=True)
        for col in SECURITY_COLUMNS.get(mapper.class_.__name__, ()):
            sa.event.listen(getattr(mapper.class_, col), "set", _keep_old_value,
                            active_history=True, retval=True)
