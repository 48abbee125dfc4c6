"""A task's progress: its indicator's figure, the progress updates (任务进展) and the owner's edits.

The figure. A task mapped to an indicator takes no typed percentage: its progress is the live
figure of ITS unit (``live_figures``, read from office.indicators, the one place a rate is
defined) - a township's task its township's figure, a department's task its department's own
part where the indicator has one (``indicators.department_rates``: 报送投诉电话 is the
department's own complaint phone) and the county's otherwise (the bureau's county-wide
indicators: 公示牌, 合同, 公示).

The rule of a new update (``apply_new_update``), ONE for every path - the progress page, the
任务进展 screen, its grid, the xlsx import, the REST API, jobs - because it is a session hook
(``install``, wired by create_app next to the audit and directory hooks):

* the update of an indicator task keeps the figure of its day (what the owner saw), whatever
  was typed;
* a task not started becomes 进行中;
* the task's percentage follows the update (no indicator), unless a later-dated update exists
  (an imported history row does not set a task back) or the task is done;
* a done task STAYS done, with its done date: a note or a file on it changes nothing of it.
  Reopening is an explicit choice of the progress page (``record_progress(reopen=True)``), and
  the update says so (【重新打开任务】, in the change log with the status change).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from office.indicators import (
    BY_DEPARTMENT,
    INDICATORS,
    Rate,
    county_rates,
    department_rates,
    township_rates,
)
from office.kit.i18n import Term
from office.models import Campaign, Task, TaskEvidence, TaskStatus, TaskUpdate, db
from office.services import evidence
from office.services.deadlines import today
from office.services.tasks import TaskError

REOPENED = "【重新打开任务】"

# ------------------------------------------------------------------ indicator figures


@dataclass(frozen=True)
class Figure:
    """A task's progress read from its indicator (never typed)."""

    key: str
    label: str
    where: str               # the township's or department's name, or 全县
    rate: Rate | None        # None: nothing to count there (no compounds, say)
    as_of: dt.date

    @property
    def percent(self) -> float | None:
        return None if self.rate is None else self.rate.percent

    @property
    def text(self) -> str:
        if self.rate is None or self.rate.percent is None:
            return "无统计对象"
        return f"{self.rate.percent:.1f}%（{self.rate.numerator}/{self.rate.denominator}）"


def live_figures(tasks, as_of: dt.date | None = None) -> dict[int, Figure]:
    """task id -> its indicator's figure as of the date, for the tasks that map to one: the
    township's for a township's task; for a department's task the department's own
    (BY_DEPARTMENT) or the county's. At most one query set per campaign and kind."""
    as_of = as_of or today()
    by_campaign: dict[int, list[Task]] = defaultdict(list)
    for task in tasks:
        if task.indicator is not None:
            by_campaign[task.campaign_id].append(task)
    result = {}
    for campaign_id, group in by_campaign.items():
        campaign = db.session.get(Campaign, campaign_id)

        def keys(which, group=group):
            return sorted({t.indicator.name for t in group if which(t)})

        towns = keys(lambda t: t.township_id)
        own = keys(lambda t: t.department_id and t.indicator.name in BY_DEPARTMENT)
        county = keys(lambda t: t.department_id and t.indicator.name not in BY_DEPARTMENT)
        towns = township_rates(as_of, campaign, towns) if towns else {}
        own = department_rates(as_of, campaign, own) if own else {}
        county = county_rates(as_of, campaign, county) if county else {}
        for task in group:
            key = task.indicator.name
            if task.township_id:
                rate, where = towns[key].get(task.township_id), task.township.name
            elif key in own:
                rate, where = own[key].get(task.department_id), task.department.name
            else:
                rate, where = county[key], "全县"
            if rate is not None and rate.denominator == 0:
                rate = None
            result[task.id] = Figure(key, INDICATORS[key].label, where, rate, as_of)
    return result


def progress_of(task: Task, figures: dict[int, Figure]) -> int:
    """The percentage shown for a task: the indicator's figure when it has one."""
    figure = figures.get(task.id)
    if figure is not None:
        return 0 if figure.percent is None else int(figure.percent)
    return task.progress


# ------------------------------------------------------------------ the rule of a new update


def _task_of(session, update: TaskUpdate) -> Task | None:
    return update.task or (session.get(Task, update.task_id) if update.task_id else None)


# A note the bureau writes on a unit's task (office/services/urging.py) is logged with the task's
# updates but is not the owner's progress: it moves nothing.
URGE_MARK = "【催办】"


def apply_new_update(session, update: TaskUpdate, figures: dict[int, Figure]) -> None:
    """A new progress update applied to its task (the module docstring's rule); ``figures``:
    the indicator figures of the update's day (live_figures)."""
    task = _task_of(session, update)
    if task is None or (update.note or "").startswith(URGE_MARK):
        return
    day = update.noted_on or today()
    if task.indicator is not None and task.id is not None:
        update.progress = progress_of(task, figures)
    if task.status == TaskStatus.todo:
        task.status = TaskStatus.doing
    if task.indicator is not None or task.status == TaskStatus.done:
        return
    later = task.id is not None and session.scalar(
        sa.select(TaskUpdate.id).where(TaskUpdate.task_id == task.id,
                                       TaskUpdate.noted_on > day).limit(1))
    if not later and update.progress is not None:
        task.progress = update.progress


def _before_flush(session, flush_context, instances) -> None:
    new = [obj for obj in session.new if isinstance(obj, TaskUpdate)]
    if not new:
        return
    with session.no_autoflush:
        by_day: dict[dt.date, list[TaskUpdate]] = defaultdict(list)
        for update in new:  # an import of many: the figures once per day, not per row
            by_day[update.noted_on or today()].append(update)
        for day, updates in by_day.items():
            tasks = [t for t in (_task_of(session, u) for u in updates)
                     if t is not None and t.indicator is not None and t.id is not None]
            figures = live_figures(tasks, day) if tasks else {}
            for update in updates:
                apply_new_update(session, update, figures)


def install(session) -> None:
    """Hook the rule on a session (idempotent)."""
    if not sa.event.contains(session, "before_flush", _before_flush):
        sa.event.listen(session, "before_flush", _before_flush)


# ------------------------------------------------------------------ the progress page


def _author(user) -> str | None:
    if user is None:
        return None
    name = " ".join(p for p in (getattr(user, "first_name", ""), getattr(user, "last_name", ""))
                    if p).strip()
    return (name or user.username)[:64]


def _checked_progress(task: Task, progress: int | None, done: bool, reopen: bool) -> int:
    """The typed percentage, checked against the task and the choices made."""
    if task.indicator is not None:
        if progress is not None:
            raise TaskError("该任务的进度取自考核指标「%(indicator)s」的实时统计，不能手工填写",
                            indicator=Term(task.indicator.value))
        return 0  # replaced by the figure of the day (apply_new_update)
    if task.status == TaskStatus.done and not reopen:
        if progress not in (None, task.progress):
            raise TaskError("任务已完成，进度不能修改；如需修改，请勾选“重新打开任务”")
        return task.progress
    if done and not reopen:
        return 100
    if progress is None:
        raise TaskError("请填写完成进度（0–100）")
    if not 0 <= progress <= 100:
        raise TaskError("完成进度须在0到100之间")
    return progress


def record_progress(task: Task, user, note: str, progress: int | None = None,
                    done: bool = False, files=(), reopen: bool = False) -> TaskUpdate:
    """One progress update with its evidence files, from the progress page.

    ``done`` marks an unfinished task done (today); a done task stays done whatever ``done``
    says, unless ``reopen`` (an explicit choice) makes it 进行中 again. The caller has checked
    that the user may write the task (row scope). Nothing is saved when anything is wrong
    (files are checked before any is written)."""
    note = (note or "").strip()
    if not note:
        raise TaskError("请填写进展情况说明")
    if reopen and task.status != TaskStatus.done:
        raise TaskError("该任务尚未完成，无需重新打开")
    progress = _checked_progress(task, progress, done, reopen)
    checked = evidence.check(files)

    day = today()
    if reopen:
        task.status, task.done_on = TaskStatus.doing, None
        note = f"{REOPENED}{note}"
    elif done and task.status != TaskStatus.done:
        task.status, task.done_on = TaskStatus.done, day
        if task.indicator is None:
            task.progress = 100
    update = TaskUpdate(task=task, noted_on=day, progress=progress, note=note,
                        author=_author(user))
    db.session.add(update)
    stored = []
    try:
        for item in checked:
            name = evidence.write(item)
            stored.append(name)
            db.session.add(TaskEvidence(task=task, update=update, filename=item.filename,
                                        stored_name=name, content_type=item.content_type,
                                        size=item.size, sha256=item.sha256,
                                        uploaded_by=getattr(user, "username", None)))
        db.session.commit()
    except Exception:
        db.session.rollback()
        evidence.discard(stored)
        raise
    return update


# ------------------------------------------------------------------ owners' edits of a task

# What a township or department may change on its own task (TaskView.owner_edit_columns: the
# form, the grid and the API hold to it); title, deadline and addressee are the bureau's.
OWNER_EDITABLE = ("status", "progress", "done_on")


def check_owner_edit(task: Task) -> None:
    """A township's or department's change of its own task, after the column rule: no typed
    progress when the task maps to an indicator, and "done" gets today's date when none is
    given."""
    hist = sa.inspect(task).attrs.progress.history
    if task.indicator is not None and hist.has_changes() and hist.deleted != hist.added:
        raise TaskError("该任务的进度取自考核指标「%(indicator)s」的实时统计，不能手工填写",
                        indicator=Term(task.indicator.value))
    if task.status == TaskStatus.done and task.done_on is None:
        task.done_on = today()
