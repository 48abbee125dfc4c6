"""Deadline reminders (RQ): a thin wrapper around office.services.notifications.

    daily_reminders()            every morning: 7/3/1-day and overdue reminders, each sent once
    daily_reminders("2020-08-28")   the same "as of" a date (tests, catching up a missed day)

Registered with RQ's cron in office/jobs/schedule.py (times are UTC; 23:00 UTC is 07:00
Beijing time, before the offices open):

    cron.register(daily_reminders, QUEUE, cron=REMINDER_CRON, job_timeout=300)
"""
from __future__ import annotations

import datetime as dt

from office.jobs.worker import app_context

REMINDER_CRON = "0 23 * * *"  # 07:00 Beijing time


def daily_reminders(day: str | None = None) -> dict:
    from office.kit.audit.log import audit_context
    from office.models import ChangeSource
    from office.services import notifications

    with app_context(), audit_context(ChangeSource.job, username="后台任务"):
        return notifications.send_reminders(dt.date.fromisoformat(day) if day else None)
