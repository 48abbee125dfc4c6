"""User administration: FAB's user screens plus the township/department bounding each user;
signing out."""
from flask import abort, redirect, request, session
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.forms import SelectDataRequired
from flask_appbuilder.security.views import (
    AuthDBView,
    PermissionModelView,
    PermissionViewModelView,
    RoleModelView,
    UserDBModelView,
    UserGroupModelView,
    ViewMenuModelView,
)
from flask_login import current_user, logout_user

from office.kit.i18n import lazy
from office.kit.labels import to_minute
from office.models import OfficeUser, db
from office.roles import role_label, role_labels
from office.security import OfficeSecurityManager, end_sessions

_SCOPE_COLUMNS = ["township", "department"]


class _Guarded:
    """What OfficeModelView guards, for FAB's own security screens too: no /download/ (it
    would serve UPLOAD_FOLDER, which no screen uses), and an unknown bulk action is a 404
    (FAB would fail on it with a 500)."""

    exclude_route_methods = {"download"}

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        if name not in self.actions:
            abort(404)
        return super().action(name, pk)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        if request.form.get("action") not in self.actions:
            abort(404)
        return super().action_post()


class OfficeUserDBModelView(_Guarded, UserDBModelView):
    # FAB's "a role or a group" rule reads a groups field this screen does not have (a 500
    # for a user with no valid role): roles alone are required here.
    validators_columns = {"roles": [SelectDataRequired(message=lazy("请至少选择一个角色"))]}
    list_columns = ["username", "first_name", "last_name", "roles", *_SCOPE_COLUMNS, "active"]
    add_columns = UserDBModelView.add_columns[:6] + _SCOPE_COLUMNS + ["password", "conf_password"]
    edit_columns = [
        "first_name", "last_name", "username", "active", "email", "roles", *_SCOPE_COLUMNS,
    ]
    show_columns = [
        "first_name", "last_name", "username", "active", "email", "roles", *_SCOPE_COLUMNS,
        "login_count", "fail_login_count", "locked_until", "last_login",
    ]
    label_columns = {
        **UserDBModelView.label_columns,
        "township": lazy("所属乡镇（街道、场）"),
        "department": lazy("所属部门"),
        "locked_until": lazy("锁定至"),
    }
    # A role by its Chinese name and code (office/roles.py), never FAB's "[TownshipClerk]".
    formatters_columns = {"roles": role_labels, "last_login": to_minute,
                          "locked_until": to_minute}
    # FAB's show page and 个人信息 (userinfo) use fieldsets: the user's township/department too.
    show_fieldsets = [
        (lazy("用户信息"), {"fields": ["username", "active", "roles", *_SCOPE_COLUMNS]}),
        (lazy("个人信息"), {"fields": ["first_name", "last_name", "email"], "expanded": True}),
        (lazy("登录情况"), {"fields": ["login_count", "fail_login_count", "locked_until",
                             "last_login"], "expanded": True}),
    ]
    user_show_fieldsets = show_fieldsets[:2]


# FAB leaves a few search/list columns of its security screens without a label ("Groups",
# "Name", "Role" stay English in every locale).
class OfficeRoleModelView(_Guarded, RoleModelView):
    label_columns = {**RoleModelView.label_columns, "groups": lazy("用户组")}
    formatters_columns = {"name": role_label}


class OfficeGroupModelView(_Guarded, UserGroupModelView):
    label_columns = {"name": lazy("名称"), "label": lazy("显示名称"), "description": lazy("说明"),
                     "users": lazy("用户"), "roles": lazy("角色")}


class OfficePermissionModelView(_Guarded, PermissionModelView):
    pass


class OfficeViewMenuModelView(_Guarded, ViewMenuModelView):
    pass


class OfficePermissionViewModelView(_Guarded, PermissionViewModelView):
    label_columns = {**PermissionViewModelView.label_columns, "role": lazy("角色")}


class OfficeAuthDBView(AuthDBView):
    """Signing out is a POST with the CSRF token (a GET link would let any site sign a clerk
    out), and it ends the user's other sessions and tokens too (office/security.py)."""

    @expose("/logout/", methods=["POST"])
    def logout(self):
        if current_user.is_authenticated:
            user = db.session.get(OfficeUser, current_user.id)
            end_sessions(user)
            db.session.commit()
            self.appbuilder.sm.on_user_logout(user)
        logout_user()
        session.clear()
        return redirect(self.appbuilder.get_url_for_login)


class ScreenedSecurityManager(OfficeSecurityManager):
    """The security manager AppBuilder builds (FAB_SECURITY_MANAGER_CLASS), with the user
    screens above: security.py itself knows no screen, so imports run one way, down."""

    authdbview = OfficeAuthDBView
    userdbmodelview = OfficeUserDBModelView
    rolemodelview = OfficeRoleModelView
    groupmodelview = OfficeGroupModelView
    permissionviewmodelview = OfficePermissionViewModelView
    permissionmodelview = OfficePermissionModelView
    viewmenumodelview = OfficeViewMenuModelView
