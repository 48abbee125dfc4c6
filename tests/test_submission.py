"""Sending a done return to the city (office/services/submission.py), against a real HTTP
receiver on loopback (tests/test_jobs.CityReceiver) that checks the bearer token and the
SHA-256 header and answers with a receipt number; RQ retries transient failures with backoff
(intervals of 1 s here). Runs on every queue backend (a real `rq worker` with Redis, and the
embedded worker).
"""
from __future__ import annotations

import hashlib

import pytest

from office.models import ReportStatus, SubmissionChannel, SubmissionStatus
from office.services.report.archive import archived_file
from office.services.report.build import ReportError
from office.services.report.runs import start_run
from office.services.submission import record_receipt, start_submission
from tests.test_jobs import (  # noqa: F401 (fixtures)
    AS_OF,
    CITY_TOKEN,
    backend,
    city_server,
    report_dir,
    rq_worker,
    run_row,
    wait_for,
    wait_run,
)


def done_run():
    run = wait_run(start_run(AS_OF, "bureau").id)
    assert run.status == ReportStatus.done, run.error
    return run


def wait_submission(run_id: int, timeout: float = 120):
    def ended():
        run = run_row(run_id)
        return run if run.submission_status != SubmissionStatus.sending else None

    return wait_for(ended, timeout, "the submission to end")


def test_http_submission_gets_a_receipt(app, county, users, login, backend, city_server):
    run = done_run()
    client = login("supervisor")
    assert 'id="report-submit"' in client.get(f"/reportrunview/show/{run.id}").get_data(
        as_text=True)
    assert client.post(f"/reportrunview/report/submit/{run.id}").status_code == 302
    run = wait_submission(run.id)
    assert run.submission_status == SubmissionStatus.done, run.submission_error
    assert run.submission_channel == SubmissionChannel.http
    assert run.receipt_no == "SJ202000001" and run.submitted_by == "supervisor"
    assert run.submitted_at and run.submission_attempts == 1
    (sent,) = city_server.received
    assert sent["headers"]["authorization"] == f"Bearer {CITY_TOKEN}"
    assert sent["headers"]["x-report-sha256"] == run.sha256
    assert sent["headers"]["x-report-as-of"] == "2020-09-30"
    assert hashlib.sha256(sent["body"]).hexdigest() == run.sha256
    assert sent["body"] == archived_file(run).read_bytes()
    page = client.get(f"/reportrunview/show/{run.id}").get_data(as_text=True)
    assert "SJ202000001" in page and 'id="report-submit"' not in page
    with pytest.raises(ReportError, match="已于"):
        start_submission(run, "bureau")


def test_transient_failures_are_retried_with_backoff(app, county, backend, city_server):
    run = done_run()
    city_server.fail_next = 2  # two 503s, then a receipt
    start_submission(run, "bureau")
    run = wait_submission(run.id)
    assert run.submission_status == SubmissionStatus.done, run.submission_error
    assert run.submission_attempts == 3 and run.receipt_no


def test_retries_run_out(app, county, backend, city_server):
    run = done_run()
    city_server.fail_next = 10
    start_submission(run, "bureau")
    run = wait_submission(run.id)
    assert run.submission_status == SubmissionStatus.failed
    assert run.submission_attempts == 3
    assert "第3次报送失败" in run.submission_error and "HTTP 503" in run.submission_error
    assert run.receipt_no is None and not city_server.received
    # a failed submission may be sent again
    city_server.fail_next = 0
    start_submission(run_row(run.id), "bureau")
    assert wait_submission(run.id).submission_status == SubmissionStatus.done


@pytest.mark.parametrize("answer", [401, 400])
def test_refusals_are_final(app, county, backend, city_server, answer):
    run = done_run()
    if answer == 401:
        city_server.token = "another-token"
    else:
        city_server.answer_status = 400
    start_submission(run, "bureau")
    run = wait_submission(run.id)
    assert run.submission_status == SubmissionStatus.failed
    assert run.submission_attempts == 1, "not retried"
    assert f"HTTP {answer}" in run.submission_error


def test_an_altered_archive_is_not_sent(app, county, backend, city_server):
    import os

    run = done_run()
    path = report_dir(app) / run.file_path
    os.chmod(path, 0o644)
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(ReportError, match="SHA-256"):
        start_submission(run, "bureau")
    assert run_row(run.id).submission_status is None and not city_server.received


def test_without_an_endpoint_the_receipt_is_recorded_by_hand(app, county, backend,
                                                             monkeypatch):
    run = done_run()
    monkeypatch.setitem(app.config, "CITY_ENDPOINT", "")
    with pytest.raises(ReportError, match="线下报送"):
        start_submission(run, "bureau")
    with pytest.raises(ReportError, match="回执编号"):
        record_receipt(run, "  ", None, "bureau")
    record_receipt(run, "市-2020-17", None, "bureau")
    run = run_row(run.id)
    assert run.submission_channel == SubmissionChannel.manual and run.receipt_no == "市-2020-17"


def test_only_done_returns_are_submitted(app, county, backend):
    from office.models import ReportRun, db

    run = ReportRun(as_of=AS_OF, status=ReportStatus.failed, attempts=1)
    db.session.add(run)
    db.session.commit()
    with pytest.raises(ReportError, match="生成完成后"):
        start_submission(run, "bureau")
    with pytest.raises(ReportError, match="生成完成后"):
        record_receipt(run, "X", None, "bureau")
