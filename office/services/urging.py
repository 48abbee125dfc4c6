"""催办: the bureau urges the owner of an overdue task from the deadline board.

``urge(task, user)`` sends a notification (站内提醒) to every active user of the task's
township or department and records the urging as a progress note on the task (【催办】…,
by the bureau's user), so that it is in the change log like any write (office/kit/audit) and
on the task's progress page beside the owner's own notes.

Only an overdue task may be urged (``deadlines.overdue_clause``), once a day; a unit with no
user account cannot be reached, and is told so instead of being logged as urged.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from office.kit.i18n import Message, Term, TranslatableError
from office.models import Task, TaskUpdate, db
from office.services import notifications
from office.services.deadlines import deadline_of, today
from office.services.progress import URGE_MARK as MARK


class UrgeError(TranslatableError):
    """An urging that cannot be sent (the message, a msgid, says why)."""


def urged_on(task: Task, day: dt.date) -> bool:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(TaskUpdate)
        .where(TaskUpdate.task_id == task.id, TaskUpdate.noted_on == day,
               TaskUpdate.note.startswith(MARK))) > 0


def urge(task: Task, user, day: dt.date | None = None) -> int:
    """Urge the task's owner; returns how many users were notified."""
    day = day or today()
    deadline = deadline_of(task, day)
    if not deadline.overdue:
        raise UrgeError("只有已逾期的任务可以催办（该任务%(deadline)s）",
                        deadline=_deadline_label(deadline))
    if urged_on(task, day):
        raise UrgeError("今天已催办过%(owner)s的该项任务", owner=task.owner.name)
    message = (f"县住建局物业办催办：任务「{task.title}」已逾期{-deadline.days_left}天"
               f"（完成时限 {task.due_on}），请尽快办理并填报进展")[:300]
    sent = notifications.notify_owner(task, message)
    if not sent:
        db.session.rollback()
        raise UrgeError("%(owner)s还没有可接收站内提醒的账号，请电话催办", owner=task.owner.name)
    db.session.add(TaskUpdate(task_id=task.id, noted_on=day, progress=task.progress,
                              note=f"{MARK}{message}（已通知{sent}人）",
                              author=user.username))
    db.session.commit()
    return sent


def _deadline_label(deadline) -> Term | Message:
    """The deadline's label (已完成 / 今天到期 / 剩5天) as a value of a translatable message."""
    if deadline.state == "done" or deadline.days_left == 0:
        return Term(deadline.label)
    return Message("剩%(n)s天", n=deadline.days_left)
