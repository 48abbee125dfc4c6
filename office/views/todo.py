"""The landing page ("/"): everyone lands where their work is.

A township clerk or a department liaison lands on 我的待办 (office/services/todo.py: their
tasks due soon and overdue, findings to rectify, stale or missing boards, contact rows not
reported, each linking to its row); whoever else may read the dashboard (BureauClerk,
Supervisor, Admin) lands on it; anyone else on the plain banner.
"""
from __future__ import annotations

from flask_login import current_user

from office.kit.i18n import tr
from office.roles import MY_TASKS, READ
from office.scope import current_scope
from office.services import todo
from office.services.deadlines import today
from office.views.dashboard import landing as dashboard_landing


def landing(index_view):
    """The page for "/", or None for the plain index."""
    appbuilder = index_view.appbuilder
    if not current_user.is_authenticated:
        return None
    scope = current_scope()
    if scope.restricted and appbuilder.sm.has_access(f"can_{READ}", MY_TASKS):
        day = today()
        return index_view.render_template(
            "office/todo.html", sections=todo.todo(scope, day), today=day,
            owner=current_user.township or current_user.department, title=tr("我的待办"))
    return dashboard_landing(appbuilder)
