"""The Flask app a job runs in, and the `rq worker` class that builds it once per process.

Here, above the services, because building the app imports every view: office.queue (which the
services use to enqueue) only holds the app that was bound to this process.
"""
from __future__ import annotations

import contextlib
import os

from rq import Worker

from office import queue


def preload() -> None:
    """Create the app now (an `rq worker` parent, before it forks a work horse per job)."""
    if queue.bound_app() is None:
        from office import create_app

        queue.bind(create_app())


@contextlib.contextmanager
def app_context():
    preload()
    app = queue.bound_app()
    with app.app_context():
        if queue.bound_pid() != os.getpid():
            # A forked work horse: its parent's pooled connections are not its to use.
            from office.models import db

            db.engine.dispose(close=False)
            queue.bind(app)  # this process's pool from now on
        yield app


class OfficeWorker(Worker):
    """`rq worker -w office.jobs.worker.OfficeWorker`: the Flask app is created once in the
    worker process instead of once per job in every forked work horse (seconds each)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        preload()
