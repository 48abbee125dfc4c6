"""Who the user is: passwords, sessions and tokens that end, the security manager (lockout, login
limits, menus), the builtin roles.

Row scope lives in office/scope.py; the security screens are bound in office/views/users.py."""
from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from flask import current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.sqla.apis import GroupApi
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_login import current_user, logout_user, user_logged_in

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


# ---------------------------------------------------------------- sessions and tokens
#
# Every session cookie and every API token carries the user's session generation; logout, a
# password change or reset, deactivation and a change of roles or scope advance it, and a
# cookie or token of an older generation is refused on the next request - in every browser,
# for every token, access and refresh alike.

GENERATION = "office_gen"  # the session key, and the JWT claim
SIGNED_OUT = "登录已失效（已退出登录、修改了密码或账号已调整），请重新登录"
# What ends a user's sessions when it changes (the password column holds the hash).
ENDS_SESSIONS = ("password", "active", "roles", "township", "township_id", "department",
                 "department_id")


def end_sessions(user) -> None:
    """Advance the user's generation: every session and token issued before is dead."""
    user.session_generation = (user.session_generation or 0) + 1


def _advance_on_change(db_session, flush_context, instances) -> None:
    for obj in db_session.dirty:
        if not isinstance(obj, OfficeUser):
            continue
        state = sa.inspect(obj)
        if state.attrs.session_generation.history.has_changes():
            continue  # advanced already (logout)
        if any(state.attrs[name].history.has_changes() for name in ENDS_SESSIONS):
            end_sessions(obj)


def _remember_generation(sender, user, **extra) -> None:
    session[GENERATION] = user.session_generation or 0


def _refuse_old_sessions():
    """Before every request: a session cookie of an older generation is signed out."""
    if not current_user.is_authenticated or "_user_id" not in session:
        return None  # anonymous, or a bearer token (checked by the JWT manager)
    if session.get(GENERATION) == (current_user.session_generation or 0):
        return None
    logout_user()
    session.clear()
    if request.path.startswith("/api/"):
        return jsonify(message=SIGNED_OUT), 401
    flash(SIGNED_OUT, "warning")
    return redirect(url_for(current_app.appbuilder.sm.auth_view.endpoint + ".login"))


# ---------------------------------------------------------------- response headers
#
# Nothing the app serves comes from elsewhere (an offline intranet: tests/test_offline.py), so
# the policy allows this host only; FAB's and our templates carry inline scripts and styles.
# No page may be framed (clickjacking a clerk into a delete).
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self' 'unsafe-inline'",
    "style-src 'self' 'unsafe-inline'", "img-src 'self' data: blob:", "font-src 'self' data:",
    "connect-src 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'",
    "frame-ancestors 'none'",
])
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
}


def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def install(app) -> None:
    """Wire sessions, login limits and response headers into the app (create_app)."""
    if not sa.event.contains(db.session, "before_flush", _advance_on_change):
        sa.event.listen(db.session, "before_flush", _advance_on_change)
    user_logged_in.connect(_remember_generation, app)
    app.before_request(_refuse_old_sessions)
    app.after_request(_security_headers)
    sm = app.appbuilder.sm
    # The same limit on every login path, counted together (Redis across workers in
    # production): the form (FAB limits its own blueprint too) and the API's login/refresh.
    if sm.is_auth_limited:
        api = next(v for v in app.appbuilder.baseviews if isinstance(v, SecurityApi))
        shared = sm.limiter.shared_limit(sm.auth_rate_limit, scope="office-login",
                                         methods=["POST"])
        shared(sm.auth_view.blueprint)
        shared(api.blueprint)


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

    # --- tokens carry the generation; one of an older generation (or a deactivated user's)
    # is refused like a revoked one, with a Chinese message
    def create_jwt_manager(self, app):
        manager = super().create_jwt_manager(app)

        @manager.additional_claims_loader
        def _claims(identity):
            user = self.get_user_by_id(int(identity))
            return {GENERATION: (user.session_generation or 0) if user is not None else -1}

        @manager.token_in_blocklist_loader
        def _dead(jwt_header, jwt_payload) -> bool:
            try:
                user = self.get_user_by_id(int(jwt_payload["sub"]))
            except (KeyError, TypeError, ValueError):
                return True
            return (user is None or not user.is_active
                    or jwt_payload.get(GENERATION) != (user.session_generation or 0))

        @manager.revoked_token_loader
        def _revoked(jwt_header, jwt_payload):
            return jsonify(message=SIGNED_OUT), 401

        return manager

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
