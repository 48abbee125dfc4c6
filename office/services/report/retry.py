"""An attempt lost to its surroundings is started again: automatic retries of a ReportRun.

An attempt is given up on (give_up) by the sweeper (office/services/report/sweep.py) when its
worker process is gone, its RQ job is lost or failed, or its heartbeat went silent, and by the
job itself when its own database or Redis connection drops (is_transient). Then, in one
conditional UPDATE of that attempt:

  * while the budget lasts (REPORT_RETRY_INTERVALS, "30,120,600": one retry per entry, each
    after that many seconds), the attempt is closed and the next one is queued: attempts + 1,
    auto_retries + 1, a line in retry_log (time, attempt, reason), and an RQ scheduled job
    (queue.enqueue_in) that starts it after the backoff (office.jobs.report.restart_report →
    runs.resume). A job of the old attempt changes nothing from then on (attempt token);
  * once it is spent, the run is failed with the reason, ending "，可重试" (the manual retry).

A domain error (ReportError) or a bug (KeyError …) fails the run at once, without retry: it
would fail the same way again.

Our own new attempt rather than RQ's Retry: RQ cannot retry a job whose whole worker host, or
the embedded server holding the in-process queue, died; and a retried RQ job would carry the
old attempt's token, which every state change of the run is guarded by.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid

import sqlalchemy as sa
from flask import current_app

from office.kit.labels import local_time
from office.models import ReportRun, ReportStatus, db
from office.models.base import utcnow
from office.queue import get_queue, is_embedded, start_embedded_scheduler, start_embedded_worker
from office.services.report.archive import cleanup_files
from office.services.report.build import ReportError

log = logging.getLogger(__name__)

ACTIVE = (ReportStatus.queued, ReportStatus.running)
RETRYABLE = "，可重试"
RESTART_JOB = "office.jobs.report.restart_report"


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def retry_intervals() -> list[int]:
    """Seconds before each automatic retry; their number is the budget."""
    raw = str(current_app.config.get("REPORT_RETRY_INTERVALS") or "")
    return [max(0, int(float(x))) for x in raw.replace(" ", "").split(",") if x]


def is_transient(exc: BaseException) -> bool:
    """The job's own connection dropped (database or Redis): another attempt may succeed.
    Driver-neutral: SQLAlchemy's wrappers and redis-py's exception, whatever the driver."""
    from redis.exceptions import (
        ConnectionError as RedisConnectionError,
        TimeoutError as RedisTimeoutError,
    )

    if isinstance(exc, ReportError):  # ours: it would fail the same way again
        return False
    seen = set()
    while exc is not None and id(exc) not in seen:  # also when wrapped in another error
        seen.add(id(exc))
        if isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError,
                            RedisConnectionError, RedisTimeoutError)):
            return True
        if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
            return True
        exc = exc.__cause__ or exc.__context__
    return False



def give_up(run_id: int, attempt: int, reason: str, now: dt.datetime | None = None) -> str | None:
    """Close attempt `attempt` of the run (still queued or running) for `reason` (a sentence
    without "可重试"): queue the next attempt after its backoff while the budget lasts, else
    fail the run. "retrying", "failed", or None when the attempt was no longer
    the run's (someone else gave up on it, or it ended).

    Writes in its own short transaction (the caller's session may hold a dead connection)."""
    now = now or utcnow()
    with db.engine.connect() as conn:
        used = conn.scalar(sa.select(ReportRun.auto_retries).where(ReportRun.id == run_id))
    intervals, used = retry_intervals(), used or 0
    current = (ReportRun.id == run_id, ReportRun.attempts == attempt, ReportRun.status.in_(ACTIVE))
    if used >= len(intervals):
        spent = f"；已自动重试 {used} 次仍未完成" if used else ""
        stmt = sa.update(ReportRun).where(*current).values(
            status=ReportStatus.failed, error=f"{reason}{spent}{RETRYABLE}"[:4000],
            finished_at=now, worker=None, updated_at=now)
        with db.engine.begin() as conn:
            done = conn.execute(stmt).rowcount > 0
        if done:
            cleanup_files(run_id, attempt)
        return "failed" if done else None

    delay = intervals[used]
    stamp = local_time(now, seconds=True)
    line = f"{stamp} 第{attempt}次生成中断：{reason}；{delay} 秒后自动重试\n"
    job_id = f"report-{run_id}-{attempt + 1}-{uuid.uuid4().hex[:8]}-wait"
    stmt = sa.update(ReportRun).where(*current).values(
        attempts=attempt + 1, status=ReportStatus.queued, progress=0,
        error=f"第{attempt}次生成中断：{reason}。{delay} 秒后自动重试"
              f"（第{used + 1}次，共{len(intervals)}次）"[:4000],
        auto_retries=ReportRun.auto_retries + 1,
        retry_log=sa.func.coalesce(ReportRun.retry_log, "") + line,
        started_at=None, finished_at=None, heartbeat_at=now, job_id=job_id,
        # Embedded: the scheduled job lives in this process; if it dies, so does the retry
        # (the sweeper sees this process gone).
        worker=worker_id() if is_embedded() else None, updated_at=now)
    with db.engine.begin() as conn:
        if conn.execute(stmt).rowcount == 0:
            return None
    cleanup_files(run_id, attempt)
    try:
        get_queue().enqueue_in(dt.timedelta(seconds=delay), RESTART_JOB, run_id, attempt + 1,
                               job_id=job_id, job_timeout=600)
        if is_embedded():
            app = current_app._get_current_object()
            start_embedded_worker(app)
            start_embedded_scheduler(app)  # moves scheduled jobs onto the queue when due
    except Exception as exc:  # Redis unreachable: the run must not wait forever
        log.exception("report run %s: automatic retry (attempt %s) could not be scheduled",
                      run_id, attempt + 1)
        stmt = sa.update(ReportRun).where(
            ReportRun.id == run_id, ReportRun.attempts == attempt + 1,
            ReportRun.status.in_(ACTIVE)).values(
            status=ReportStatus.failed, finished_at=utcnow(), worker=None, updated_at=utcnow(),
            error=f"{reason}；无法安排自动重试：{exc}{RETRYABLE}"[:4000])
        try:
            with db.engine.begin() as conn:
                conn.execute(stmt)
        except Exception:
            log.exception("report run %s: could not record the failed retry", run_id)
        return "failed"
    log.warning("report run %s: attempt %s given up (%s); attempt %s in %s s", run_id,
                attempt, reason, attempt + 1, delay)
    return "retrying"
