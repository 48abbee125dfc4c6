"""The user's scope, and the one place row scope is applied to queries and to rows.

A user bounded to a township or a department sees and changes only the rows that reach it
(each model declares how, in ``__scope__``); county-wide roles, the CLI and jobs see all.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import g, has_request_context
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_jwt_extended import current_user as current_user_jwt
from flask_login import current_user

from office.models import db
from office.roles import COUNTY_WIDE_ROLES


@dataclass(frozen=True)
class UserScope:
    restricted: bool = False
    township_id: int | None = None
    department_id: int | None = None


UNRESTRICTED = UserScope()


def scope_of(user) -> UserScope:
    if user is None or not getattr(user, "is_authenticated", False):
        return UserScope(restricted=True)
    if any(role.name in COUNTY_WIDE_ROLES for role in user.roles):
        return UNRESTRICTED
    return UserScope(True, user.township_id, user.department_id)


def request_user():
    """Who this request is: the session's user, else the bearer token's (FAB's @protect has
    verified it by the time a view runs), else None. flask-login alone is anonymous under a
    JWT, which made every API list empty and every API row a 404."""
    if getattr(current_user, "is_authenticated", False):
        return current_user
    try:
        user = current_user_jwt
        return user if getattr(user, "is_authenticated", False) else None
    except RuntimeError:  # no token verified in this request
        return None


def current_scope() -> UserScope:
    """The signed-in user's scope, computed once per request; CLI and jobs are county-wide."""
    if not has_request_context():
        return UNRESTRICTED
    if "office_scope" not in g:
        g.office_scope = scope_of(request_user())
    return g.office_scope


def _path_clause(model, path: str, value: int):
    """`compound.township_id == v` as nested IN-subqueries, which every database indexes."""
    head, _, rest = path.partition(".")
    if not rest:
        return getattr(model, head) == value
    prop = getattr(model, head).property
    (fk,) = prop.local_columns
    target = prop.mapper.class_
    return fk.in_(sa.select(target.id).where(_path_clause(target, rest, value)))


def scope_clause(model, scope: UserScope, write: bool = False):
    """The WHERE clause bounding `model` to the scope, or None when nothing bounds it."""
    rule = model.__scope__
    if not scope.restricted or (rule.public_read and not write):
        return None
    clauses = []
    if scope.township_id and rule.township:
        clauses.append(_path_clause(model, rule.township, scope.township_id))
    if scope.department_id and rule.department:
        clauses.append(_path_clause(model, rule.department, scope.department_id))
    return sa.or_(*clauses) if clauses else sa.false()


def _relationship_of(model, column_key: str):
    """The many-to-one relationship whose foreign key is `column_key`, if any."""
    for rel in sa.inspect(model).relationships:
        if [c.key for c in rel.local_columns] == [column_key] and not rel.uselist:
            return rel
    return None


def _related(item, rel):
    """The row `item.<rel>` will point at once flushed: a relationship just assigned wins (its
    foreign key column is only synced at flush), then a foreign key just assigned, then what
    the session has."""
    state = sa.inspect(item)
    (fk,) = rel.local_columns
    if state.attrs[rel.key].history.has_changes():
        return getattr(item, rel.key)
    if state.attrs[fk.key].history.has_changes() or rel.key not in state.dict:
        fk_value = getattr(item, fk.key)
        return None if fk_value is None else db.session.get(rel.mapper.class_, fk_value)
    return getattr(item, rel.key)


def _path_value(item, path: str):
    """Follow a scope path on a row as it stands in memory - possibly unflushed, with a
    relationship or a foreign key just changed by a form or an API payload."""
    head, _, rest = path.partition(".")
    model = type(item)
    if not rest:
        rel = _relationship_of(model, head)
        if rel is None:
            return getattr(item, head)
        related = _related(item, rel)
        return None if related is None else related.id
    related = _related(item, getattr(model, head).property)
    return None if related is None else _path_value(related, rest)


def in_scope(item, scope: UserScope | None = None, write: bool = True) -> bool:
    """Does the row, as it stands in memory, belong to the user's township or department?"""
    scope = scope or current_scope()
    rule = type(item).__scope__
    if not scope.restricted or (rule.public_read and not write):
        return True
    if scope.township_id and rule.township:
        if _path_value(item, rule.township) == scope.township_id:
            return True
    if scope.department_id and rule.department:
        if _path_value(item, rule.department) == scope.department_id:
            return True
    return False


class ScopedInterface(SQLAInterface):
    """FAB's data interface with the user's scope in every query it builds.

    FAB routes list, count, show, edit, delete and actions through `apply_filters`, so the
    scope holds on all of them. Related fields (form dropdowns and their validation) use the
    write scope for rows that belong to a township or department: a township clerk can only
    pick or post their own township's rows (and any property company).
    """

    def __init__(self, obj, session=None, write: bool = False) -> None:
        super().__init__(obj, session)
        self.write = write

    def apply_filters(self, query, filters):
        query = super().apply_filters(query, filters)
        clause = scope_clause(self.obj, current_scope(), self.write)
        return query if clause is None else query.filter(clause)

    def get_related_interface(self, col_name: str):
        # Rows that belong to a township/department are offered only when they are the user's
        # own; county-wide reference rows (companies, the plan, the county) belong to no one
        # and are offered as the user may read them.
        model = self.get_related_model(col_name)
        owned = bool(model.__scope__.township or model.__scope__.department)
        return ScopedInterface(model, self._session, write=owned)

    def writable(self) -> ScopedInterface:
        return ScopedInterface(self.obj, self._session, write=True)
