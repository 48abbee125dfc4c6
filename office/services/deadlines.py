"""Deadlines: where every task stands against its due date, and the three ways to look at it.

    today()                     the date every deadline is judged on (overridable, see below)
    deadline_of(task, day)      done / overdue / due soon / open, days left, label, colour
    due_state(due_on, done)     the same state for any row with a deadline (findings too)
    my_tasks(scope)             "我的任务": a township's or department's own tasks, in groups
    board(campaign)             the county board: unit × step, overdue counts per unit
    month_calendar(scope, y, m) the deadlines of one month as a Monday-first month grid

Rules (the same on every screen and in the reminder job):

* overdue = ``due_on < today`` and ``status != done`` (``overdue_clause`` is the SQL form);
* due soon = not done and due within ``DUE_SOON_DAYS`` (7) days, today included;
* a task done after its due date is done ("逾期完成" is shown, it is not overdue).

``today()`` is ``date.today()`` unless the app config has ``TODAY`` (or the environment
``OFFICE_TODAY``) as an ISO date: tests pin it, and a demo of the 2020 plan can run "as of"
2020-10-15.
"""
from __future__ import annotations

import calendar
import datetime as dt
import os
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import joinedload

from office.kit.i18n import N_, tr_n
from office.models import Campaign, Step, Task, TaskStatus, db
from office.scope import UserScope, scope_clause

DUE_SOON_DAYS = 7
DONE_SHOWN = 50  # "我的任务" lists the latest finished tasks; the task list has them all


def today() -> dt.date:
    value = None
    if has_app_context():
        value = current_app.config.get("TODAY")
    value = value or os.environ.get("OFFICE_TODAY")
    if not value:
        return dt.date.today()
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def overdue_clause(day: dt.date):
    return sa.and_(Task.due_on < day, Task.status != TaskStatus.done)


@dataclass(frozen=True)
class Deadline:
    state: str        # done | overdue | due_soon | open
    days_left: int    # due_on - today (negative when past)
    label: str        # 已完成 / 逾期3天 / 今天到期 / 剩5天
    colour: str       # green | red | amber | grey (CSS class suffix)

    @property
    def overdue(self) -> bool:
        return self.state == "overdue"


STATE_LABELS = {"overdue": N_("已逾期"), "due_soon": N_("7天内到期"), "open": N_("未到期"),
                "done": N_("已完成")}
STATE_COLOURS = {"done": "green", "overdue": "red", "due_soon": "amber", "open": "grey"}
# Which state a group of tasks shows when they differ (the calendar, a unit's row).
STATE_RANK = {"overdue": 0, "due_soon": 1, "open": 2, "done": 3}


def due_state(due_on: dt.date | None, done: bool, day: dt.date | None = None) -> str | None:
    """done / overdue / due_soon / open for anything with a deadline (a task, a finding's
    整改时限), by the rules above; None without a deadline. A list row or grid row is
    coloured by it (the views' ``row_state``, office/kit/grid/views.py)."""
    if done:
        return "done"
    if due_on is None:
        return None
    days_left = (due_on - (day or today())).days
    if days_left < 0:
        return "overdue"
    return "due_soon" if days_left <= DUE_SOON_DAYS else "open"


def task_state(task: Task) -> str | None:
    return due_state(task.due_on, task.status == TaskStatus.done)


def deadline_of(task: Task, day: dt.date | None = None) -> Deadline:
    day = day or today()
    days_left = (task.due_on - day).days
    if task.status == TaskStatus.done:
        late = task.done_on is not None and task.done_on > task.due_on
        label = N_("已完成（逾期完成）") if late else N_("已完成")
        return Deadline("done", days_left, label, "green")
    if days_left < 0:
        return Deadline("overdue", days_left, tr_n("逾期%(n)s天", -days_left), "red")
    label = N_("今天到期") if days_left == 0 else tr_n("剩%(n)s天", days_left)
    state = "due_soon" if days_left <= DUE_SOON_DAYS else "open"
    return Deadline(state, days_left, label, STATE_COLOURS[state])


def _scoped_tasks(scope: UserScope):
    query = sa.select(Task).options(joinedload(Task.township), joinedload(Task.department),
                                    joinedload(Task.campaign))
    clause = scope_clause(Task, scope)
    return query if clause is None else query.where(clause)


# ------------------------------------------------------------------ 我的任务


@dataclass
class TaskGroup:
    key: str
    label: str
    rows: list = field(default_factory=list)   # [(task, Deadline)]
    more: int = 0                               # finished tasks not listed


def my_tasks(scope: UserScope, day: dt.date | None = None) -> list[TaskGroup] | None:
    """The user's own tasks in four groups: overdue, due within 7 days, later, done.

    None for a county-wide user (they own no tasks; the county board is theirs)."""
    if not scope.restricted:
        return None
    day = day or today()
    groups = {key: TaskGroup(key, label) for key, label in (
        ("overdue", "已逾期"), ("due_soon", f"{DUE_SOON_DAYS}天内到期"), ("open", "未到期"),
        ("done", "已完成"))}
    open_tasks = db.session.scalars(
        _scoped_tasks(scope).where(Task.status != TaskStatus.done)
        .order_by(Task.due_on, Task.step_no, Task.id)).unique()
    for task in open_tasks:
        deadline = deadline_of(task, day)
        groups[deadline.state].rows.append((task, deadline))
    done = groups["done"]
    finished = db.session.scalars(
        _scoped_tasks(scope).where(Task.status == TaskStatus.done)
        .order_by(Task.done_on.desc().nulls_last(), Task.due_on.desc(), Task.id.desc())
        .limit(DONE_SHOWN + 1)).unique().all()
    done.rows = [(t, deadline_of(t, day)) for t in finished[:DONE_SHOWN]]
    if len(finished) > DONE_SHOWN:
        query = sa.select(sa.func.count()).select_from(Task).where(
            Task.status == TaskStatus.done, scope_clause(Task, scope))
        done.more = db.session.scalar(query) - DONE_SHOWN
    return list(groups.values())


# ------------------------------------------------------------------ the county board


@dataclass
class Column:
    key: tuple
    step_no: int
    title: str
    due_on: dt.date
    step_id: int | None
    done: int = 0
    total: int = 0
    overdue: int = 0


@dataclass
class Row:
    key: tuple            # ("township", id) | ("department", id)
    name: str
    kind: str             # 乡镇（街道、场） | 部门
    cells: dict = field(default_factory=dict)   # column key -> [(task, Deadline)]
    overdue: int = 0
    done: int = 0
    total: int = 0


def _column_key(task: Task) -> tuple:
    # Tasks of one step share a column; tasks made by hand (no step) share one per title.
    return ("step", task.step_id) if task.step_id else ("title", task.step_no, task.title)


def board(campaign: Campaign, day: dt.date | None = None) -> dict:
    """The campaign's tasks as a grid: a row per township/department, a column per step."""
    day = day or today()
    tasks = db.session.scalars(
        sa.select(Task).where(Task.campaign_id == campaign.id)
        .options(joinedload(Task.township), joinedload(Task.department))
        .order_by(Task.due_on, Task.step_no, Task.id)).unique().all()
    steps = db.session.scalars(
        sa.select(Step).where(Step.campaign_id == campaign.id)
        .order_by(Step.due_on, Step.step_no, Step.id)).all()
    columns: dict[tuple, Column] = {}
    for step in steps:
        columns[("step", step.id)] = Column(("step", step.id), step.step_no, step.title,
                                            step.due_on, step.id)
    rows: dict[tuple, Row] = {}
    for task in tasks:
        key = _column_key(task)
        if key not in columns:
            columns[key] = Column(key, task.step_no, task.title, task.due_on, None)
        owner_key = (("township", task.township_id) if task.township_id
                     else ("department", task.department_id))
        if owner_key not in rows:
            rows[owner_key] = Row(owner_key, task.owner.name,
                                  N_("乡镇（街道、场）") if task.township_id else N_("部门"))
        row, column, deadline = rows[owner_key], columns[key], deadline_of(task, day)
        row.cells.setdefault(key, []).append((task, deadline))
        for target in (row, column):
            target.total += 1
            target.done += deadline.state == "done"
            target.overdue += deadline.overdue
    for row in rows.values():  # a cell with several tasks shows the most urgent first
        for cell in row.cells.values():
            cell.sort(key=lambda pair: (STATE_RANK[pair[1].state], pair[0].due_on))
    ordered_columns = sorted(columns.values(),
                             key=lambda c: (c.due_on, c.step_no, c.step_id is None, c.title))
    ordered_rows = sorted(rows.values(), key=lambda r: (r.key[0] != "township", r.key[1]))
    return {
        "campaign": campaign, "today": day, "columns": ordered_columns, "rows": ordered_rows,
        "total": len(tasks), "done": sum(r.done for r in ordered_rows),
        "overdue": sum(r.overdue for r in ordered_rows),
        "due_soon": sum(1 for r in ordered_rows for cell in r.cells.values()
                        for _, d in cell if d.state == "due_soon"),
    }


def campaigns() -> list[Campaign]:
    return db.session.scalars(sa.select(Campaign).order_by(Campaign.year.desc(),
                                                           Campaign.id.desc())).all()


def current_campaign(campaign_id: int | None, day: dt.date | None = None) -> Campaign | None:
    """The campaign asked for, else the one running today, else the latest."""
    if campaign_id is not None:
        return db.session.get(Campaign, campaign_id)
    day = day or today()
    running = db.session.scalars(
        sa.select(Campaign).where(Campaign.starts_on <= day, Campaign.ends_on >= day)
        .order_by(Campaign.starts_on.desc())).first()
    return running or db.session.scalars(
        sa.select(Campaign).order_by(Campaign.year.desc(), Campaign.id.desc())).first()


# ------------------------------------------------------------------ the calendar

WEEKDAYS = [N_("周一"), N_("周二"), N_("周三"), N_("周四"), N_("周五"), N_("周六"), N_("周日")]


@dataclass
class Entry:
    title: str
    tasks: list              # [(task, Deadline)]
    state: str = "open"
    done: int = 0
    overdue: int = 0

    @property
    def colour(self) -> str:
        return STATE_COLOURS[self.state]


def month_calendar(scope: UserScope, year: int, month: int,
                   day: dt.date | None = None) -> dict:
    """The month as weeks of days (Monday first, with the neighbouring months' days that fill
    the first and last week), each day with the deadlines falling on it: the tasks of one
    step/title on one day are one entry (the county has a task per township for most steps)."""
    day = day or today()
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    first, last = weeks[0][0], weeks[-1][-1]
    tasks = db.session.scalars(
        _scoped_tasks(scope).where(Task.due_on >= first, Task.due_on <= last)
        .order_by(Task.due_on, Task.step_no, Task.title, Task.id)).unique().all()
    by_day: dict[dt.date, dict[tuple, Entry]] = defaultdict(dict)
    for task in tasks:
        deadline = deadline_of(task, day)
        key = (task.campaign_id, task.step_id or task.title)
        entry = by_day[task.due_on].setdefault(key, Entry(task.title, []))
        entry.tasks.append((task, deadline))
        entry.done += deadline.state == "done"
        entry.overdue += deadline.overdue
        if STATE_RANK[deadline.state] < STATE_RANK[entry.state] or len(entry.tasks) == 1:
            entry.state = deadline.state
    grid = [[{"date": d, "in_month": d.month == month, "today": d == day,
              "entries": list(by_day.get(d, {}).values())} for d in week] for week in weeks]
    months = _months_with_deadlines(scope)
    shown = dt.date(year, month, 1)
    prev_month = (shown - dt.timedelta(days=1)).replace(day=1)
    next_month = (shown + dt.timedelta(days=32)).replace(day=1)
    return {"year": year, "month": month, "weeks": grid, "weekdays": WEEKDAYS, "today": day,
            "prev": prev_month, "next": next_month, "months": months,
            "count": len(tasks)}


def _months_with_deadlines(scope: UserScope) -> list[dt.date]:
    """The first day of every month with a deadline in scope (the month picker's shortcuts)."""
    query = sa.select(Task.due_on).distinct()
    clause = scope_clause(Task, scope)
    if clause is not None:
        query = query.where(clause)
    return sorted({d.replace(day=1) for d in db.session.scalars(query)})


def parse_month(value: str | None, day: dt.date | None = None) -> tuple[int, int]:
    """"2020-07" -> (2020, 7); anything else -> today's month."""
    if value:
        try:
            year, month = (int(part) for part in value.split("-")[:2])
            if 1900 <= year <= 2999 and 1 <= month <= 12:
                return year, month
        except ValueError:
            pass
    day = day or today()
    return day.year, day.month
