"""Deadline screens beside the CRUD ones (任务督办), thin: data from office/services.

    /mytasks/                     我的任务: a township's or department's own tasks, grouped
                                  (overdue, due within 7 days, later, done)     MyTasks read
    /taskboard/?campaign=ID       督办看板: unit × step, coloured by deadline     TaskBoard read
    /taskboard/urge/<task> POST   催办 an overdue task: notify its owner's users  TaskBoard edit
    /deadlines/?month=YYYY-MM     截止日历: the month's deadlines (row scope)     Task read
    /taskprogress/<task>          a task's progress: figure, updates, evidence   TaskUpdate read
    /taskprogress/<task> POST     a progress update with evidence files          TaskUpdate add
    /taskprogress/evidence/<id>   an evidence file (404 outside the row scope)   TaskUpdate read
    /notifications/               the user's own notifications                   Notification read
    /notifications/read  POST     mark some read; /notifications/read-all        Notification edit

Permission names: office/roles.py (ROLE_GRANTS); the endpoints' verbs: _DeadlineView below.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from office.kit.downloads import send_download
from office.kit.i18n import N_, flash_tr, tr
from office.models import Task, TaskEvidence, TaskStatus, TaskUpdate, db
from office.roles import ADD, EDIT, MY_TASKS, NOTIFICATIONS, READ, TASK_BOARD
from office.scope import current_scope, in_scope, scope_clause
from office.services import deadlines, evidence, notifications, progress, urging
from office.services.tasks import TaskError


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        abort(404)


def _task_or_404(task_id: int) -> Task:
    """The task if the user may read it (their own, or any for county-wide users), else 404."""
    query = sa.select(Task).where(Task.id == task_id).options(
        joinedload(Task.township), joinedload(Task.department), joinedload(Task.campaign),
        joinedload(Task.step))
    clause = scope_clause(Task, current_scope())
    if clause is not None:
        query = query.where(clause)
    task = db.session.scalars(query).first()
    if task is None:
        abort(404)
    return task


def _status_note(was: TaskStatus, now: TaskStatus) -> str:
    if was != now and now == TaskStatus.done:
        return tr("，任务已标记为完成")
    if was == TaskStatus.done and now != TaskStatus.done:
        return tr("，任务已重新打开")
    return ""


class _DeadlineView(BaseView):
    # the deadline screens and evidence downloads are reading; a progress update is adding a
    # TaskUpdate; marking one's own notifications read is editing them
    method_permission_name = {
        "my_tasks": READ, "task_board": READ, "deadline_calendar": READ,
        "task_urge": EDIT, "progress_form": READ, "progress_post": ADD, "evidence_file": READ,
        "notification_list": READ, "notification_read": EDIT, "notification_read_all": EDIT,
    }

    def may(self, verb: str, permission: str | None = None) -> bool:
        return self.appbuilder.sm.has_access(f"can_{verb}",
                                             permission or self.class_permission_name)


class MyTasksView(_DeadlineView):
    route_base = "/mytasks"
    class_permission_name = MY_TASKS
    default_view = "my_tasks"

    @expose("/")
    @has_access
    def my_tasks(self):
        day = deadlines.today()
        groups = deadlines.my_tasks(current_scope(), day)
        rows = [task for group in groups or [] for task, _ in group.rows]
        figures = progress.live_figures(rows, day) if rows else {}
        return self.render_template(
            "tasks/my_tasks.html", groups=groups, figures=figures, today=day,
            owner=current_user.township or current_user.department,
            may_update=self.may(ADD, "TaskUpdate"), title="我的任务")


class TaskBoardView(_DeadlineView):
    route_base = "/taskboard"
    class_permission_name = TASK_BOARD
    default_view = "task_board"

    @expose("/")
    @has_access
    def task_board(self):
        day = deadlines.today()
        campaign = deadlines.current_campaign(_int_arg("campaign"), day)
        if _int_arg("campaign") is not None and campaign is None:
            abort(404)
        data = deadlines.board(campaign, day) if campaign else None
        return self.render_template("tasks/board.html", data=data, today=day,
                                    campaigns=deadlines.campaigns(), campaign=campaign,
                                    may_urge=self.may(EDIT), title="督办看板")

    @expose("/urge/<int:task_id>", methods=["POST"])
    @has_access
    def task_urge(self, task_id):
        task = _task_or_404(task_id)
        try:
            sent = urging.urge(task, current_user)
        except urging.UrgeError as exc:
            flash_tr(exc, "warning")
        else:
            flash_tr("已向%(owner)s的 %(n)s 位用户发送催办提醒", "success", owner=task.owner.name,
                     n=sent)
        return redirect(url_for(f"{type(self).__name__}.task_board", campaign=task.campaign_id))


class DeadlineCalendarView(_DeadlineView):
    route_base = "/deadlines"
    class_permission_name = "Task"
    default_view = "deadline_calendar"

    @expose("/")
    @has_access
    def deadline_calendar(self):
        day = deadlines.today()
        year, month = deadlines.parse_month(request.args.get("month"), day)
        data = deadlines.month_calendar(current_scope(), year, month, day)
        return self.render_template("tasks/calendar.html", data=data,
                                    board=self.may("read", TASK_BOARD), title="截止日历")


class TaskProgressView(_DeadlineView):
    route_base = "/taskprogress"
    class_permission_name = "TaskUpdate"

    def _page(self, task: Task, form=None, status: int = 200):
        day = deadlines.today()
        updates = db.session.scalars(
            sa.select(TaskUpdate).where(TaskUpdate.task_id == task.id)
            .options(selectinload(TaskUpdate.evidence))
            .order_by(TaskUpdate.noted_on.desc(), TaskUpdate.id.desc())).all()
        figure = progress.live_figures([task], day).get(task.id)
        may_write = self.may(ADD) and in_scope(task, write=True)
        page = self.render_template(
            "tasks/progress.html", task=task, deadline=deadlines.deadline_of(task, day),
            figure=figure, updates=updates, may_write=may_write, today=day,
            form=form or {"note": "", "progress": "" if task.indicator else task.progress,
                          "done": task.status == TaskStatus.done, "reopen": False},
            limits=evidence.limits_text(), accept=evidence.ACCEPT,
            may_board=self.may("read", TASK_BOARD), title=f"任务进展：{task.title}")
        return page, status

    @expose("/<int:task_id>")
    @has_access
    def progress_form(self, task_id):
        return self._page(_task_or_404(task_id))

    @expose("/<int:task_id>", methods=["POST"])
    @has_access
    def progress_post(self, task_id):
        task = _task_or_404(task_id)
        if not in_scope(task, write=True):
            abort(404)
        raw = request.form.get("progress", "").strip()
        form = {"note": request.form.get("note", ""), "progress": raw,
                "done": bool(request.form.get("done")), "reopen": bool(request.form.get("reopen"))}
        was = task.status
        try:
            if raw and not raw.isdigit():
                raise TaskError("完成进度须为0到100之间的整数")
            progress.record_progress(task, current_user, form["note"],
                                     int(raw) if raw else None, form["done"],
                                     request.files.getlist("files"), reopen=form["reopen"])
        except (TaskError, evidence.EvidenceError) as exc:
            flash_tr(exc, "danger")
            return self._page(_task_or_404(task_id), form, 400)
        flash_tr(tr("进展已保存") + _status_note(was, task.status), "success")
        return redirect(url_for(f"{type(self).__name__}.progress_form", task_id=task_id))

    @expose("/evidence/<int:evidence_id>")
    @has_access
    def evidence_file(self, evidence_id):
        query = sa.select(TaskEvidence).where(TaskEvidence.id == evidence_id)
        clause = scope_clause(TaskEvidence, current_scope())
        if clause is not None:
            query = query.where(clause)
        item = db.session.scalars(query).first()
        if item is None:
            abort(404)
        try:
            path = evidence.path_of(item.stored_name)
        except FileNotFoundError:
            abort(404)
        if not path.is_file():
            abort(404)
        return send_download(path, item.filename, mimetype=item.content_type, private=True,
                             fallback=f"task{item.task_id}_evidence{item.id}")


class NotificationsView(_DeadlineView):
    route_base = "/notifications"
    class_permission_name = NOTIFICATIONS
    default_view = "notification_list"

    @expose("/")
    @has_access
    def notification_list(self):
        page = max(0, _int_arg("page") or 0)
        data = notifications.inbox(current_user, page, request.args.get("unread") == "1")
        return self.render_template("tasks/notifications.html", data=data, title="站内提醒")

    @expose("/read", methods=["POST"])
    @has_access
    def notification_read(self):
        ids = [i for i in request.form.getlist("id") if i.isdigit()]
        notifications.mark_read(current_user, ids)
        target = request.form.get("next", "")
        if target.startswith("/") and not target.startswith("//"):
            return redirect(target)
        return redirect(url_for(f"{type(self).__name__}.notification_list"))

    @expose("/read-all", methods=["POST"])
    @has_access
    def notification_read_all(self):
        n = notifications.mark_all_read(current_user)
        if n:
            flash_tr("已将 %(n)s 条提醒标记为已读", "info", n=n)
        else:
            flash_tr("没有未读的提醒", "info")
        return redirect(url_for(f"{type(self).__name__}.notification_list"))


MENU_ENTRIES = [
    (MyTasksView, N_("我的任务"), "fa-check-square-o"),
    (TaskBoardView, N_("督办看板"), "fa-th"),
    (DeadlineCalendarView, N_("截止日历"), "fa-calendar"),
]


def register_deadlines(appbuilder, category: str) -> None:
    """The deadline screens at the head of the 任务督办 menu; the rest without a menu entry
    (the progress page is reached from the tasks, the notifications from the navbar's bell).
    Also the steps' screen and API (a tab of the campaign's show page)."""
    from office.kit.registry import api_for
    from office.views.tasks import StepView

    for view, name, icon in MENU_ENTRIES:
        appbuilder.add_view(view, name, icon=icon, category=category)
    menu = appbuilder.menu.find(category)
    if menu is not None:
        ours = [item for item in menu.childs if item.name in {n for _, n, _ in MENU_ENTRIES}]
        menu.childs = ours + [item for item in menu.childs if item not in ours]
    for view in (TaskProgressView, NotificationsView, StepView):
        appbuilder.add_view_no_menu(view)
    appbuilder.add_api(api_for(StepView))
