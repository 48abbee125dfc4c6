"""Who the user is, what they may touch, and the one place row scope is applied."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, g, has_request_context
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.sqla.apis import GroupApi
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_login import current_user

from .models import OfficeUser, db
from .models.base import utcnow
from .roles import COUNTY_WIDE_ROLES, READ, fab_roles
from .views.users import (
    OfficeGroupModelView,
    OfficePermissionViewModelView,
    OfficeRoleModelView,
    OfficeUserDBModelView,
)

# ---------------------------------------------------------------- passwords

_CLASSES = (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]")


def password_validator(password: str) -> None:
    """At least 10 characters and three of: lower, upper, digit, symbol (等保 baseline)."""
    password = password or ""
    if len(password) < 10 or sum(bool(re.search(c, password)) for c in _CLASSES) < 3:
        raise PasswordComplexityValidationError(
            "密码至少10位，且须包含大写字母、小写字母、数字、符号中的至少三类"
        )


# ---------------------------------------------------------------- scope


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


def current_scope() -> UserScope:
    """The signed-in user's scope, computed once per request; CLI and jobs are county-wide."""
    if not has_request_context():
        return UNRESTRICTED
    if "office_scope" not in g:
        g.office_scope = scope_of(current_user)
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


# ---------------------------------------------------------------- security manager


class OfficeSecurityManager(SecurityManager):
    user_model = OfficeUser

    @staticmethod
    def create_builtin_roles():
        return fab_roles()

    userdbmodelview = OfficeUserDBModelView
    rolemodelview = OfficeRoleModelView
    groupmodelview = OfficeGroupModelView
    permissionviewmodelview = OfficePermissionViewModelView
    # FAB's user statistics page draws with Google Charts from the internet: not on an intranet.
    userstatschartview = None
    # FAB's group API declares "roles.name" etc. as search columns, which it cannot filter
    # (a warning per column at every start): search groups by their own columns.
    group_api = type("GroupApi", (GroupApi,), {"search_columns": ["name", "label",
                                                                  "description"]})

    # --- lockout: N failures lock the account for M minutes, whatever the client
    def auth_user_db(self, username, password):
        # FAB also accepts the e-mail address as the login name: the lock must hold for both.
        user = (self.find_user(username=username) or self.find_user(email=username)
                if username else None)
        if user is not None and user.locked_until and user.locked_until > utcnow():
            return None
        authed = super().auth_user_db(username, password)
        if user is not None and authed is None:
            limit = current_app.config["OFFICE_LOCKOUT_FAILURES"]
            if (user.fail_login_count or 0) >= limit:
                minutes = current_app.config["OFFICE_LOCKOUT_MINUTES"]
                user.locked_until = utcnow() + dt.timedelta(minutes=minutes)
                user.fail_login_count = 0
                db.session.commit()
        return authed

    # --- menus follow read permission of the view behind each entry
    def has_access(self, permission_name, view_name):
        # The navbar asks "menu_access" per entry (FAB's is_menu_visible filter); the roles
        # grant no menu_access, the entries follow the screens instead - computed once a request.
        if permission_name == "menu_access":
            if "office_menu_access" not in g:
                g.office_menu_access = self.get_user_menu_access()
            return view_name in g.office_menu_access
        return super().has_access(permission_name, view_name)

    def get_user_menu_access(self, menu_names=None):
        allowed: set[str] = set()

        def walk(items) -> bool:
            any_visible = False
            for item in items:
                if item.childs:
                    visible = walk(item.childs)
                else:
                    # Separators and bare links carry no view: they never make a category show.
                    view = item.baseview
                    visible = view is not None and self.has_access(
                        f"can_{READ}", view.class_permission_name
                    )
                if visible:
                    allowed.add(item.name)
                    any_visible = True
            return any_visible

        walk(self.appbuilder.menu.get_list())
        return allowed if menu_names is None else allowed & set(menu_names)


def ensure_roles() -> None:
    """Role rows for the builtin roles, so users can be given them. Idempotent; a no-op on an
    empty database (the first `flask db upgrade` itself creates the app)."""
    from flask_appbuilder.security.sqla.models import Role

    if not sa.inspect(db.engine).has_table("ab_role"):
        return
    sm = current_app.appbuilder.sm
    existing = set(db.session.scalars(sa.select(Role.name)))
    for name in [*sm.builtin_roles, sm.auth_role_public]:
        if name not in existing:
            db.session.add(Role(name=name))
    db.session.commit()
