"""统计报表: building the return (one code path for the RQ job and `flask office report`).

    build_to_file(as_of, out)          synchronous, what `flask --app run office report` runs
    write_return(path, meta, source)   the writer loop, fed by a Source:
        DbSource     the database, inside one read snapshot (report_data.snapshot)
        PartsSource  the per-township part files of a fanned-out run (report_parts)

The file is written atomically (write_atomically): to a temporary file in the destination's
directory, hashed (SHA-256), made read-only and then renamed into place, so a killed job leaves
no half-written return under the final name (the temporary file is removed by the job on
error and by the stale-run sweeper after a crash).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from office.services.report.data import (
    ReportError,
    choose_campaign,
    compute_figures,
    dispute_query,
    snapshot,
    stream,
    task_query,
)
from office.services.report.feed import Feeder
from office.services.report.sheets import (
    DISPUTES,
    TASKS,
    compound_rows,
    dispute_row,
    task_row,
)
from office.services.report.workbook import HeaderMeta, ReportWriter

__all__ = ["ReportError", "HeaderMeta", "DbSource", "build_to_file", "write_return",
           "write_atomically", "sha256_of", "unit_name", "Progress"]

Progress = Callable[[int], None]  # percent done, 0–100
PROGRESS_EVERY = 5000             # rows between progress reports


def unit_name(county_name: str) -> str:
    """填报单位: the county's housing bureau."""
    return f"{county_name}住房和城乡建设局"


def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------- sources


class DbSource:
    """The return's data straight from the database, inside report_data.snapshot(): the
    figures here, the statuses and compound rows from a reader thread (report_feed) so that
    the database works while the workbook is written. Use as a context manager."""

    def __init__(self, as_of: dt.date, campaign, read):
        from office.models import db

        self.as_of, self.campaign = as_of, campaign
        self._feed = Feeder(db.engine, read.export(), as_of, campaign)
        try:
            self.figures = compute_figures(as_of, campaign)
        except BaseException:
            self._feed.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._feed.close()

    @property
    def statuses(self):
        return self._feed.statuses()

    @property
    def compound_total(self) -> int:
        return self.figures.county["committee_coverage"].denominator

    def compounds(self) -> Iterator[tuple]:
        return self._feed.rows()

    def disputes(self) -> Iterator[tuple]:
        return stream(dispute_query(self.as_of, self.campaign))

    def tasks(self) -> Iterator[tuple]:
        return stream(task_query(self.as_of, self.campaign))


# ---------------------------------------------------------------- the writer loop


def _test_delay(progress: Progress | None) -> None:
    """OFFICE_REPORT_TEST_DELAY: tests make a return slow enough to kill its worker."""
    delay = float(current_app.config.get("REPORT_TEST_DELAY") or 0)
    end = time.monotonic() + delay
    while time.monotonic() < end:
        time.sleep(min(0.2, max(0.0, end - time.monotonic())))
        if progress:
            progress(10)


def write_return(path: str, meta: HeaderMeta, source, progress: Progress | None = None,
                 tmpdir: str | None = None) -> dict[str, int]:
    """Write the whole workbook from `source`; rows per detail sheet."""
    figures = source.figures
    writer = ReportWriter(path, meta, figures, tmpdir=tmpdir)
    writer.write_summary()
    add = writer.add
    # Disputes and tasks first: they need neither the statuses nor the compound rows, which
    # the database is still preparing (report_feed).
    for row in source.disputes():
        add(DISPUTES, dispute_row(row, figures.as_of))
    for row in source.tasks():
        add(TASKS, task_row(row, figures.as_of))
    if progress:
        progress(10)
    _test_delay(progress)
    total = max(1, getattr(source, "compound_total", 0))
    statuses = source.statuses
    for n, row in enumerate(source.compounds(), 1):
        for sheet, values in compound_rows(row, figures, statuses):
            add(sheet, values)
        if progress and n % PROGRESS_EVERY == 0:
            progress(10 + min(80, 80 * n // total))
    if progress:
        progress(90)
    counts = writer.close()
    if progress:
        progress(98)
    return counts


@dataclass(frozen=True)
class Written:
    path: Path
    sha256: str
    size: int
    counts: dict[str, int]


def write_atomically(final: Path, build: Callable[[str], dict[str, int]],
                     tag: str = "report") -> Written:
    """build(temp_path) into a temporary file beside `final`, then rename it into place.

    An existing `final` is never replaced (archived returns are frozen)."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{tag}-", suffix=".part", dir=final.parent)
    os.close(fd)
    try:
        counts = build(tmp)
        digest, size = sha256_of(tmp), os.path.getsize(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o444)
        if final.exists():
            raise ReportError("归档文件已存在，不会覆盖：%(name)s", name=final.name)
        os.replace(tmp, final)
        with contextlib.suppress(OSError):  # make the rename durable
            dir_fd = os.open(final.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return Written(final, digest, size, counts)


@contextlib.contextmanager
def work_dir(base: Path, name: str) -> Iterator[str]:
    """A scratch directory for xlsxwriter's temporary files, removed afterwards."""
    path = Path(base) / ".work" / name
    path.mkdir(parents=True, exist_ok=True)
    try:
        yield str(path)
    finally:
        shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------- synchronous build (CLI)


def build_to_file(as_of: dt.date, out: str | os.PathLike, campaign_id: int | None = None,
                  filled_by: str = "", reviewer: str = "", run_id: int | None = None,
                  progress: Progress | None = None, overwrite: bool = True) -> Written:
    """Build the return for `as_of` into `out`, synchronously: the same source and writer
    the RQ job uses. `out` is replaced atomically (unless overwrite=False)."""
    out = Path(out).resolve()
    if overwrite and out.exists():
        out.unlink()
    with snapshot() as read:
        campaign = choose_campaign(as_of, campaign_id)
        with DbSource(as_of, campaign, read) as source, \
                work_dir(out.parent, f"cli-{os.getpid()}") as tmpdir:
            meta = HeaderMeta(unit=unit_name(source.figures.county_name),
                              filled_on=dt.date.today(), filled_by=filled_by,
                              reviewer=reviewer, run_id=run_id)
            return write_atomically(
                out, lambda tmp: write_return(tmp, meta, source, progress, tmpdir))
