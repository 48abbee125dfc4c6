"""An attempt lost to its surroundings is retried automatically (office/services/report/retry.py),
on every queue backend: a real `rq worker` on Redis (OFFICE_TEST_REDIS_URL) and the embedded
in-process worker.

  * the worker process and its work horse, or the embedded server, SIGKILLed mid-job: the next
    status poll gives the attempt up and queues attempt 2 after the backoff (1 s here), which
    completes; the run and its page say 共生成 2 次，其中自动重试 1 次, and the archived file
    is byte-identical to the run written again (write_run_file);
  * the job's own database connection dropped (REPORT_TEST_FAULT=disconnect: the server ends
    it on PostgreSQL, the DBAPI connection is closed under it on SQLite): retried;
  * a bug (REPORT_TEST_FAULT=KeyError): failed at once, not retried;
  * a spent budget: failed, "…，可重试", and the manual retry still works.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import uuid

import pytest
import redis
import sqlalchemy as sa

from office.models import ReportRun, ReportStatus, db
from office.models.base import utcnow
from office.services.report.archive import archived_file, write_run_file
from office.services.report.build import ReportError
from office.services.report.retry import is_transient
from office.services.report.runs import resume, retry_run, start_run
from office.services.report.sweep import sweep_stale
from tests.test_jobs import (  # noqa: F401 (fixtures)
    AS_OF,
    RqWorker,
    _kill_embedded_server,
    _kill_rq_worker,
    backend,
    city_server,
    forget_queue,
    leftovers,
    report_dir,
    rq_worker,
    run_row,
    wait_for,
    wait_run,
)
from tests.test_report import header_block, open_book


@pytest.fixture
def retries(app, monkeypatch):
    """A budget of one quick retry (1 s) for the tests' app, unless a test sets its own."""
    monkeypatch.setitem(app.config, "REPORT_RETRY_INTERVALS", "1")
    monkeypatch.setitem(app.config, "REPORT_FANOUT", "0")


@contextlib.contextmanager
def faulty_worker(app, backend_name: str, fault: str, monkeypatch):
    """The queue the test's run goes to, with REPORT_TEST_FAULT=fault for its jobs: the
    embedded worker (this process's config), or a real `rq worker` of its own on Redis
    (its own queue, a retry budget of one 1-s retry)."""
    if backend_name == "embedded":
        monkeypatch.setitem(app.config, "REPORT_TEST_FAULT", fault)
        yield
        return
    queue = f"office-test-fault-{uuid.uuid4().hex[:8]}"
    worker = RqWorker(app, queue, OFFICE_REPORT_TEST_FAULT=fault,
                      OFFICE_REPORT_RETRY_INTERVALS="1", OFFICE_REPORT_FANOUT="0")
    session_queue = app.config["QUEUE_NAME"]
    try:
        app.config["QUEUE_NAME"] = queue
        yield worker
    finally:
        app.config["QUEUE_NAME"] = session_queue
        worker.stop()
        forget_queue(queue)


def status(client, run_id: int) -> dict:
    return client.get(f"/reportrunview/report/status?ids={run_id}").get_json()["runs"][0]


def sha256(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


# ---------------------------------------------------------------- a killed worker


def test_killed_worker_is_retried_automatically(app, county, backend, retries, login, users,
                                                tmp_path):
    """SIGKILL of the `rq worker` and its work horse (Redis), or of the embedded server,
    mid-job: the status poll gives attempt 1 up and queues attempt 2 after the backoff; it
    completes with the same bytes as the run written again."""
    run_id = _kill_rq_worker(app) if backend == "redis" else _kill_embedded_server(app)
    assert run_row(run_id).status == ReportStatus.running, "nobody has noticed yet"

    client = login("supervisor")
    state = status(client, run_id)
    assert state["active"], "retrying, not failed"
    assert state["attempts"] == 2 and state["auto_retries"] == 1
    assert "生成进程已退出" in state["error"] and "1 秒后自动重试（第1次，共1次）" in state["error"]
    assert not leftovers(app, run_id), "attempt 1's temporary files are removed"

    state = wait_for(lambda: (s := status(client, run_id))["status"] == "done" and s, 120,
                     "attempt 2 to complete")
    assert state["attempts_label"] == "共生成 2 次，其中自动重试 1 次"
    run = run_row(run_id)
    assert run.status == ReportStatus.done and run.error is None
    assert run.attempts == 2 and run.auto_retries == 1
    (line,) = run.retry_log.splitlines()
    assert "第1次生成中断：生成进程已退出" in line and line.endswith("1 秒后自动重试")
    assert f"-r{run_id}-a2-" in run.file_path
    assert not leftovers(app, run_id)

    page = client.get(f"/reportrunview/show/{run_id}").get_data(as_text=True)
    assert "共生成 2 次，其中自动重试 1 次" in page
    assert "第1次生成中断：生成进程已退出" in page

    again = write_run_file(run, tmp_path / "again.xlsx")
    assert again.sha256 == run.sha256 == sha256(archived_file(run)), \
        "the same as-of date gives the same bytes on every attempt"


# ---------------------------------------------------------------- faults inside the job


def test_dropped_database_connection_is_retried(app, county, backend, retries, monkeypatch):
    with faulty_worker(app, backend, "disconnect", monkeypatch) as worker:
        run = start_run(AS_OF, "bureau")
        run = wait_run(run.id, 180)
        assert run.status == ReportStatus.done, (run.error, worker and worker.output())
    assert run.attempts == 2 and run.auto_retries == 1
    (line,) = run.retry_log.splitlines()
    assert "第1次生成中断：连接中断（" in line, line
    assert f"-r{run.id}-a2-" in run.file_path
    archived_file(run)


def test_a_bug_is_not_retried(app, county, backend, retries, monkeypatch):
    with faulty_worker(app, backend, "KeyError", monkeypatch) as worker:
        run = wait_run(start_run(AS_OF, "bureau").id)
        assert run.status == ReportStatus.failed, worker and worker.output()
    assert run.error == "生成失败：KeyError: 'test fault'"
    assert run.attempts == 1 and run.auto_retries == 0 and not run.retry_log
    assert sweep_stale() == [] and run_row(run.id).status == ReportStatus.failed


def test_what_counts_as_a_dropped_connection():
    from sqlalchemy.exc import OperationalError

    class Boom(Exception):
        pass

    dropped = OperationalError("SELECT 1", {}, Boom("server closed the connection"))
    assert is_transient(dropped)
    assert is_transient(sa.exc.InterfaceError("SELECT 1", {}, Boom("connection already closed")))
    assert is_transient(sa.exc.ProgrammingError("SELECT 1", {}, Boom("closed database"),
                                                connection_invalidated=True))
    assert is_transient(redis.exceptions.ConnectionError("Connection refused"))
    try:  # wrapped by a library on its way up
        try:
            raise dropped
        except OperationalError as exc:
            raise RuntimeError("reading the compounds failed") from exc
    except RuntimeError as wrapped:
        assert is_transient(wrapped)
    assert not is_transient(KeyError("x"))
    assert not is_transient(sa.exc.IntegrityError("INSERT", {}, Boom("duplicate key")))
    assert not is_transient(ReportError("没有覆盖该日期的工作方案"))


# ---------------------------------------------------------------- the budget


def _stall(run_id: int) -> None:
    """The run's current attempt is running on another host and silent for an hour."""
    old = utcnow() - dt.timedelta(hours=1)
    db.session.execute(sa.update(ReportRun).where(ReportRun.id == run_id).values(
        status=ReportStatus.running, started_at=old, heartbeat_at=old, updated_at=old,
        worker="another-host:1"))
    db.session.commit()


def test_spent_budget_stays_failed(app, county, backend, monkeypatch, login, users):
    """One retry (after 600 s): the first silent attempt is retried, the second is failed
    ("…，可重试"), the retry still scheduled for it changes nothing, and the manual retry
    completes."""
    monkeypatch.setitem(app.config, "REPORT_RETRY_INTERVALS", "600")
    monkeypatch.setitem(app.config, "REPORT_STALE_SECONDS", 60)
    run = ReportRun(as_of=AS_OF, campaign_id=county.campaign.id, requested_by="bureau",
                    status=ReportStatus.running, attempts=1, progress=40, job_id="report-s-1")
    db.session.add(run)
    db.session.commit()
    _stall(run.id)

    assert sweep_stale() == [run.id]
    waiting = run_row(run.id)
    assert waiting.status == ReportStatus.queued and waiting.attempts == 2
    assert waiting.auto_retries == 1 and waiting.job_id.endswith("-wait")
    assert "600 秒后自动重试（第1次，共1次）" in waiting.error

    _stall(run.id)  # attempt 2 went silent as well
    assert sweep_stale() == [run.id]
    failed = run_row(run.id)
    assert failed.status == ReportStatus.failed and failed.attempts == 2
    assert failed.auto_retries == 1 and len(failed.retry_log.splitlines()) == 1
    assert failed.error == "超过 1 分钟没有进展，视为中断；已自动重试 1 次仍未完成，可重试"
    assert resume(run.id, 2) == "skipped", "the pending retry of a failed run does nothing"

    page = login("supervisor").get(f"/reportrunview/show/{run.id}").get_data(as_text=True)
    assert "共生成 2 次，其中自动重试 1 次" in page and 'id="report-retry"' in page

    retry_run(failed)
    done = wait_run(run.id)
    assert done.status == ReportStatus.done, done.error
    assert done.attempts == 3 and done.auto_retries == 1


# ---------------------------------------------------------------- the same bytes


def test_a_run_writes_the_same_bytes_whenever_it_is_written(app, county, tmp_path):
    """填报日期 is the day the run was requested and the workbook's created stamp its time,
    not the day or time an attempt happens to run."""
    requested = dt.datetime(2020, 10, 8, 2, 30)
    run = ReportRun(as_of=AS_OF, campaign_id=county.campaign.id, requested_by="bureau",
                    status=ReportStatus.done, attempts=1, progress=100, created_at=requested)
    db.session.add(run)
    db.session.commit()
    first = write_run_file(run, tmp_path / "first.xlsx")
    second = write_run_file(run, tmp_path / "second.xlsx")
    assert first.sha256 == second.sha256
    assert (tmp_path / "first.xlsx").read_bytes() == (tmp_path / "second.xlsx").read_bytes()
    book = open_book(first.path)
    day = requested.replace(tzinfo=dt.UTC).astimezone().date().isoformat()
    assert header_block(book.worksheets[0])["填报日期"] == day
    assert book.properties.created == requested
