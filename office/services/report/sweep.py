"""Attempts that can no longer finish are given up on (and their temporary files removed), so
a page never shows "生成中" forever; and the monthly return started by the scheduler.

A queued or running attempt is given up on when
  * the process recorded in ReportRun.worker is on this host and no longer alive (a killed
    `rq worker`, or the embedded server that held the in-process queue),
  * Redis deployment: its RQ job is gone, failed, stopped or cancelled (for a fanned-out run:
    the merge job, or one of the part jobs it waits for),
  * it is running and its heartbeat is older than REPORT_STALE_SECONDS.
Each of these is a death of the attempt's surroundings, not of the return: the run is started
again as a new attempt after a backoff while REPORT_RETRY_INTERVALS lasts, and failed ("…，可重试")
once it is spent (office/services/report/retry.py).
A submission stuck in 报送中 whose RQ job is gone or failed is marked 报送失败 the same way.
"""
from __future__ import annotations

import datetime as dt
import os
import socket

import sqlalchemy as sa
from flask import current_app

from office.models import Campaign, ReportRun, ReportStatus, ReportTrigger, SubmissionStatus, db
from office.models.base import utcnow
from office.queue import connection, is_embedded
from office.services.report.retry import ACTIVE, give_up, worker_id
from office.services.report.runs import ENQUEUE_GRACE, start_run

FAILED_JOB = {"failed", "stopped", "canceled"}


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (killed, not yet reaped by its parent) is dead too
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _process_gone(worker: str | None) -> bool:
    if not worker or ":" not in worker:
        return False
    host, _, pid = worker.rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and not pid_alive(int(pid))


def _job_problem(job_id: str | None) -> str | None:
    """Why the RQ job cannot complete, or None while it still may."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    if not job_id:
        return "没有后台任务编号"
    conn = connection()
    try:
        job = Job.fetch(job_id, connection=conn)
    except NoSuchJobError:
        return "后台任务已丢失（队列中没有该任务）"
    status = str(job.get_status(refresh=True) or "")
    status = status.rsplit(".", 1)[-1].lower()
    if status in FAILED_JOB:
        return f"后台任务失败：{_last_line(job)}"
    if status == "deferred":
        for dep in job.fetch_dependencies():
            if dep is None:
                return "后台任务已丢失（分片任务不存在）"
            dep_status = str(dep.get_status(refresh=True) or "").rsplit(".", 1)[-1].lower()
            if dep_status in FAILED_JOB:
                return f"分片任务失败：{_last_line(dep)}"
    return None


def _last_line(job) -> str:
    try:
        result = job.latest_result()
        text = (result.exc_string if result is not None else None) or job.exc_info or ""
    except Exception:
        text = job.exc_info or ""
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "原因不明"


def _why_stale(run: ReportRun, now: dt.datetime, stale_after: dt.timedelta) -> str | None:
    if _process_gone(run.worker):
        return f"生成进程已退出（{run.worker}），本次生成未完成"
    fresh = now - (run.updated_at or run.created_at) < ENQUEUE_GRACE
    if not fresh:
        if not is_embedded():
            problem = _job_problem(run.job_id)
            if problem:
                return problem
        elif run.worker == worker_id() and _job_problem(run.job_id):
            return "后台任务已丢失（服务已重启）"
    beat = run.heartbeat_at or run.started_at or run.created_at
    if run.status == ReportStatus.running and now - beat > stale_after:
        minutes = int(stale_after.total_seconds() // 60) or 1
        return f"超过 {minutes} 分钟没有进展，视为中断"
    return None


def sweep_stale(now: dt.datetime | None = None) -> list[int]:
    """Give up on the attempts (and fail the submissions) that can no longer finish: the ids
    of the runs given up on, whether retried (retry.give_up) or failed."""
    now = now or utcnow()
    stale_after = dt.timedelta(seconds=int(current_app.config.get("REPORT_STALE_SECONDS", 900)))
    failed = []
    runs = db.session.scalars(sa.select(ReportRun).where(ReportRun.status.in_(ACTIVE))).all()
    stale = [(run.id, run.attempts, reason) for run in runs
             if (reason := _why_stale(run, now, stale_after)) is not None]
    if stale:  # give_up writes in transactions of its own (SQLite: one writer at a time)
        db.session.commit()
    for run_id, attempt, reason in stale:
        if give_up(run_id, attempt, reason, now):
            failed.append(run_id)
    sending = db.session.scalars(sa.select(ReportRun).where(
        ReportRun.submission_status == SubmissionStatus.sending)).all()
    for run in sending:
        if now - run.updated_at < ENQUEUE_GRACE:
            continue
        problem = _job_problem(run.submission_job_id)
        if problem:
            db.session.execute(
                sa.update(ReportRun).where(ReportRun.id == run.id,
                                           ReportRun.submission_status == SubmissionStatus.sending)
                .values(submission_status=SubmissionStatus.failed,
                        submission_error=f"报送任务中断：{problem}", updated_at=now))
    db.session.commit()
    if failed:
        db.session.expire_all()
    return failed


def start_scheduled(today: dt.date | None = None) -> list[ReportRun]:
    """The monthly return: as of the last day of the previous month, for every campaign whose
    period holds that day; once per (date, campaign) unless the earlier one failed."""
    today = today or dt.date.today()
    as_of = today.replace(day=1) - dt.timedelta(days=1)
    started = []
    campaigns = db.session.scalars(sa.select(Campaign).where(
        Campaign.starts_on <= as_of, Campaign.ends_on >= as_of).order_by(Campaign.id)).all()
    for campaign in campaigns:
        exists = db.session.scalar(sa.select(ReportRun.id).where(
            ReportRun.as_of == as_of, ReportRun.campaign_id == campaign.id,
            ReportRun.trigger == ReportTrigger.scheduled,
            ReportRun.status != ReportStatus.failed).limit(1))
        if exists is None:
            started.append(start_run(as_of, "定时任务", campaign_id=campaign.id,
                                     trigger=ReportTrigger.scheduled))
    return started
