"""A run's file: where the archive lives, what the workbook of a run says about itself, the
temporary files a crashed attempt leaves, and the archived file checked against its SHA-256.

The workbook of a run is byte-deterministic: its header's 填报日期 is the day the run was
requested (not the day an attempt happened to run) and its created stamp is the time it was
requested, so every attempt of a run — a retry after a dead worker included — writes the same
bytes for the same data, and write_run_file(run, path) writes them again for a check.
"""
from __future__ import annotations

import datetime as dt
import glob
import os
import shutil
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from office.models import OfficeUser, ReportRun, ReportStatus, db
from office.services.report.build import (
    DbSource,
    HeaderMeta,
    ReportError,
    Written,
    sha256_of,
    unit_name,
    work_dir,
    write_atomically,
    write_return,
)
from office.services.report.data import choose_campaign, snapshot


def report_dir() -> Path:
    path = Path(current_app.config["REPORT_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


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


def requested_at(run: ReportRun) -> dt.datetime:
    """When the run was requested, as an aware UTC time (stored naive UTC)."""
    return (run.created_at or dt.datetime(2000, 1, 1)).replace(tzinfo=dt.UTC)


def run_meta(run: ReportRun, county_name: str) -> HeaderMeta:
    """The header block of a run's workbook: the same on every attempt. 填报日期 is the day
    the run was requested, in the server's time zone (as dt.date.today() was)."""
    created = requested_at(run)
    return HeaderMeta(unit=unit_name(county_name), filled_on=created.astimezone().date(),
                      filled_by=display_name(run.requested_by), reviewer=run.reviewer or "",
                      run_id=run.id, created=created)


def write_run_file(run: ReportRun, path: str | os.PathLike) -> Written:
    """Write the run's workbook again, from the database, to `path` (replaced): the bytes
    its archived file has when the data as of its date has not changed since."""
    path = Path(path).resolve()
    if path.exists():
        path.unlink()
    with snapshot() as read:
        campaign = choose_campaign(run.as_of, run.campaign_id)
        with DbSource(run.as_of, campaign, read) as source, \
                work_dir(path.parent, f"rewrite-{run.id}-{os.getpid()}") as tmpdir:
            meta = run_meta(run, source.figures.county_name)
            return write_atomically(
                path, lambda tmp: write_return(tmp, meta, source, None, tmpdir),
                tag=f"rewrite-{run.id}")


def discard(path: Path) -> None:
    try:
        os.chmod(path, 0o644)
        os.unlink(path)
    except FileNotFoundError:
        pass


def cleanup_files(run_id: int, attempt: int) -> None:
    """Temporary files a crashed attempt of the run may have left (never the archive)."""
    base = report_dir()
    for path in glob.glob(str(base / f".report-{run_id}-{attempt}-*.part")):
        discard(Path(path))
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
