"""User administration: FAB's user screens plus the township/department bounding each user;
signing out."""
from flask import redirect, session
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.views import (
    AuthDBView,
    PermissionViewModelView,
    RoleModelView,
    UserDBModelView,
    UserGroupModelView,
)
from flask_login import current_user, logout_user

from office.models import OfficeUser, db
from office.security import OfficeSecurityManager, end_sessions

_SCOPE_COLUMNS = ["township", "department"]


class OfficeUserDBModelView(UserDBModelView):
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
        "township": "所属乡镇（街道、场）",
        "department": "所属部门",
        "locked_until": "锁定至",
    }


# FAB leaves a few search/list columns of its security screens without a label ("Groups",
# "Name", "Role" stay English in every locale).
class OfficeRoleModelView(RoleModelView):
    label_columns = {**RoleModelView.label_columns, "groups": "用户组"}


class OfficeGroupModelView(UserGroupModelView):
    label_columns = {"name": "名称", "label": "显示名称", "description": "说明", "users": "用户",
                     "roles": "角色"}


class OfficePermissionViewModelView(PermissionViewModelView):
    label_columns = {**PermissionViewModelView.label_columns, "role": "角色"}


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
