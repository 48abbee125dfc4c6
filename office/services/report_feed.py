"""The database side of a one-pass build, in a reader thread: while this process computes the
summary figures and writes the workbook, the thread has the database compute the compounds'
statuses and then stream their rows (bounded queue, so memory stays flat).

Both threads read the same data: on PostgreSQL the reader joins the build's snapshot
(pg_export_snapshot / SET TRANSACTION SNAPSHOT); on SQLite it opens its WAL read transaction
at the same moment. The database work (PostgreSQL's own process, or SQLite's C code, which
runs without the GIL) overlaps Python's xlsx writing instead of adding to it.
"""
from __future__ import annotations

import queue
import threading
import types
from collections.abc import Iterator

from ..models import Campaign
from .report_data import (
    ReadTransaction,
    ReportError,
    Statuses,
    compound_query,
    compute_statuses,
    stream,
)

BATCH = 500
_END, _FAILED = object(), object()


def detached(campaign: Campaign) -> types.SimpleNamespace:
    """The campaign's columns, for use in another thread (no session, no lazy loads)."""
    return types.SimpleNamespace(**{c.key: getattr(campaign, c.key)
                                    for c in Campaign.__table__.columns})


class Feeder(threading.Thread):
    """feeder.start(); feeder.statuses(); for row in feeder.rows(): …; feeder.close()."""

    def __init__(self, engine, snapshot_id: str | None, as_of, campaign: Campaign,
                 township_id: int | None = None):
        super().__init__(name="report-reader", daemon=True)
        self.engine, self.snapshot_id = engine, snapshot_id
        self.as_of, self.campaign, self.township_id = as_of, detached(campaign), township_id
        self.queue: queue.Queue = queue.Queue(maxsize=8)
        self.ready = threading.Event()
        self.stop = threading.Event()
        self._statuses: Statuses | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            read = ReadTransaction(self.engine, self.snapshot_id)
        except BaseException as exc:
            self._fail(exc)
            return
        try:
            self._statuses = compute_statuses(self.as_of, self.campaign, conn=read.conn)
            self.ready.set()
            batch = []
            query = compound_query(self.as_of, self.campaign, self.township_id)
            for row in stream(query, conn=read.conn):
                batch.append(row)
                if len(batch) >= BATCH:
                    if not self._put(batch):
                        return
                    batch = []
            if batch and not self._put(batch):
                return
            self._put(_END)
        except BaseException as exc:
            self._fail(exc)
        finally:
            read.close()

    def _fail(self, exc: BaseException) -> None:
        self.error = exc
        self.ready.set()
        self._put(_FAILED)

    def _put(self, item) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def _raise(self):
        raise ReportError(f"读取数据失败：{type(self.error).__name__}: {self.error}") \
            from self.error

    def statuses(self) -> Statuses:
        self.ready.wait()
        if self.error is not None:
            self._raise()
        return self._statuses

    def rows(self) -> Iterator[tuple]:
        while True:
            item = self.queue.get()
            if item is _END:
                return
            if item is _FAILED:
                self._raise()
            yield from item

    def close(self) -> None:
        self.stop.set()
        while self.is_alive():
            try:
                self.queue.get(timeout=0.2)
            except queue.Empty:
                pass
        self.join()
