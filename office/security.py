"""Who the user is: passwords, the security manager (lockout, menus), the builtin roles.

Row scope lives in office/scope.py; the security screens are bound in office/views/users.py."""
from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from flask import current_app, g
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_appbuilder.security.sqla.apis import GroupApi
from flask_appbuilder.security.sqla.manager import SecurityManager

from office.models import OfficeUser, db
from office.models.base import utcnow
from office.roles import READ, fab_roles

# ---------------------------------------------------------------- passwords

_CLASSES = (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]")


def password_validator(password: str) -> None:
    """At least 10 characters and three of: lower, upper, digit, symbol (等保 baseline)."""
    password = password or ""
    if len(password) < 10 or sum(bool(re.search(c, password)) for c in _CLASSES) < 3:
        raise PasswordComplexityValidationError(
            "密码至少10位，且须包含大写字母、小写字母、数字、符号中的至少三类"
        )


# ---------------------------------------------------------------- security manager


class OfficeSecurityManager(SecurityManager):
    user_model = OfficeUser

    @staticmethod
    def create_builtin_roles():
        return fab_roles()

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
