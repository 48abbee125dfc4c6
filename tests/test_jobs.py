"""Reports built by RQ workers: a real `rq worker` subprocess on this machine's Redis when
OFFICE_TEST_REDIS_URL is set (e.g. redis://127.0.0.1:6379/15), and always the embedded
deployment's in-process worker (fakeredis + a thread) — the same tests on both.

The Redis tests use a queue of their own (office-test-<random>), so they never meet another
test run's workers on a shared Redis database, and delete its keys afterwards.

Also here: the stale-run sweeper (a worker SIGKILLed mid-job), the cron configuration and the
monthly return. Shared fixtures (backend, city receiver, workers) are imported by the other
report test modules.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import http.server
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from office.models import ReportRun, ReportStatus, ReportTrigger, db
from office.models.base import utcnow
from office.queue import start_embedded_scheduler, start_embedded_worker
from tests.conftest import _TMP, DATABASE_URL

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("OFFICE_TEST_REDIS_URL", "")
BACKENDS = ["embedded"] + (["redis"] if REDIS_URL else [])
D = dt.date
AS_OF = D(2020, 9, 30)
CITY_TOKEN = "city-token-for-tests"


# ---------------------------------------------------------------- helpers


def wait_for(predicate, timeout: float = 120, what: str = "condition", interval: float = 0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def run_row(run_id: int) -> ReportRun:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(ReportRun, run_id)


def wait_run(run_id: int, timeout: float = 240) -> ReportRun:
    def ended():
        run = run_row(run_id)
        return run if run.status in (ReportStatus.done, ReportStatus.failed) else None

    return wait_for(ended, timeout, f"report run {run_id} to end")


def report_dir(app) -> Path:
    return Path(app.config["REPORT_DIR"])


def empty_report_dir(app) -> None:
    """Run ids start again in every test (the tables are emptied): so does the archive."""
    import shutil

    base = report_dir(app)
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(parents=True)


def leftovers(app, run_id: int) -> list[str]:
    """Temporary files or directories of the run (never the archive)."""
    base = report_dir(app)
    found = [p.name for p in base.glob(f".report-{run_id}-*")]
    found += [p.name for p in (base / ".work").glob(f"run-{run_id}-*")]
    return found


# ---------------------------------------------------------------- the city's receiver


class CityReceiver:
    """A small real HTTP endpoint on loopback standing in for the city's platform: checks the
    bearer token and the SHA-256 header against the body, answers with a receipt number."""

    def __init__(self):
        self.received: list[dict] = []
        self.fail_next = 0          # answer 503 this many times first
        self.answer_status = None   # answer this status instead (e.g. 400)
        self.token = CITY_TOKEN     # the token it accepts
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, payload: dict):
                body = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    if self.headers.get("Authorization") != f"Bearer {receiver.token}":
                        return self._answer(401, {"error": "令牌无效"})
                    if hashlib.sha256(body).hexdigest() != self.headers.get("X-Report-SHA256"):
                        return self._answer(422, {"error": "校验值不符"})
                    if receiver.answer_status:
                        return self._answer(receiver.answer_status, {"error": "格式不符"})
                    if receiver.fail_next > 0:
                        receiver.fail_next -= 1
                        return self._answer(503, {"error": "系统繁忙"})
                    receipt = f"SJ2020{len(receiver.received) + 1:05d}"
                    receiver.received.append({"receipt": receipt, "body": body,
                                              "headers": {k.lower(): v for k, v in
                                                          self.headers.items()}})
                    return self._answer(200, {"receipt_no": receipt})

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/returns"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def reset(self):
        with self.lock:
            self.received.clear()
            self.fail_next, self.answer_status, self.token = 0, None, CITY_TOKEN

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def city_server():
    receiver = CityReceiver()
    yield receiver
    receiver.close()


# ---------------------------------------------------------------- real rq workers


class RqWorker:
    """A real `rq worker` process (OfficeWorker) for the test database and report directory."""

    def __init__(self, app, queue: str, city: CityReceiver | None = None, **env):
        self.queue = queue
        self.log = Path(_TMP) / f"rq-{queue}-{uuid.uuid4().hex[:6]}.log"
        environ = {k: v for k, v in os.environ.items() if not k.startswith("OFFICE_")}
        environ.update({
            "OFFICE_DATABASE_URL": DATABASE_URL, "OFFICE_REDIS_URL": REDIS_URL,
            "OFFICE_QUEUE": queue, "OFFICE_INSTANCE_DIR": _TMP,
            "OFFICE_REPORT_DIR": str(app.config["REPORT_DIR"]),
            "OFFICE_LOGIN_RATE_LIMITED": "0", "PYTHONPATH": str(ROOT),
            # as the tests' app (conftest): automatic retries only where a test asks
            "OFFICE_REPORT_RETRY_INTERVALS": "",
        })
        if city is not None:
            environ.update({"OFFICE_CITY_ENDPOINT": city.url, "OFFICE_CITY_TOKEN": CITY_TOKEN})
        environ.update({k: str(v) for k, v in env.items()})
        cmd = [sys.executable, "-m", "rq.cli", "worker", "-w", "office.jobs.worker.OfficeWorker",
               "--with-scheduler", "-u", REDIS_URL, "--path", str(ROOT),
               "-n", f"test-{uuid.uuid4().hex[:8]}", queue]
        self.fh = open(self.log, "wb")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=environ, stdout=self.fh,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def kill(self):
        """SIGKILL the worker and its process group (its scheduler process with it)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                pass
        self.kill()  # whatever of its group is left (RQ's scheduler runs as a child)
        self.fh.close()


def forget_queue(queue: str) -> None:
    """Delete every key of a test queue (and of its jobs) from the shared Redis database."""
    import redis

    conn = redis.Redis.from_url(REDIS_URL)
    keys = set(conn.scan_iter(f"rq:*{queue}*"))
    for key in conn.scan_iter("rq:job:*"):
        if conn.type(key) != b"hash" or queue not in str(conn.hget(key, "origin")):
            continue
        job_id = key.decode()[len("rq:job:"):]
        keys.add(key)
        for pattern in (f"rq:job:{job_id}:*", f"rq:results:{job_id}*",
                        f"rq:execution*{job_id}*"):
            keys.update(conn.scan_iter(pattern))
    if keys:
        conn.delete(*keys)


@pytest.fixture(scope="session")
def rq_worker(app, city_server):
    """One real worker for the session's Redis tests (None without OFFICE_TEST_REDIS_URL)."""
    if not REDIS_URL:
        yield None
        return
    worker = RqWorker(app, f"office-test-{uuid.uuid4().hex[:8]}", city_server)
    yield worker
    worker.stop()
    forget_queue(worker.queue)


@pytest.fixture(params=BACKENDS)
def backend(request, app, monkeypatch, city_server):
    """Switch the app to one queue backend for the test: "redis" (a real worker process) or
    "embedded" (the in-process worker)."""
    city_server.reset()
    empty_report_dir(app)
    monkeypatch.setitem(app.config, "CITY_ENDPOINT", city_server.url)
    monkeypatch.setitem(app.config, "CITY_TOKEN", CITY_TOKEN)
    monkeypatch.setitem(app.config, "SUBMIT_RETRY_INTERVALS", "1,1")
    if request.param == "redis":
        worker = request.getfixturevalue("rq_worker")
        monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
        monkeypatch.setitem(app.config, "QUEUE_NAME", worker.queue)
    else:
        monkeypatch.setitem(app.config, "REDIS_URL", "")
        start_embedded_worker(app)
        start_embedded_scheduler(app)
    return request.param


# ---------------------------------------------------------------- tests: a return by a worker


@pytest.mark.parametrize("fanout", ["0", "1"])
def test_worker_builds_the_return(app, county, backend, monkeypatch, fanout):
    from office.services.report.archive import archived_file
    from office.services.report.runs import start_run
    from tests.test_report import read_summary

    monkeypatch.setitem(app.config, "REPORT_FANOUT", fanout)
    run = start_run(AS_OF, "bureau", reviewer="李审核")
    assert run.status == ReportStatus.queued and run.job_id
    run = wait_run(run.id)
    assert run.status == ReportStatus.done, run.error
    assert run.progress == 100 and run.started_at and run.finished_at and run.worker is None
    path = archived_file(run)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == run.sha256
    assert run.file_size == path.stat().st_size
    assert not (os.stat(path).st_mode & 0o222), "the archive is read-only"
    assert not leftovers(app, run.id)
    assert read_summary(path)["county"]["committee_coverage"] == (2, 2)


def test_failed_job_shows_its_error_and_can_be_retried(app, county, backend):
    """A job that fails records its error and leaves nothing behind; a retry is a new attempt
    that succeeds. The failure: a file stands where the report directory's work area goes."""
    from office.services.report.runs import retry_run, start_run

    blocker = report_dir(app) / ".work"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    if blocker.is_dir():
        os.rmdir(blocker)
    blocker.write_text("in the way")
    try:
        run = wait_run(start_run(AS_OF, "bureau").id)
        assert run.status == ReportStatus.failed
        assert run.error.startswith("生成失败：") and ".work" in run.error
        assert run.file_path is None and run.sha256 is None and run.worker is None
        assert not list(report_dir(app).glob(f".report-{run.id}-*"))
    finally:
        blocker.unlink()
    retry_run(run)
    run = wait_run(run.id)
    assert run.status == ReportStatus.done, run.error
    assert run.attempts == 2 and run.error is None
    assert f"-r{run.id}-a2-" in run.file_path


def test_only_failed_runs_are_retried(app, county, backend):
    from office.services.report.build import ReportError
    from office.services.report.runs import retry_run, start_run

    run = wait_run(start_run(AS_OF, "bureau").id)
    assert run.status == ReportStatus.done
    with pytest.raises(ReportError, match="只有生成失败的报表可以重试"):
        retry_run(run)


# ---------------------------------------------------------------- a worker killed mid-job

EMBEDDED_PROCESS = textwrap.dedent("""
    import datetime as dt, sys, time
    from office import create_app
    from office.services.report.runs import start_run
    app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "REDIS_URL": "",
                      "REPORT_DIR": sys.argv[2], "REPORT_TEST_DELAY": 120,
                      "REPORT_FANOUT": "0"})
    with app.app_context():
        run = start_run(dt.date(2020, 9, 30), "bureau")
        print(run.id, flush=True)
    time.sleep(600)
""")


def _running_in_delay(run_id: int):
    run = run_row(run_id)
    return run if run.status == ReportStatus.running and run.progress >= 10 else None


def _kill_embedded_server(app) -> int:
    """The embedded deployment's server process (its queue and worker thread inside) builds
    a slow return and is SIGKILLed mid-job; the run id."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OFFICE_")}
    env.update({"OFFICE_INSTANCE_DIR": _TMP, "OFFICE_LOGIN_RATE_LIMITED": "0",
                "PYTHONPATH": str(ROOT)})
    proc = subprocess.Popen(
        [sys.executable, "-c", EMBEDDED_PROCESS, DATABASE_URL, str(report_dir(app))],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        run_id = int(proc.stdout.readline())
        run = wait_for(lambda: _running_in_delay(run_id), 120, "the slow return to run")
        assert run.worker.endswith(f":{proc.pid}")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    return run_id


def _kill_rq_worker(app) -> int:
    """A real `rq worker` builds a slow return; the worker and its work horse are SIGKILLed
    mid-job (the host's worker dies: nobody tells RQ); the run id."""
    from office.services.report.runs import start_run

    queue = f"office-test-kill-{uuid.uuid4().hex[:8]}"
    worker = RqWorker(app, queue, OFFICE_REPORT_TEST_DELAY=120, OFFICE_REPORT_FANOUT="0")
    session_queue = app.config["QUEUE_NAME"]
    try:
        app.config["QUEUE_NAME"] = queue
        run = start_run(AS_OF, "bureau")
        run = wait_for(lambda: _running_in_delay(run.id), 120,
                       f"the slow return to run\n{worker.output()}")
        horse = int(run.worker.rsplit(":", 1)[1])
        assert horse != worker.proc.pid, "the job runs in a forked work horse"
        os.kill(horse, signal.SIGKILL)
        worker.kill()
        return run.id
    finally:
        app.config["QUEUE_NAME"] = session_queue
        worker.stop()
        forget_queue(queue)


def test_killed_worker_leaves_no_file_and_the_run_can_be_retried(app, county, backend,
                                                                  monkeypatch, login, users):
    """SIGKILL mid-job: no file appears under the run's name, the run does not stay 生成中
    (the next status poll fails it and removes the temporary files) and a retry completes."""
    from office.services.report.runs import retry_run

    monkeypatch.setitem(app.config, "REPORT_FANOUT", "0")
    run_id = _kill_rq_worker(app) if backend == "redis" else _kill_embedded_server(app)
    run = run_row(run_id)
    assert run.status == ReportStatus.running, "nobody has noticed yet"
    assert leftovers(app, run_id), "the killed job was half-way (temporary files exist)"
    assert not list(report_dir(app).glob(f"report-*-r{run_id}-*.xlsx")), "no file under its name"

    client = login("supervisor")
    state = client.get(f"/reportrunview/report/status?ids={run_id}").get_json()["runs"][0]
    assert state["status"] == "failed" and not state["active"]
    assert "生成进程已退出" in state["error"]
    assert not leftovers(app, run_id), "the half-written temporary files are removed"
    assert not list(report_dir(app).glob(f"report-*-r{run_id}-*.xlsx"))

    retry_run(run_row(run_id))
    run = wait_run(run_id)
    assert run.status == ReportStatus.done, run.error
    assert run.attempts == 2
    assert not leftovers(app, run_id)


# ---------------------------------------------------------------- the sweeper


def _stale_run(county, **values) -> ReportRun:
    run = ReportRun(as_of=AS_OF, campaign_id=county.campaign.id, requested_by="bureau",
                    attempts=1, progress=30, **values)
    db.session.add(run)
    db.session.commit()
    return run


def test_sweeper_fails_a_run_whose_heartbeat_stopped(app, county, monkeypatch):
    from office.services.report.sweep import sweep_stale

    monkeypatch.setitem(app.config, "REDIS_URL", "")
    monkeypatch.setitem(app.config, "REPORT_STALE_SECONDS", 600)
    old = utcnow() - dt.timedelta(minutes=11)
    silent = _stale_run(county, status=ReportStatus.running, job_id="report-x-1",
                        started_at=old, heartbeat_at=old, worker="another-host:123")
    lively = _stale_run(county, status=ReportStatus.running, job_id="report-y-1",
                        started_at=old, heartbeat_at=utcnow(), worker="another-host:124")
    assert sweep_stale() == [silent.id]
    assert "超过 10 分钟没有进展" in run_row(silent.id).error
    assert run_row(lively.id).status == ReportStatus.running


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_sweeper_fails_a_run_whose_job_is_lost(app, county, monkeypatch, backend_name):
    """Redis: the RQ job is gone. Embedded: the run was queued by this very process, whose
    in-process queue no longer has it (the server restarted)."""
    from office.services.report.retry import worker_id
    from office.services.report.sweep import sweep_stale

    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL if backend_name == "redis" else "")
    minute_ago = utcnow() - dt.timedelta(minutes=1)
    lost = _stale_run(county, status=ReportStatus.queued, job_id=f"report-lost-{uuid.uuid4()}",
                      heartbeat_at=minute_ago,
                      worker=None if backend_name == "redis" else worker_id())
    db.session.execute(sa.update(ReportRun).where(ReportRun.id == lost.id)
                       .values(updated_at=minute_ago))
    fresh = _stale_run(county, status=ReportStatus.queued, job_id=f"report-new-{uuid.uuid4()}",
                       heartbeat_at=utcnow(), worker=worker_id())
    db.session.commit()
    assert sweep_stale() == [lost.id]
    assert "后台任务已丢失" in run_row(lost.id).error
    assert run_row(fresh.id).status == ReportStatus.queued, "just queued: left alone"


# ---------------------------------------------------------------- the scheduler


def test_cron_config_registers_the_monthly_return_and_the_sweeper(monkeypatch):
    import fakeredis
    from rq.cron import CronScheduler

    monkeypatch.setenv("OFFICE_QUEUE", "office-cron-test")
    cron = CronScheduler(connection=fakeredis.FakeRedis(), logging_level="WARNING")
    cron.load_config_from_file("office.jobs.schedule")
    jobs = {job.func_name: job for job in cron.get_jobs()}
    assert set(jobs) == {"office.jobs.report.monthly_report",
                         "office.jobs.report.sweep_stale_runs",
                         "office.jobs.reminders.daily_reminders",
                         "office.jobs.snapshot.refresh_dashboards"}
    monthly = jobs["office.jobs.report.monthly_report"]
    assert monthly.cron == "0 1 1 * *" and monthly.queue_name == "office-cron-test"
    assert monthly.next_enqueue_time.day == 1 and monthly.next_enqueue_time.hour == 1
    assert jobs["office.jobs.report.sweep_stale_runs"].interval == 300


def test_scheduler_sweeps_stale_runs(app, county, backend, monkeypatch):
    """The scheduler's sweep (not a page load) fails a stale run: `rq cron` with the
    deployment's config against Redis, or the embedded scheduler's configuration."""
    from rq.cron import CronScheduler

    from office.queue import connection, queue_name

    monkeypatch.setitem(app.config, "REPORT_STALE_SECONDS", 60)
    old = utcnow() - dt.timedelta(hours=2)
    run = _stale_run(county, status=ReportStatus.running, job_id="report-z-1", started_at=old,
                     heartbeat_at=old, worker="another-host:1")
    if backend == "redis":
        env = {k: v for k, v in os.environ.items() if not k.startswith("OFFICE_")}
        env.update({"OFFICE_QUEUE": queue_name(), "OFFICE_DATABASE_URL": DATABASE_URL,
                    "OFFICE_INSTANCE_DIR": _TMP, "PYTHONPATH": str(ROOT)})
        cron = subprocess.Popen([sys.executable, "-m", "rq.cli", "cron", "-u", REDIS_URL,
                                 "office.jobs.schedule"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: run_row(run.id).status == ReportStatus.failed, 120,
                     "rq cron's sweep to fail the stale run")
        finally:
            cron.terminate()
            cron.wait(20)
    else:
        monkeypatch.setenv("OFFICE_QUEUE", queue_name())
        cron = CronScheduler(connection=connection(), logging_level="WARNING")
        cron.load_config_from_file("office.jobs.schedule")
        assert len(cron.enqueue_jobs()) == 1, "the interval job (the sweep) is due at once"
        wait_for(lambda: run_row(run.id).status == ReportStatus.failed, 60,
                 "the embedded sweep to fail the stale run")
    assert "没有进展" in run_row(run.id).error


def test_monthly_return_once_per_month(app, county, backend):
    from office.services.report.sweep import start_scheduled

    (run,) = start_scheduled(today=D(2020, 10, 5))
    assert run.as_of == D(2020, 9, 30) and run.trigger == ReportTrigger.scheduled
    assert run.requested_by == "定时任务"
    assert start_scheduled(today=D(2020, 10, 20)) == [], "once a month"
    assert wait_run(run.id).status == ReportStatus.done
    assert start_scheduled(today=D(2019, 3, 1)) == [], "no campaign covers 2019-02-28"
