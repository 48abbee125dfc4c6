"""The life of a ReportRun: queued → running (progress, heartbeat) → done | failed → retried.

* start_run / retry_run / regenerate put jobs on the RQ queue (office.jobs.report): one job
  by default; with fan-out (REPORT_FANOUT=1, or "auto" = whenever Redis is configured) a
  figures job and one job per township, then a merge job that depends on them all.
* A job writes through a separate short transaction (progress, heartbeat, worker = host:pid),
  never through the snapshot it reads from.
* Every state change is conditional on (run id, attempt): a job of an earlier attempt, or one
  the sweeper has already given up on, changes nothing and leaves no file.
* sweep_stale() fails runs that can no longer finish: worker process gone (same host), RQ job
  lost or failed, or no heartbeat for REPORT_STALE_SECONDS. It runs when the report pages load
  and every few minutes from the scheduler (office/jobs/schedule.py).
* A done run's file is frozen: never rewritten; generating again makes a new run.
"""
from __future__ import annotations

import datetime as dt
import glob
import os
import shutil
import socket
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from office.models import OfficeUser, ReportRun, ReportStatus, ReportTrigger, Township, db
from office.models.base import utcnow
from office.queue import connection, get_queue, is_embedded, start_embedded_worker
from office.services.report import parts as report_parts
from office.services.report.build import (
    DbSource,
    HeaderMeta,
    ReportError,
    sha256_of,
    unit_name,
    work_dir,
    write_atomically,
    write_return,
)
from office.services.report.data import choose_campaign, snapshot

ACTIVE = (ReportStatus.queued, ReportStatus.running)
JOB_TIMEOUT = 4 * 3600        # a 200,000-compound county takes minutes; RQ's default is 180 s
ENQUEUE_GRACE = dt.timedelta(seconds=30)  # a run this fresh may not be on the queue yet
JOBS = "office.jobs.report"


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def report_dir() -> Path:
    path = Path(current_app.config["REPORT_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def fanout_enabled() -> bool:
    value = str(current_app.config.get("REPORT_FANOUT", "0")).lower()
    if value == "auto":
        return not is_embedded()
    return value in {"1", "true", "yes", "on"}


def display_name(username: str | None) -> str:
    if not username:
        return ""
    user = db.session.scalar(sa.select(OfficeUser).where(OfficeUser.username == username))
    if user is None:
        return username
    name = f"{user.last_name or ''}{user.first_name or ''}".strip()
    return name or username


def download_name(run: ReportRun) -> str:
    county = run.campaign.county.name if run.campaign else ""
    return f"{county}住宅小区管理工作统计报表_{run.as_of.isoformat()}_第{run.id}号.xlsx"


def download_fallback(run: ReportRun) -> str:
    """The ASCII name of the same file, for clients that cannot read a Chinese one."""
    return f"statistics_return_{run.as_of.isoformat()}_no{run.id}.xlsx"


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
    attempt, queue = run.attempts, get_queue()
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
        raise ReportError(f"无法提交后台任务：{exc}") from exc
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


def _meta(run: ReportRun, county_name: str) -> HeaderMeta:
    return HeaderMeta(unit=unit_name(county_name), filled_on=dt.date.today(),
                      filled_by=display_name(run.requested_by), reviewer=run.reviewer or "",
                      run_id=run.id)


def _archive(run: ReportRun, attempt: int, source, start: int = 0) -> None:
    """Write the file for the run (atomically) and mark it done."""
    base = report_dir()
    # Unique even if run ids start again (a database restored, the archive kept).
    name = f"report-{run.as_of.isoformat()}-r{run.id}-a{attempt}-{uuid.uuid4().hex[:8]}.xlsx"
    final = base / name
    progress = _Progress(run.id, attempt, start)
    meta = _meta(run, source.figures.county_name)
    with work_dir(base, f"run-{run.id}-{attempt}-xlsx") as tmpdir:
        written = write_atomically(
            final, lambda tmp: write_return(tmp, meta, source, progress, tmpdir),
            tag=f"report-{run.id}-{attempt}")
    if not _finish(run.id, attempt, ReportStatus.done, progress=100,
                   file_path=final.name, sha256=written.sha256, file_size=written.size):
        _discard(final)  # given up on meanwhile (sweeper, retry): nobody refers to it


def _discard(path: Path) -> None:
    try:
        os.chmod(path, 0o644)
        os.unlink(path)
    except FileNotFoundError:
        pass


def _failed(run_id: int, attempt: int, exc: BaseException) -> None:
    message = str(exc) if isinstance(exc, ReportError) else f"{type(exc).__name__}: {exc}"
    _finish(run_id, attempt, ReportStatus.failed, error=f"生成失败：{message}"[:4000])
    cleanup_files(run_id, attempt)


def execute(run_id: int, attempt: int) -> str:
    """The whole return in one job (the embedded default, and REPORT_FANOUT=0)."""
    run = _start(run_id, attempt)
    if run is None:
        return "skipped"
    try:
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
        _cancel(run.job_id)
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


# ---------------------------------------------------------------- files


def cleanup_files(run_id: int, attempt: int) -> None:
    """Temporary files a crashed attempt of the run may have left (never the archive)."""
    base = report_dir()
    for path in glob.glob(str(base / f".report-{run_id}-{attempt}-*.part")):
        _discard(Path(path))
    for path in glob.glob(str(base / ".work" / f"run-{run_id}-{attempt}-*")):
        shutil.rmtree(path, ignore_errors=True)


def archived_file(run: ReportRun) -> Path:
    """The run's file, checked against its SHA-256."""
    if run.status != ReportStatus.done or not run.file_path:
        raise ReportError("该报表尚未生成完成")
    path = report_dir() / run.file_path
    if not path.is_file() or sha256_of(path) != run.sha256:
        raise ReportError("归档文件缺失或与登记的 SHA-256 校验值不一致，请联系管理员")
    return path
