"""Sending a finished return up to the city (三.1), once; the archived file never changes.

Two channels:
  * http   — an RQ job POSTs the archived file to CITY_ENDPOINT (OFFICE_CITY_ENDPOINT) with
             "Authorization: Bearer <CITY_TOKEN>" and the file's SHA-256 in X-Report-SHA256;
             the city answers with a receipt number (JSON {"receipt_no": …} or plain text).
             Network errors, 5xx, 408 and 429 are retried by RQ with backoff
             (SUBMIT_RETRY_INTERVALS seconds; `rq worker --with-scheduler` in production);
             any other answer is final and shown to the clerk.
  * manual — the file was handed over by other means; the clerk records the city's receipt
             number.
"""
from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid

import sqlalchemy as sa
from flask import current_app

from office.kit.i18n import TranslatableError
from office.models import ReportRun, ReportStatus, SubmissionChannel, SubmissionStatus, db
from office.models.base import utcnow
from office.queue import get_queue, is_embedded, start_embedded_scheduler, start_embedded_worker
from office.services.report.archive import archived_file, download_name
from office.services.report.build import ReportError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TIMEOUT = 60
RETRYABLE_HTTP = {408, 429, 500, 502, 503, 504}


class SubmissionError(TranslatableError):
    """The city's platform did not take the return; the message is a msgid (or its reply)."""

    def __init__(self, message: str, transient: bool, **values):
        super().__init__(message, **values)
        self.transient = transient


def retry_intervals() -> list[int]:
    raw = str(current_app.config.get("SUBMIT_RETRY_INTERVALS") or "")
    return [int(float(x)) for x in raw.replace(" ", "").split(",") if x]


def _may_submit(run: ReportRun) -> None:
    if run.status != ReportStatus.done:
        raise ReportError("报表生成完成后才能上报")
    if run.submission_status == SubmissionStatus.done:
        raise ReportError("该报表已于 %(at)s 上报，回执编号 %(receipt)s",
                          at=f"{run.submitted_at:%Y-%m-%d %H:%M}", receipt=run.receipt_no)
    if run.submission_status == SubmissionStatus.sending:
        raise ReportError("该报表正在报送中")


def start_submission(run: ReportRun, username: str | None) -> ReportRun:
    """Queue the HTTP submission of a done return."""
    _may_submit(run)
    if not current_app.config.get("CITY_ENDPOINT"):
        raise ReportError("未配置市级接收地址（OFFICE_CITY_ENDPOINT），请改用线下报送并登记回执")
    from rq import Retry

    archived_file(run)  # refuse now if the archive is missing or altered
    run.submission_channel = SubmissionChannel.http
    run.submission_status = SubmissionStatus.sending
    run.submission_error = None
    run.submission_attempts = 0
    run.submitted_by = username
    run.submission_job_id = f"submit-{run.id}-{uuid.uuid4().hex[:12]}"
    db.session.commit()
    intervals = retry_intervals()
    retry = Retry(max=len(intervals), interval=intervals) if intervals else None
    try:
        get_queue().enqueue("office.jobs.submit.submit_report", run.id,
                            job_id=run.submission_job_id, retry=retry, job_timeout=TIMEOUT * 3)
    except Exception as exc:
        run.submission_status = SubmissionStatus.failed
        run.submission_error = f"无法提交后台任务：{exc}"
        db.session.commit()
        raise ReportError(run.submission_error) from exc
    if is_embedded():
        app = current_app._get_current_object()
        start_embedded_worker(app)
        start_embedded_scheduler(app)  # moves retries back onto the queue
    return run


def record_receipt(run: ReportRun, receipt_no: str, submitted_on: dt.date | None,
                   username: str | None) -> ReportRun:
    """The manual channel: the city's receipt number for a return delivered otherwise."""
    _may_submit(run)
    receipt_no = (receipt_no or "").strip()
    if not receipt_no:
        raise ReportError("请填写市级回执编号")
    if len(receipt_no) > 64:
        raise ReportError("回执编号不能超过64个字符")
    archived_file(run)
    when = (dt.datetime.combine(submitted_on, dt.time(12, 0)) if submitted_on else utcnow())
    run.submission_channel = SubmissionChannel.manual
    run.submission_status = SubmissionStatus.done
    run.submission_error = None
    run.receipt_no = receipt_no
    run.submitted_at = when
    run.submitted_by = username
    db.session.commit()
    return run


def post_file(run: ReportRun) -> str:
    """POST the archived return to the city; the receipt number it answers with."""
    path = archived_file(run)
    endpoint = current_app.config.get("CITY_ENDPOINT")
    if not endpoint:
        raise SubmissionError("未配置市级接收地址（OFFICE_CITY_ENDPOINT）", transient=False)
    headers = {
        "Content-Type": XLSX,
        "Authorization": f"Bearer {current_app.config.get('CITY_TOKEN') or ''}",
        "X-Report-SHA256": run.sha256,
        "X-Report-As-Of": run.as_of.isoformat(),
        "X-Report-Id": str(run.id),
        "X-Report-Filename": urllib.parse.quote(download_name(run)),
    }
    request = urllib.request.Request(endpoint, data=path.read_bytes(), headers=headers,
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            body = response.read(64 * 1024).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        detail = exc.read(2000).decode("utf-8", "replace").strip()
        message = f"市级平台拒收（HTTP {exc.code}）：{detail or exc.reason}"
        raise SubmissionError(message[:1000], transient=exc.code in RETRYABLE_HTTP) from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SubmissionError("无法连接市级平台：%(reason)s", transient=True,
                              reason=str(reason)) from exc
    receipt = _receipt(body)
    if not receipt:
        raise SubmissionError("市级平台未返回回执编号：%(body)s", transient=False, body=body[:200])
    return receipt


def _receipt(body: str) -> str | None:
    body = body.strip()
    try:
        data = json.loads(body)
    except ValueError:
        return body[:64] or None
    if isinstance(data, dict):
        value = data.get("receipt_no") or data.get("receipt")
        return str(value)[:64] if value else None
    return None


def _record(run_id: int, **values) -> None:
    stmt = (sa.update(ReportRun).where(ReportRun.id == run_id,
                                       ReportRun.submission_status == SubmissionStatus.sending)
            .values(updated_at=utcnow(), **values))
    with db.engine.begin() as conn:
        conn.execute(stmt)


def submit(run_id: int, retries_left: int | None) -> str:
    """The job: one attempt. A transient failure with retries left is raised again (RQ
    retries the job after its interval); otherwise the outcome is recorded."""
    run = db.session.get(ReportRun, run_id)
    if run is None or run.submission_status != SubmissionStatus.sending:
        return "skipped"
    attempts = (run.submission_attempts or 0) + 1
    _record(run_id, submission_attempts=attempts)
    try:
        receipt = post_file(run)
    except (SubmissionError, ReportError) as exc:
        transient = isinstance(exc, SubmissionError) and exc.transient
        if transient and retries_left:
            _record(run_id, submission_error=f"第{attempts}次报送失败，将自动重试：{exc}")
            raise
        _record(run_id, submission_status=SubmissionStatus.failed,
                submission_error=f"第{attempts}次报送失败：{exc}")
        return "failed"
    _record(run_id, submission_status=SubmissionStatus.done, receipt_no=receipt,
            submitted_at=utcnow(), submission_error=None)
    return receipt
