"""In-app notifications (站内提醒): deadline reminders for tasks, one inbox row per user.

``TaskReminder`` is the event "task T reached threshold X of its deadline D" and exists at most
once (unique task, threshold, due date): re-running the daily job adds nothing, and a deadline
moved by the bureau gets its reminders again for the new date. ``Notification`` is one user's
copy of it, with its own read mark (unique user, reminder).

Derived data written by the reminder job (office/services/notifications.py), so not audited
(no ``__scope__``); every read is bounded to the signed-in user by the service, not by row
scope. Deleting a task deletes its reminders and their notifications (ORM cascade, and
ON DELETE CASCADE where the database enforces foreign keys).

``OfficeUser.unread_notifications`` (below) is the navbar bell's count. It is a correlated
subquery loaded with the user's own row, which every request loads anyway: the bell costs no
extra statement per page.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, column_property, mapped_column, relationship

from office.models.base import LabelledEnum, db, enum_column, utcnow
from office.models.campaign import Task
from office.models.user import OfficeUser


class ReminderThreshold(LabelledEnum):
    """How close the deadline is; the job sends the most urgent one reached, once."""

    days_7 = "7天内到期"
    days_3 = "3天内到期"
    days_1 = "明天到期"
    overdue = "已逾期"


class TaskReminder(db.Model):
    __tablename__ = "task_reminder"
    __table_args__ = (sa.UniqueConstraint("task_id", "threshold", "due_on"),)
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "threshold": "目标值(%)", "due_on": "完成时限", "task": "任务",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("task.id", ondelete="CASCADE"),
                                         index=True)
    task: Mapped[Task] = relationship(
        backref=backref("reminders", cascade="all, delete-orphan"))
    threshold: Mapped[ReminderThreshold] = mapped_column(enum_column(ReminderThreshold))
    due_on: Mapped[dt.date] = mapped_column(sa.Date)  # the deadline the reminder was about
    sent_on: Mapped[dt.date] = mapped_column(sa.Date)  # the job's "today"
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Notification(db.Model):
    __tablename__ = "notification"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "reminder_id"),
        sa.Index("ix_notification_inbox", "user_id", "read_at"),
    )
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "task": "任务",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="CASCADE"))
    reminder_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("task_reminder.id", ondelete="CASCADE"), index=True)
    reminder: Mapped[TaskReminder | None] = relationship(
        backref=backref("notifications", cascade="all, delete-orphan"))
    task_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("task.id", ondelete="CASCADE"), index=True)
    task: Mapped[Task | None] = relationship(
        backref=backref("notifications", cascade="all, delete-orphan"))
    message: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column()


OfficeUser.unread_notifications = column_property(
    sa.select(sa.func.count(Notification.id))
    .where(Notification.user_id == OfficeUser.id, Notification.read_at.is_(None))
    .correlate_except(Notification)
    .scalar_subquery(),
    deferred=False,
)
