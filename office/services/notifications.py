"""Deadline reminders and the users' in-app notifications (站内提醒).

``send_reminders(day)`` is the daily job's work (office/jobs/reminders.py). For every task that
is not done, whose campaign has not ended, and whose deadline is within 7 days or past, it
sends the most urgent threshold reached - 7 days, 3 days, 1 day, overdue - unless that
threshold was already sent for the task's current deadline (``TaskReminder``, unique task +
threshold + due date). So re-running the job, or running it twice a day, sends nothing new; a
task first seen two days before its deadline gets the 3-day reminder only (the 7-day one is
moot); a deadline moved by the bureau starts over.

Recipients of a reminder: every active user of the task's township or department (the owner)
and every active BureauClerk or Admin user (the bureau). Each gets a ``Notification`` row of
their own with its read mark. A task of a campaign that has ended sends nothing.

A user who did not exist when a reminder was sent (a clerk added later, the users created
after ``seed-demo``) gets the reminders still in force - the latest sent for each unfinished
task of a running campaign, about its current deadline - from ``deliver_outstanding``: the
daily job runs it for everyone, ``create_user`` for the new user at once.

The inbox functions are bounded to the given user: nobody reads or marks another's rows.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy.orm import joinedload

from office.models import (
    Campaign,
    Notification,
    OfficeUser,
    ReminderThreshold,
    Task,
    TaskReminder,
    TaskStatus,
    db,
)
from office.models.base import utcnow
from office.services.deadlines import today

BUREAU_ROLES = ("BureauClerk", "Admin")
# (days left at most, threshold), most urgent first; past the deadline is "overdue".
THRESHOLDS = [(1, ReminderThreshold.days_1), (3, ReminderThreshold.days_3),
              (7, ReminderThreshold.days_7)]
HORIZON = max(days for days, _ in THRESHOLDS)
PAGE_SIZE = 30


def threshold_for(due_on: dt.date, day: dt.date) -> ReminderThreshold | None:
    days_left = (due_on - day).days
    if days_left < 0:
        return ReminderThreshold.overdue
    for days, threshold in THRESHOLDS:
        if days_left <= days:
            return threshold
    return None


def _message(task: Task, threshold: ReminderThreshold, day: dt.date, for_bureau: bool) -> str:
    days_left = (task.due_on - day).days
    if threshold == ReminderThreshold.overdue:
        when = f"已逾期{-days_left}天（完成时限 {task.due_on}）"
    elif days_left == 0:
        when = f"今天到期（{task.due_on}）"
    else:
        when = f"还有{days_left}天到期（完成时限 {task.due_on}）"
    who = f"{task.owner}：" if for_bureau else ""
    return f"{who}任务「{task.title}」{when}"[:300]


@dataclass
class _Recipients:
    by_township: dict[int, list[int]]
    by_department: dict[int, list[int]]
    bureau: list[int]


def _recipients() -> _Recipients:
    rows = db.session.execute(
        sa.select(OfficeUser.id, OfficeUser.township_id, OfficeUser.department_id, Role.name)
        .join(OfficeUser.roles).where(OfficeUser.active.is_(True))).all()
    result = _Recipients({}, {}, [])
    for user_id, township_id, department_id, role in rows:
        if role in BUREAU_ROLES and user_id not in result.bureau:
            result.bureau.append(user_id)
        if township_id is not None:
            result.by_township.setdefault(township_id, [])
            if user_id not in result.by_township[township_id]:
                result.by_township[township_id].append(user_id)
        if department_id is not None:
            result.by_department.setdefault(department_id, [])
            if user_id not in result.by_department[department_id]:
                result.by_department[department_id].append(user_id)
    return result


def send_reminders(day: dt.date | None = None) -> dict:
    """Create the reminders and notifications due on ``day`` (default: today()); idempotent."""
    day = day or today()
    tasks = db.session.scalars(
        sa.select(Task).join(Campaign, Task.campaign_id == Campaign.id)
        .where(Task.status != TaskStatus.done, Task.due_on <= day + dt.timedelta(days=HORIZON),
               Campaign.ends_on >= day)
        .options(joinedload(Task.township), joinedload(Task.department))
        .order_by(Task.due_on, Task.id)).all()
    if not tasks:
        return {"reminders": 0, "notifications": 0, "tasks": 0}
    sent = set(db.session.execute(
        sa.select(TaskReminder.task_id, TaskReminder.threshold, TaskReminder.due_on)
        .where(TaskReminder.task_id.in_([t.id for t in tasks]))).all())
    recipients = _recipients()
    reminders = notifications = 0
    for task in tasks:
        threshold = threshold_for(task.due_on, day)
        if threshold is None or (task.id, threshold, task.due_on) in sent:
            continue
        owners = (recipients.by_township.get(task.township_id, []) if task.township_id
                  else recipients.by_department.get(task.department_id, []))
        try:
            with db.session.begin_nested():  # a concurrent run that got here first wins
                reminder = TaskReminder(task_id=task.id, threshold=threshold,
                                        due_on=task.due_on, sent_on=day)
                db.session.add(reminder)
                db.session.flush()
                rows = [{"user_id": uid, "reminder_id": reminder.id, "task_id": task.id,
                         "message": _message(task, threshold, day, False), "created_at": utcnow()}
                        for uid in owners]
                rows += [{"user_id": uid, "reminder_id": reminder.id, "task_id": task.id,
                          "message": _message(task, threshold, day, True), "created_at": utcnow()}
                         for uid in recipients.bureau if uid not in owners]
                if rows:
                    db.session.execute(sa.insert(Notification), rows)
        except sa.exc.IntegrityError:
            continue
        reminders += 1
        notifications += len(rows)
    db.session.commit()
    notifications += deliver_outstanding(day=day)
    return {"reminders": reminders, "notifications": notifications, "tasks": len(tasks)}


def notify_owner(task: Task, message: str) -> int:
    """A notification (no reminder behind it: 催办) to every active user of the task's owner;
    not committed. Returns how many."""
    recipients = _recipients()
    owners = (recipients.by_township.get(task.township_id, []) if task.township_id
              else recipients.by_department.get(task.department_id, []))
    if owners:
        db.session.execute(sa.insert(Notification), [
            {"user_id": uid, "reminder_id": None, "task_id": task.id, "message": message,
             "created_at": utcnow()} for uid in owners])
    return len(owners)


def _rows_for(task: Task, reminder: TaskReminder, recipients: _Recipients,
              user_ids=None) -> list[dict]:
    owners = (recipients.by_township.get(task.township_id, []) if task.township_id
              else recipients.by_department.get(task.department_id, []))
    rows = [(uid, False) for uid in owners]
    rows += [(uid, True) for uid in recipients.bureau if uid not in owners]
    return [{"user_id": uid, "reminder_id": reminder.id, "task_id": task.id,
             "message": _message(task, reminder.threshold, reminder.sent_on, bureau),
             "created_at": utcnow()}
            for uid, bureau in rows if user_ids is None or uid in user_ids]


def deliver_outstanding(user_ids=None, day: dt.date | None = None) -> int:
    """Give the reminders in force to those of their recipients (all, or ``user_ids``) who
    lack them; returns the notifications added. Idempotent (unique user + reminder)."""
    day = day or today()
    latest = (sa.select(sa.func.max(TaskReminder.id))
              .join(Task, Task.id == TaskReminder.task_id)
              .join(Campaign, Task.campaign_id == Campaign.id)
              .where(Task.status != TaskStatus.done, TaskReminder.due_on == Task.due_on,
                     Campaign.ends_on >= day)
              .group_by(TaskReminder.task_id))
    reminders = db.session.scalars(
        sa.select(TaskReminder).where(TaskReminder.id.in_(latest))
        .options(joinedload(TaskReminder.task).joinedload(Task.township),
                 joinedload(TaskReminder.task).joinedload(Task.department))).all()
    if not reminders:
        return 0
    have = set(db.session.execute(
        sa.select(Notification.user_id, Notification.reminder_id)
        .where(Notification.reminder_id.in_([r.id for r in reminders]))).all())
    recipients = _recipients()
    wanted = set(user_ids) if user_ids is not None else None
    rows = [row for r in reminders for row in _rows_for(r.task, r, recipients, wanted)
            if (row["user_id"], r.id) not in have]
    if rows:
        db.session.execute(sa.insert(Notification), rows)
    db.session.commit()
    return len(rows)


# ------------------------------------------------------------------ a user's inbox


def unread_count(user) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def inbox(user, page: int = 0, unread_only: bool = False) -> dict:
    query = (sa.select(Notification).where(Notification.user_id == user.id)
             .options(joinedload(Notification.task).joinedload(Task.township),
                      joinedload(Notification.task).joinedload(Task.department),
                      joinedload(Notification.reminder)))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    rows = db.session.scalars(
        query.order_by(Notification.read_at.is_not(None), Notification.created_at.desc(),
                       Notification.id.desc())
        .offset(page * PAGE_SIZE).limit(PAGE_SIZE + 1)).unique().all()
    return {"rows": rows[:PAGE_SIZE], "page": page, "has_next": len(rows) > PAGE_SIZE,
            "unread": unread_count(user), "unread_only": unread_only}


def mark_read(user, ids) -> int:
    """Mark the user's own notifications read; ids of other users' rows are ignored."""
    ids = [int(i) for i in ids]
    if not ids:
        return 0
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.id.in_(ids),
               Notification.read_at.is_(None))
        .values(read_at=utcnow()))
    db.session.commit()
    return result.rowcount


def mark_all_read(user) -> int:
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow()))
    db.session.commit()
    return result.rowcount
