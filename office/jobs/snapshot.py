"""Dashboard snapshot jobs (RQ): thin wrappers around office.services.snapshot.

    compute_snapshot(campaign_id, "YYYY-MM-DD")   one date of one campaign (queued by the
                                                  dashboard, debounced per campaign/date)
    refresh_dashboards()                          the nightly refresh: queues every dashboard
                                                  date and trend month-end that is missing or
                                                  stale, and prunes dates nobody shows

The nightly one is registered with RQ's cron in office/jobs/schedule.py:

    cron.register(refresh_dashboards, QUEUE, cron=SNAPSHOT_CRON, job_timeout=600)
"""
from __future__ import annotations

import datetime as dt

from office.jobs.worker import app_context

# 02:30 Beijing time (RQ's cron is UTC): after the day's edits, before the morning's views.
SNAPSHOT_CRON = "30 18 * * *"


def compute_snapshot(campaign_id: int, as_of: str) -> dict:
    from rq import get_current_job

    from office.services import snapshot

    day = dt.date.fromisoformat(as_of)
    job = get_current_job()
    with app_context():
        try:
            return snapshot.refresh(campaign_id, day)
        finally:
            snapshot.release(campaign_id, day, job.id if job else None)


def refresh_dashboards() -> dict:
    from office.services import snapshot

    with app_context():
        return snapshot.refresh_all()
