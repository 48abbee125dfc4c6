"""The life of a ReportRun: queued → running (progress, heartbeat) → done | failed → retried.

* start_run / retry_run / regenerate put jobs on the RQ queue (office.jobs.report): one job
  by default; with fan-out (REPORT_FANOUT=1, or "auto" = whenever Redis is configured) a
  figures job and one job per township, then a merge job that depends on them all.
* A job writes through a separate short transaction (progress, heartbeat, worker = host:pid),
  never through the snapshot it reads from.
* Every state change is conditional on (run id, attempt): a job of an earlier attempt, or one
  the sweeper has already given up on, changes nothing and leaves no file.
* sweep_stale() gives up on attempts that can no longer finish: worker process gone (same
  host), RQ job lost or failed, or no heartbeat for REPORT_STALE_SECONDS. It runs when the
  report pages load and every few minutes from the scheduler (office/jobs/schedule.py).
* An attempt given up on, or one whose own database/Redis connection dropped, is started again
  automatically after a backoff while REPORT_RETRY_INTERVALS lasts (retry.py; resume() is the
  scheduled job's side); a ReportError or a bug fails the run at once.
* A done run's file is frozen: never rewritten; generating again makes a new run. Every attempt
  of a run writes the same bytes for the same data (archive.run_meta).
"""
from __future__ import annotations

import datetime as dt
import logging
import shutil
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from office.models import ReportRun, ReportStatus, ReportTrigger, Township, db
from office.models.base import utcnow
from office.queue import connection, get_queue, is_embedded, start_embedded_worker
from office.services.report import parts as report_parts
from office.services.report.archive import (
    cleanup_files,
    discard,
    report_dir,
    run_meta,
)
from office.services.report.build import (
    DbSource,
    ReportError,
    work_dir,
    write_atomically,
    write_return,
)
from office.services.report.data import choose_campaign, snapshot
from office.services.report.retry import ACTIVE, give_up, is_transient, worker_id

log = logging.getLogger(__name__)

JOB_TIMEOUT = 4 * 3600        # a 200,000-compound county takes minutes; RQ's default is 180 s
ENQUEUE_GRACE = dt.timedelta(seconds=30)  # a run this fresh may not be on the queue yet
JOBS = "office.jobs.report"


def fanout_enabled() -> bool:
    value = str(current_app.config.get("REPORT_FANOUT", "0")).lower()
    if value == "auto":
        return not is_embedded()
    return value in {"1", "true", "yes", "on"}


# ---------------------------------------------------------------- starting


def start_run(as_of: dt.date, requested_by: str | None, reviewer: str | None = None,
              campaign_id: int | None = None,
              trigger: ReportTrigger = ReportTrigger.manual) -> ReportRun:
    campaign = choose_campaign(as_of, campaign_id)
    run = ReportRun(as_of=as_of, status=ReportStatus.queued, requested_by=requested_by,
                    reviewer=(reviewer or "").strip() or None, campaign_id=campaign.id,
                    trigger=trigger, progress=0, attempts=0)
    db.session.add(run)
    db.session.flush()
    _enqueue(run)
    return run


def retry_run(run: ReportRun) -> ReportRun:
    if run.status != ReportStatus.failed:
        raise ReportError("只有生成失败的报表可以重试")
    _enqueue(run)
    return run


def regenerate(run: ReportRun, requested_by: str | None) -> ReportRun:
    """A new run for the same date and campaign; the earlier file stays as archived."""
    return start_run(run.as_of, requested_by, run.reviewer, run.campaign_id)


def _job_ids(run: ReportRun) -> tuple[str, str]:
    """(the job whose end is the run's end, prefix of its part jobs)."""
    # Unique: run ids start again when a database is rebuilt, Redis keeps finished jobs.
    prefix = f"report-{run.id}-{run.attempts}-{uuid.uuid4().hex[:8]}"
    return (f"{prefix}-merge" if fanout_enabled() else prefix), prefix


def _enqueue(run: ReportRun) -> None:
    run.attempts = (run.attempts or 0) + 1
    run.status, run.progress, run.error = ReportStatus.queued, 0, None
    run.started_at = run.finished_at = None
    run.heartbeat_at = utcnow()
    # Embedded: the queue lives in this process; if it dies, so does the job (sweeper).
    run.worker = worker_id() if is_embedded() else None
    run.job_id, prefix = _job_ids(run)
    db.session.commit()
    _submit(run, run.attempts, prefix)


def resume(run_id: int, attempt: int) -> str:
    """The scheduled job of an automatic retry (retry.give_up), after its backoff: put the
    jobs of `attempt` on the queue, unless the run moved on meanwhile (a manual retry, or the
    sweeper gave up on the waiting attempt too)."""
    run = db.session.get(ReportRun, run_id)
    if run is None or run.attempts != attempt or run.status != ReportStatus.queued:
        return "skipped"
    job_id, prefix = _job_ids(run)
    if not _update(run_id, attempt, (ReportStatus.queued,), job_id=job_id, heartbeat_at=utcnow(),
                   worker=worker_id() if is_embedded() else None):
        return "skipped"
    db.session.expire_all()
    _submit(db.session.get(ReportRun, run_id), attempt, prefix)
    return "queued"


def _submit(run: ReportRun, attempt: int, prefix: str) -> None:
    """Enqueue the jobs of the run's current attempt (its job_id already stored)."""
    queue = get_queue()
    try:
        if fanout_enabled():
            townships = db.session.scalars(
                sa.select(Township.id).where(Township.county_id == run.campaign.county_id)
                .order_by(Township.id)).all()
            deps = [queue.enqueue(f"{JOBS}.build_{name}", run.id, attempt,
                                  job_id=f"{prefix}-{name}", job_timeout=JOB_TIMEOUT)
                    for name in ("statuses", "figures")]
            deps += [queue.enqueue(f"{JOBS}.build_part", run.id, attempt, tid,
                                   job_id=f"{prefix}-t{tid}", job_timeout=JOB_TIMEOUT)
                     for tid in townships]
            queue.enqueue(f"{JOBS}.merge_report", run.id, attempt, job_id=run.job_id,
                          depends_on=deps, job_timeout=JOB_TIMEOUT)
        else:
            queue.enqueue(f"{JOBS}.build_report", run.id, attempt, job_id=run.job_id,
                          job_timeout=JOB_TIMEOUT)
    except Exception as exc:  # Redis unreachable: say so now rather than queue forever
        _finish(run.id, attempt, ReportStatus.failed, error=f"无法提交后台任务：{exc}")
        raise ReportError("无法提交后台任务：%(error)s", error=str(exc)) from exc
    if is_embedded():
        start_embedded_worker(current_app._get_current_object())


# ---------------------------------------------------------------- state changes (jobs)


def _update(run_id: int, attempt: int, states, **values) -> bool:
    """UPDATE the run in its own short transaction, only while it is still this attempt
    and in one of `states`; False when it is not (the run moved on without this job)."""
    stmt = (sa.update(ReportRun).where(ReportRun.id == run_id, ReportRun.attempts == attempt,
                                       ReportRun.status.in_(states))
            .values(updated_at=utcnow(), **values))
    with db.engine.begin() as conn:
        return conn.execute(stmt).rowcount > 0


def _start(run_id: int, attempt: int) -> ReportRun | None:
    """Mark the run running (the first job of an attempt); None when it is not ours."""
    now = utcnow()
    if not _update(run_id, attempt, ACTIVE, status=ReportStatus.running, worker=worker_id(),
                   heartbeat_at=now,
                   started_at=sa.func.coalesce(ReportRun.started_at, now)):
        return None
    db.session.expire_all()
    return db.session.get(ReportRun, run_id)


def _finish(run_id: int, attempt: int, status: ReportStatus, **values) -> bool:
    return _update(run_id, attempt, ACTIVE, status=status, finished_at=utcnow(), worker=None,
                   heartbeat_at=utcnow(), **values)


class RunAbandoned(ReportError):
    """The run was given up on (sweeper) or retried while this job was still working."""


class _Progress:
    """progress(percent) of write_return, mapped onto [start, 99] of the run's bar (a merge
    job starts where the parts left off); at most one write every 2 s, never backwards.
    Raises RunAbandoned once the run is no longer this job's, so a zombie stops early."""

    def __init__(self, run_id: int, attempt: int, start: int = 0):
        self.run_id, self.attempt, self.start = run_id, attempt, start
        self.last, self.at = -1, 0.0

    def __call__(self, percent: int) -> None:
        now = time.monotonic()
        if percent == self.last and now - self.at < 2 or now - self.at < 0.5:
            return
        self.last, self.at = percent, now
        value = min(99, self.start + (100 - self.start) * percent // 100)
        forward = sa.case((ReportRun.progress < value, value), else_=ReportRun.progress)
        if not _update(self.run_id, self.attempt, (ReportStatus.running,), progress=forward,
                       heartbeat_at=utcnow(), worker=worker_id()):
            raise RunAbandoned("该报表任务已被判定中断或已重新提交，本次生成停止")


def _archive(run: ReportRun, attempt: int, source, start: int = 0) -> None:
    """Write the file for the run (atomically) and mark it done."""
    base = report_dir()
    # Unique even if run ids start again (a database restored, the archive kept).
    name = f"report-{run.as_of.isoformat()}-r{run.id}-a{attempt}-{uuid.uuid4().hex[:8]}.xlsx"
    final = base / name
    progress = _Progress(run.id, attempt, start)
    meta = run_meta(run, source.figures.county_name)
    with work_dir(base, f"run-{run.id}-{attempt}-xlsx") as tmpdir:
        written = write_atomically(
            final, lambda tmp: write_return(tmp, meta, source, progress, tmpdir),
            tag=f"report-{run.id}-{attempt}")
    if not _finish(run.id, attempt, ReportStatus.done, progress=100, error=None,
                   file_path=final.name, sha256=written.sha256, file_size=written.size):
        discard(final)  # given up on meanwhile (sweeper, retry): nobody refers to it


def _failed(run_id: int, attempt: int, exc: BaseException) -> None:
    """A job of the attempt raised: a dropped connection is retried (retry.give_up), anything
    else fails the run. Never raises (the job re-raises its own error for RQ); what cannot be
    recorded here, the sweeper finds later from the failed RQ job."""
    try:
        if is_transient(exc):
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            give_up(run_id, attempt, f"连接中断（{type(exc).__name__}: {first}）")
            return
        message = str(exc) if isinstance(exc, ReportError) else f"{type(exc).__name__}: {exc}"
        _finish(run_id, attempt, ReportStatus.failed, error=f"生成失败：{message}"[:4000])
        cleanup_files(run_id, attempt)
    except Exception:
        log.exception("report run %s, attempt %s: its failure could not be recorded",
                      run_id, attempt)


def _test_fault(attempt: int) -> None:
    """REPORT_TEST_FAULT (tests only): the first attempt fails with a bug ("KeyError") or
    loses its database connection ("disconnect": the server ends it on PostgreSQL, the DBAPI
    connection is closed underneath elsewhere — a real dropped connection either way)."""
    fault = current_app.config.get("REPORT_TEST_FAULT") or ""
    if attempt != 1 or not fault:
        return
    if fault == "KeyError":
        raise KeyError("test fault")
    if fault == "disconnect":
        with db.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_terminate_backend(pg_backend_pid())"))
            conn.connection.dbapi_connection.close()
            conn.execute(sa.text("SELECT 1"))


def execute(run_id: int, attempt: int) -> str:
    """The whole return in one job (the embedded default, and REPORT_FANOUT=0)."""
    run = _start(run_id, attempt)
    if run is None:
        return "skipped"
    try:
        _test_fault(attempt)
        with snapshot() as read:
            campaign = choose_campaign(run.as_of, run.campaign_id)
            with DbSource(run.as_of, campaign, read) as source:
                _archive(run, attempt, source)
    except BaseException as exc:
        _failed(run_id, attempt, exc)
        raise
    return "done"


# ---------------------------------------------------------------- fan-out jobs


def parts_dir(run_id: int, attempt: int) -> Path:
    path = report_dir() / ".work" / f"run-{run_id}-{attempt}-parts"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _part(run_id: int, attempt: int, work, share: int) -> str:
    """One part job of a fanned-out run, worth `share` percent of the progress bar (split
    among the townships for a township's part)."""
    run = _start(run_id, attempt)
    if run is None:
        return "skipped"
    try:
        work(run, parts_dir(run_id, attempt))
        if share < 0:  # a township's part
            townships = db.session.scalar(sa.select(sa.func.count()).select_from(Township)
                                          .where(Township.county_id == run.campaign.county_id))
            share = max(1, -share // max(1, townships or 1))
    except BaseException as exc:
        _failed(run_id, attempt, exc)
        _cancel(run.job_id)  # the old attempt's merge job (a retry has its own)
        raise
    bumped = sa.case((ReportRun.progress + share > 85, 85), else_=ReportRun.progress + share)
    _update(run_id, attempt, (ReportStatus.running,), progress=bumped, heartbeat_at=utcnow(),
            worker=None)
    return "done"


def execute_figures(run_id: int, attempt: int) -> str:
    return _part(run_id, attempt, lambda run, parts: report_parts.write_figures(
        parts, run.as_of, run.campaign_id), 5)


def execute_statuses(run_id: int, attempt: int) -> str:
    return _part(run_id, attempt, lambda run, parts: report_parts.write_statuses(
        parts, run.as_of, run.campaign_id), 15)


def execute_township(run_id: int, attempt: int, township_id: int) -> str:
    return _part(run_id, attempt, lambda run, parts: report_parts.write_township(
        parts, run.as_of, run.campaign_id, township_id), -60)


def execute_merge(run_id: int, attempt: int) -> str:
    run = _start(run_id, attempt)
    if run is None:
        return "skipped"
    parts = parts_dir(run_id, attempt)
    try:
        with snapshot():
            campaign = choose_campaign(run.as_of, run.campaign_id)
            _archive(run, attempt, report_parts.PartsSource(parts, run.as_of, campaign),
                     start=85)
    except BaseException as exc:
        _failed(run_id, attempt, exc)
        raise
    finally:
        shutil.rmtree(parts, ignore_errors=True)
    return "done"


def _cancel(job_id: str | None) -> None:
    from rq.job import Job

    if not job_id:
        return
    try:
        Job.fetch(job_id, connection=connection()).cancel()
    except Exception:  # already gone or finished: nothing to cancel
        pass
