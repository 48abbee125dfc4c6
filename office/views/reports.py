"""统计上报: the archive of returns, starting one, watching it, downloading and submitting it.

Read (ReportRun can_read: BureauClerk, Supervisor) — the list and show pages, the live status
(JSON, polled by the page), the archived file. Add (can_add: the same roles) — start a
return for an as-of date, retry a failed one, generate again, submit to the city or record
its receipt. Every POST carries the CSRF token of the page's forms.

The archive itself stays read-only for FAB's generic routes and the REST API: "can_add" is
checked by these endpoints (ReportRunView.method_verbs names them), not granted to FAB's add
form or importer (base_permissions stays ["can_read"]).
"""
from __future__ import annotations

import datetime as dt
import functools

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    jsonify,
    redirect,
    request,
    url_for,
)
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_login import current_user

from office.kit.base import OfficeModelView
from office.kit.downloads import send_download
from office.kit.i18n import flash_tr
from office.kit.labels import to_minute
from office.models import Campaign, ReportRun, ReportStatus, SubmissionStatus, db
from office.roles import ADD, READ, REPORTS
from office.scope import ScopedInterface
from office.services import dashboard, snapshot, submission
from office.services.report import (
    archive as report_archive,
    runs as report_runs,
    sweep as report_sweep,
)
from office.services.report.build import ReportError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS_IDS_MAX = 50


def _may(view, verb: str) -> bool:
    return current_user.is_authenticated and view.appbuilder.sm.has_access(
        f"can_{verb}", view.class_permission_name)


def requires(verb: str):
    """Like FAB's has_access, for a verb outside base_permissions (see the module docstring)."""

    def decorate(func):
        @functools.wraps(func)
        def wrapped(self, *args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(self.appbuilder.get_url_for_login)
            if not _may(self, verb):
                abort(403)
            return func(self, *args, **kwargs)

        return wrapped

    return decorate


def attempts_label(run: ReportRun) -> str:
    """共生成 N 次，其中自动重试 M 次 (a retry after a dead worker or a dropped connection)."""
    return f"共生成 {run.attempts or 0} 次，其中自动重试 {run.auto_retries or 0} 次"


def retry_lines(run: ReportRun) -> list[str]:
    return [line for line in (run.retry_log or "").splitlines() if line.strip()]


def run_state(run: ReportRun) -> dict:
    """What the page shows of a run, for its polling script."""
    def stamp(value):
        return to_minute(value) if value else None

    return {
        "id": run.id, "as_of": run.as_of.isoformat(), "status": run.status.name,
        "status_label": str(run.status), "progress": run.progress or 0, "error": run.error,
        "attempts": run.attempts, "auto_retries": run.auto_retries or 0,
        "attempts_label": attempts_label(run), "retry_log": retry_lines(run),
        "requested_by": run.requested_by,
        "created_at": stamp(run.created_at), "started_at": stamp(run.started_at),
        "finished_at": stamp(run.finished_at), "sha256": run.sha256,
        "file_size": run.file_size,
        "submission_status": run.submission_status.name if run.submission_status else None,
        "submission_label": str(run.submission_status) if run.submission_status else "未上报",
        "submission_error": run.submission_error, "receipt_no": run.receipt_no,
        "submitted_at": stamp(run.submitted_at),
        "active": run.status in report_runs.ACTIVE
        or run.submission_status == SubmissionStatus.sending,
    }


class ReportRunView(OfficeModelView):
    datamodel = ScopedInterface(ReportRun)
    # watching and downloading a return is reading it; starting, retrying, generating again
    # and submitting one is adding (BureauClerk, Supervisor)
    method_verbs = {
        "report_status": READ, "report_file": READ, "report_start": ADD, "report_retry": ADD,
        "report_regenerate": ADD, "report_submit": ADD, "report_receipt": ADD,
    }
    class_permission_name = REPORTS
    list_columns = ["id", "as_of", "status", "progress", "requested_by", "created_at",
                    "finished_at", "submission_status", "receipt_no"]
    show_columns = ["id", "as_of", "campaign", "status", "progress", "error", "attempts",
                    "auto_retries", "trigger", "requested_by", "reviewer", "created_at",
                    "started_at", "finished_at", "file_size", "sha256", "submission_channel",
                    "submission_status", "submission_error", "submitted_by", "submitted_at",
                    "receipt_no"]
    search_columns = ["as_of", "status", "requested_by", "receipt_no", "created_at"]
    label_columns = {"id": "编号", "trigger": "发起方式", "reviewer": "审核人",
                     "attempts": "生成次数", "auto_retries": "自动重试次数",
                     "retry_log": "自动重试记录", "file_size": "文件大小(字节)",
                     "submission_channel": "上报方式", "submission_status": "上报状态",
                     "submission_error": "上报情况", "submitted_by": "上报人",
                     "campaign": "工作方案"}
    formatters_columns = {name: to_minute for name in
                          ("created_at", "started_at", "finished_at", "submitted_at")}
    base_order = ("id", "desc")
    base_permissions = ["can_read"]  # see the module docstring: "add" is checked per endpoint
    list_template = "reports/list.html"
    show_template = "reports/show.html"

    # ------------------------------------------------------------ pages

    def render_template(self, template, **kwargs):
        if template in (self.list_template, self.show_template):
            report_sweep.sweep_stale()
            kwargs["report"] = self._page_context(kwargs.get("pk"))
        return super().render_template(template, **kwargs)

    def _page_context(self, pk) -> dict:
        recent = db.session.scalars(sa.select(ReportRun).order_by(ReportRun.id.desc())
                                    .limit(8)).all()
        run = self.datamodel.get(pk) if pk is not None else None
        campaigns = db.session.scalars(sa.select(Campaign).order_by(Campaign.starts_on.desc())
                                       ).all()
        return {
            "can_add": _may(self, ADD), "recent": recent, "run": run,
            "state": run_state(run) if run else None,
            # the dashboard's date (services/dashboard.default_date): the two agree
            "default_as_of": dashboard.default_date().isoformat(),
            "today": snapshot.today().isoformat(),
            "campaigns": campaigns, "city": bool(current_app.config.get("CITY_ENDPOINT")),
            "status_url": url_for(f"{type(self).__name__}.report_status"),
            "ReportStatus": ReportStatus, "SubmissionStatus": SubmissionStatus,
        }

    def _run_or_404(self, pk) -> ReportRun:
        run = self.datamodel.get(pk)
        if run is None:
            abort(404)
        return run

    def _back(self, run: ReportRun | None = None):
        if run is not None:
            return redirect(url_for(f"{type(self).__name__}.show", pk=run.id))
        return redirect(url_for(f"{type(self).__name__}.list"))

    # ------------------------------------------------------------ read

    @expose("/report/status")
    @has_access
    def report_status(self):
        report_sweep.sweep_stale()
        raw = request.args.get("ids", "")
        ids = [int(x) for x in raw.split(",") if x.strip().isdigit()][:STATUS_IDS_MAX]
        query = sa.select(ReportRun).order_by(ReportRun.id.desc())
        query = query.where(ReportRun.id.in_(ids)) if ids else query.limit(8)
        db.session.expire_all()
        response = jsonify(runs=[run_state(r) for r in db.session.scalars(query)])
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/report/file/<int:pk>")
    @has_access
    def report_file(self, pk):
        run = self._run_or_404(pk)
        try:
            path = report_archive.archived_file(run)
        except ReportError as exc:
            flash_tr(exc, "danger")
            return self._back(run)
        response = send_download(path, report_archive.download_name(run), mimetype=XLSX,
                                 fallback=report_archive.download_fallback(run))
        response.headers["X-Report-SHA256"] = run.sha256
        return response

    # ------------------------------------------------------------ add

    @expose("/report/start", methods=["POST"])
    @requires(ADD)
    def report_start(self):
        try:
            as_of = dt.date.fromisoformat(request.form.get("as_of", "").strip())
        except ValueError:
            flash_tr("请按 YYYY-MM-DD 填写统计截止日期", "danger")
            return self._back()
        if as_of > snapshot.today():
            flash_tr("统计截止日期不能晚于今天", "danger")
            return self._back()
        campaign = request.form.get("campaign_id", "").strip()
        try:
            run = report_runs.start_run(as_of, current_user.username,
                                        request.form.get("reviewer", "")[:64],
                                        int(campaign) if campaign.isdigit() else None)
        except ReportError as exc:
            flash_tr(exc, "danger")
            return self._back()
        flash_tr("已开始生成统计截止日期为 %(as_of)s 的报表（第%(id)s号）", "info",
                 as_of=as_of.isoformat(), id=run.id)
        return self._back(run)

    @expose("/report/retry/<int:pk>", methods=["POST"])
    @requires(ADD)
    def report_retry(self, pk):
        run = self._run_or_404(pk)
        try:
            report_runs.retry_run(run)
            flash_tr("第%(id)s号报表已重新提交生成", "info", id=run.id)
        except ReportError as exc:
            flash_tr(exc, "danger")
        return self._back(run)

    @expose("/report/regenerate/<int:pk>", methods=["POST"])
    @requires(ADD)
    def report_regenerate(self, pk):
        run = self._run_or_404(pk)
        try:
            new = report_runs.regenerate(run, current_user.username)
        except ReportError as exc:
            flash_tr(exc, "danger")
            return self._back(run)
        flash_tr("已按同一统计截止日期重新生成（第%(new)s号）；第%(id)s号报表保持归档不变", "info",
                 new=new.id, id=run.id)
        return self._back(new)

    @expose("/report/submit/<int:pk>", methods=["POST"])
    @requires(ADD)
    def report_submit(self, pk):
        run = self._run_or_404(pk)
        try:
            submission.start_submission(run, current_user.username)
            flash_tr("已开始向市级平台报送", "info")
        except ReportError as exc:
            flash_tr(exc, "danger")
        return self._back(run)

    @expose("/report/receipt/<int:pk>", methods=["POST"])
    @requires(ADD)
    def report_receipt(self, pk):
        run = self._run_or_404(pk)
        raw = request.form.get("submitted_on", "").strip()
        try:
            day = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            flash_tr("请按 YYYY-MM-DD 填写报送日期", "danger")
            return self._back(run)
        try:
            submission.record_receipt(run, request.form.get("receipt_no", ""), day,
                                      current_user.username)
            flash_tr("已登记市级回执编号 %(no)s", "info", no=run.receipt_no)
        except ReportError as exc:
            flash_tr(exc, "danger")
        return self._back(run)
