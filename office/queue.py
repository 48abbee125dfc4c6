"""The job queue: real Redis + `rq worker` processes in production, and in the embedded
deployment the same RQ code path on an in-process fakeredis with a worker thread.

Production processes (all with OFFICE_REDIS_URL, OFFICE_DATABASE_URL, OFFICE_REPORT_DIR set):

    rq worker -w office.jobs.worker.OfficeWorker --with-scheduler -u $OFFICE_REDIS_URL office
        # one or more, on any host. OfficeWorker builds the Flask app once, before forking
        # (plain `rq worker` works too, building it in every job); --with-scheduler runs
        # RQ's retries with intervals (the submission to the city) and the scheduled jobs
        # (enqueue_in) that start a report's automatic retry after its backoff.
    rq cron -u $OFFICE_REDIS_URL office.jobs.schedule         # one: the monthly return

The embedded deployment runs both in threads of the web process: start_embedded_worker(app)
and start_embedded_scheduler(app).
"""
from __future__ import annotations

import logging
import os
import threading
import time

from flask import current_app
from redis import Redis
from rq import Queue, SimpleWorker
from rq.timeouts import TimerDeathPenalty

QUEUE_NAME = "office"

log = logging.getLogger(__name__)

# Re-entrant: starting the worker builds its queue, whose connection() takes the lock again.
_embedded_lock = threading.RLock()
_embedded_connection: Redis | None = None
_embedded_worker: threading.Thread | None = None
_embedded_scheduler: threading.Thread | None = None


# ---------------------------------------------------------------- the app a job runs in
# The serving app in the embedded deployment (bound by start_embedded_worker), or one app per
# `rq worker` process, created by office.jobs.worker on the first job or before forking.
_app = None
_pid: int | None = None  # the process whose database connections the app's pool holds


def bind(app) -> None:
    global _app, _pid
    _app, _pid = app, os.getpid()


def bound_app():
    """The app bound to this process's jobs (None until bind or office.jobs.worker.preload)."""
    return _app


def bound_pid() -> int | None:
    return _pid


def is_embedded(app=None) -> bool:
    return not (app or current_app).config.get("REDIS_URL")


def queue_name(app=None) -> str:
    """QUEUE_NAME from the config (OFFICE_QUEUE), "office" by default; tests use their own so
    that they never meet another run's workers on a shared Redis."""
    return (app or current_app).config.get("QUEUE_NAME") or QUEUE_NAME


def connection(app=None) -> Redis:
    app = app or current_app
    if not is_embedded(app):
        return Redis.from_url(app.config["REDIS_URL"])
    global _embedded_connection
    with _embedded_lock:
        if _embedded_connection is None:
            import fakeredis  # only the embedded deployment needs it

            _embedded_connection = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    return _embedded_connection


def started_embedded_connection() -> Redis | None:
    """The in-process queue's server if this process started one (tests wait on it)."""
    return _embedded_connection


def get_queue(app=None) -> Queue:
    return Queue(queue_name(app), connection=connection(app))


class ThreadWorker(SimpleWorker):
    """An RQ worker that can live in a thread: no signal handlers, timer-based timeouts."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self):
        pass


def start_embedded_worker(app) -> None:
    """Start the in-process worker once (embedded deployment only)."""
    global _embedded_worker
    if not is_embedded(app):
        return
    with _embedded_lock:
        if _embedded_worker is not None and _embedded_worker.is_alive():
            return
        bind(app)
        worker = ThreadWorker([get_queue(app)], connection=connection(app))
        _embedded_worker = threading.Thread(
            target=worker.work, kwargs={"logging_level": "WARNING"}, name="office-rq",
            daemon=True,
        )
        _embedded_worker.start()


def start_embedded_scheduler(app) -> None:
    """Start RQ's cron scheduler (office/jobs/schedule.py) in a thread, once (embedded
    deployment only). The same loop moves jobs whose retry interval has passed back onto the
    queue, which `rq worker --with-scheduler` does in production (RQ's own scheduler runs in
    a separate process, which cannot share the in-process fakeredis)."""
    global _embedded_scheduler
    if not is_embedded(app):
        return
    from rq.cron import CronScheduler
    from rq.scheduler import RQScheduler

    with _embedded_lock:
        if _embedded_scheduler is not None and _embedded_scheduler.is_alive():
            return
        bind(app)
        conn = connection(app)
        cron = CronScheduler(connection=conn, logging_level="WARNING")
        cron.load_config_from_file("office.jobs.schedule")
        retries = RQScheduler([queue_name(app)], connection=conn, logging_level="WARNING")
        retries._connection = conn  # the same in-process server, not a new one from its pool

    def loop():
        cron.register_birth()
        while True:
            try:
                cron.enqueue_jobs()
                cron.heartbeat()
                retries.acquire_locks()
                if retries.acquired_locks:
                    retries.enqueue_scheduled_jobs()
                    retries.heartbeat()
            except Exception:  # keep scheduling; the next round may succeed
                log.exception("embedded scheduler round failed")
            time.sleep(max(0.2, min(cron.calculate_sleep_interval(), 1.0)))

    with _embedded_lock:
        if _embedded_scheduler is None or not _embedded_scheduler.is_alive():
            _embedded_scheduler = threading.Thread(target=loop, name="office-rq-cron",
                                                   daemon=True)
            _embedded_scheduler.start()
