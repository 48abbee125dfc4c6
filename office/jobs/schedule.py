"""RQ cron configuration (rq.cron): the deployment's periodic jobs — the monthly return, the
stale-run sweeper, and the other areas' jobs registered below.

Production, one process for the deployment:

    rq cron -u $OFFICE_REDIS_URL office.jobs.schedule

The embedded deployment loads this same file into a thread (queue.start_embedded_scheduler).
Times are UTC (RQ's cron): REPORT_CRON "0 1 1 * *" is 09:00 Beijing time on the 1st, and the
return is as of the last day of the previous month (report_sweep.start_scheduled).
"""
from __future__ import annotations

import os

from rq import cron

from config import Config
from office.jobs.reminders import REMINDER_CRON, daily_reminders
from office.jobs.report import monthly_report, sweep_stale_runs
from office.jobs.snapshot import SNAPSHOT_CRON, refresh_dashboards

QUEUE = os.environ.get("OFFICE_QUEUE") or Config.QUEUE_NAME
SWEEP_EVERY = 300  # seconds

cron.register(monthly_report, QUEUE, cron=Config.REPORT_CRON, job_timeout=600)
cron.register(sweep_stale_runs, QUEUE, interval=SWEEP_EVERY, job_timeout=120)
cron.register(daily_reminders, QUEUE, cron=REMINDER_CRON, job_timeout=300)
cron.register(refresh_dashboards, QUEUE, cron=SNAPSHOT_CRON, job_timeout=600)
