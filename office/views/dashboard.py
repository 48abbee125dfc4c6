"""工作看板: the campaign's figures against its targets, per township, and their monthly trend.

    /dashboard/          the page (also what "/" shows to whoever may read it)
    /dashboard/data      the same content as JSON
    /dashboard/status    is the stored date fresh yet? (the page polls it while recomputing)
    /dashboard/behind    the compounds behind a figure (drill-down), row-scoped

Permission "can_read" on "Dashboard" (office/roles.py: BureauClerk, TownshipClerk, Supervisor
and Admin). The content is built by office/services/dashboard.py from stored snapshots.
"""
from __future__ import annotations

from flask import abort, current_app, jsonify, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from office.kit.i18n import N_, error_text
from office.kit.labels import local_time
from office.roles import DASHBOARD, READ
from office.scope import current_scope
from office.services import dashboard as service, snapshot
from office.views.indicators_api import IndicatorApi


def _int(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        abort(404)


def _links() -> service.Links:
    return service.Links(url_for("DashboardView.behind"))


def refresh_on_view() -> bool:
    """Does viewing a stale or missing date queue its recomputation? Yes, except in a test
    app (TESTING) unless the test asks for it: a page view in an unrelated test must not put
    jobs on the shared in-process queue, nor start the embedded worker that would run them
    in the middle of other tests."""
    return bool(current_app.config.get("DASHBOARD_REFRESH_ON_VIEW", not current_app.testing))


def compute_now() -> int:
    """Up to how many compounds a missing or stale date is computed during the page view
    (DASHBOARD_COMPUTE_NOW_MAX, default 5000: a county-sized demo or deployment; a city of
    200,000 compounds is queued and the page polls). 0 in a test app unless asked for, like
    refresh_on_view."""
    default = 0 if current_app.testing else 5000
    return int(current_app.config.get("DASHBOARD_COMPUTE_NOW_MAX", default))


def may_read_dashboard(sm) -> bool:
    return sm.has_access(f"can_{READ}", DASHBOARD)


class DashboardView(BaseView):
    route_base = "/dashboard"
    class_permission_name = DASHBOARD
    method_permission_name = {"index": READ, "data": READ, "status": READ, "behind": READ}
    default_view = "index"
    template = "dashboard/index.html"

    def content(self) -> dict:
        return service.build(current_scope(), _int("campaign"), request.args.get("as_of"),
                             _links(), enqueue=refresh_on_view(), compute_now=compute_now())

    def render_dashboard(self):
        try:
            data = self.content()
        except service.DashboardError as exc:
            return self.render_template("dashboard/index.html", data=None, error=error_text(exc),
                                        title="工作看板")
        return self.render_template("dashboard/index.html", data=data, error=None,
                                    title="工作看板")

    @expose("/")
    @has_access
    def index(self):
        return self.render_dashboard()

    @expose("/data")
    @has_access
    def data(self):
        try:
            return jsonify(self.content())
        except service.DashboardError as exc:
            return jsonify({"error": error_text(exc)}), 404

    @expose("/status")
    @has_access
    def status(self):
        """Cheap: the stored date's mark and time, the change mark, queued or not."""
        try:
            _campaigns, campaign, as_of = service.resolve(
                current_scope(), _int("campaign"), request.args.get("as_of"))
        except service.DashboardError as exc:
            return jsonify({"error": error_text(exc)}), 404
        head = snapshot.head(campaign.id, as_of)
        mark = snapshot.current_mark()
        return jsonify({
            "as_of": as_of.isoformat(),
            "computed_at": local_time(head[1]) if head else None,
            "change_mark": head[0] if head else None,
            "current_mark": mark,
            "fresh": head is not None and head[0] >= mark,
            "pending": snapshot.pending(campaign.id, as_of),
        })

    @expose("/behind")
    @has_access
    def behind(self):
        if not self.appbuilder.sm.has_access(f"can_{READ}", "Compound"):
            abort(403)
        try:
            data = service.behind(current_scope(), _int("campaign"), request.args.get("as_of"),
                                  request.args.get("key", ""), _int("township"),
                                  _int("page") or 0)
        except service.DashboardError:
            abort(404)
        return self.render_template("dashboard/behind.html", data=data,
                                    title=f"{data['label']}未达标小区")


def register_dashboard(appbuilder, category: str) -> None:
    """The menu entry 统计报表 › 工作看板 (office/views/menu.py calls this)."""
    appbuilder.add_view(DashboardView, N_("工作看板"), icon="fa-dashboard", category=category)
    appbuilder.add_api(IndicatorApi)


def landing(appbuilder):
    """The dashboard page for "/" when the user may read it, else None (the plain index)."""
    if not may_read_dashboard(appbuilder.sm):
        return None
    for view in appbuilder.baseviews:
        if isinstance(view, DashboardView):
            return view.render_dashboard()
    return None
