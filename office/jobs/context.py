"""The Flask app a job runs in: the serving app in the embedded deployment, or one app per
`rq worker` process, created on the first job (or before forking, by queue.OfficeWorker)."""
from __future__ import annotations

import contextlib
import os

_app = None
_pid: int | None = None  # the process whose database connections the app's pool holds


def bind(app) -> None:
    global _app, _pid
    _app, _pid = app, os.getpid()


def preload() -> None:
    """Create the app now (an `rq worker` parent, before it forks a work horse per job)."""
    if _app is None:
        from office import create_app

        bind(create_app())


@contextlib.contextmanager
def app_context():
    global _pid
    preload()
    with _app.app_context():
        if _pid != os.getpid():
            # A forked work horse: its parent's pooled connections are not its to use.
            from office.models import db

            db.engine.dispose(close=False)
            _pid = os.getpid()
        yield _app
