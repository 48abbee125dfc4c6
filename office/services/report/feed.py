"""Every compound's standing on the indicators (Statuses), and the database side of a one-pass
build in reader threads: while this process computes the
summary figures and writes the workbook, the database computes the compounds' standing on
the indicators (two threads, half of the indicators each) and prepares the compound rows
(a third thread, streaming them through a bounded queue, so memory stays flat).

All readers see the same data: on PostgreSQL they join the build's snapshot
(pg_export_snapshot / SET TRANSACTION SNAPSHOT); on SQLite each opens its WAL read
transaction at the start. The database work (PostgreSQL's own processes, or SQLite's C code,
which runs without the GIL) overlaps Python's xlsx writing instead of adding to it.
"""
from __future__ import annotations

import datetime as dt
import queue
import threading
import types
from collections.abc import Callable, Iterator

import sqlalchemy as sa

from office import indicators as ind
from office.models import Campaign, Compound, db
from office.services.report.data import (
    STATUS_KEYS,
    ReadTransaction,
    ReportError,
    compound_query,
    stream,
)

BATCH = 500
# Two readers of about equal cost (member_supervision, over every member, is the largest).
STATUS_SPLIT = [("member_supervision", "committee_coverage", "office_space"),
                ("fee_disclosure", "contract_signed", "signboard_current")]
_END, _FAILED = object(), object()


class Statuses:
    """Every compound's standing on each STATUS_KEYS indicator as of D, straight from
    office.indicators.compounds_behind (met and behind), in one byte per compound and
    indicator (about 1 MB for 200,000 compounds): 0 not in the indicator's denominator,
    1 meets it, 2 is behind. Picklable (the fan-out's statuses job)."""

    NOT_COUNTED, MET, BEHIND = 0, 1, 2

    def __init__(self, size: int):
        self.arrays = {key: bytearray(size) for key in STATUS_KEYS}

    def of(self, key: str, compound_id: int) -> int:
        array = self.arrays[key]
        return array[compound_id] if compound_id < len(array) else 0

    @classmethod
    def merge(cls, parts: list[Statuses], keys_of: list[tuple[str, ...]]) -> Statuses:
        """One Statuses from parts that each computed some of the indicators."""
        merged = cls(0)
        for part, keys in zip(parts, keys_of):
            for key in keys:
                merged.arrays[key] = part.arrays[key]
        return merged

    def counted(self, compound_id: int) -> bool:
        """Exists on D in the county: in committee_coverage's denominator (all compounds)."""
        return self.of("committee_coverage", compound_id) != self.NOT_COUNTED


def compute_statuses(as_of: dt.date, campaign: Campaign, conn=None,
                     keys: tuple[str, ...] = STATUS_KEYS) -> Statuses:
    """Two id streams (met / behind) per indicator, county-wide: cheaper than joining them to
    the rows (each is a hash join over the whole county either way). `keys` computes only
    some indicators (readers in parallel threads; Statuses.merge joins them)."""
    executor = db.session if conn is None else conn
    size = (executor.execute(sa.select(sa.func.max(Compound.id))).scalar() or 0) + 1
    statuses = Statuses(size)
    for key in keys:
        array = statuses.arrays[key]
        for met, code in ((True, Statuses.MET), (False, Statuses.BEHIND)):
            for (compound_id,) in stream(ind.compounds_behind(key, as_of, campaign, met),
                                         chunk=20000, conn=conn):
                array[compound_id] = code
    return statuses


def detached(campaign: Campaign) -> types.SimpleNamespace:
    """The campaign's columns, for use in another thread (no session, no lazy loads)."""
    return types.SimpleNamespace(**{c.key: getattr(campaign, c.key)
                                    for c in Campaign.__table__.columns})


class _Reader(threading.Thread):
    """work(connection, reader) in its own read transaction on the shared snapshot."""

    def __init__(self, engine, snapshot_id: str | None, work: Callable, name: str):
        super().__init__(name=f"report-{name}", daemon=True)
        self.engine, self.snapshot_id, self.work = engine, snapshot_id, work
        self.stop = threading.Event()
        self.done = threading.Event()
        self.result = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            read = ReadTransaction(self.engine, self.snapshot_id)
            try:
                self.result = self.work(read.conn, self)
            finally:
                read.close()
        except BaseException as exc:
            self.error = exc
        finally:
            self.done.set()

    def check(self):
        if self.error is not None:
            raise ReportError("读取数据失败：%(kind)s: %(error)s", kind=type(self.error).__name__,
                              error=str(self.error)) from self.error

    def wait(self):
        self.done.wait()
        self.check()
        return self.result


class Feeder:
    """Feeder(engine, snapshot_id, as_of, campaign): starts its readers at once;
    statuses() waits for them, rows() streams the compound rows; close() stops them."""

    def __init__(self, engine, snapshot_id: str | None, as_of, campaign: Campaign,
                 township_id: int | None = None):
        campaign = detached(campaign)
        self.queue: queue.Queue = queue.Queue(maxsize=8)
        self.statuses_readers = [
            _Reader(engine, snapshot_id, lambda conn, reader, keys=keys: compute_statuses(
                as_of, campaign, conn, keys), f"statuses-{i}")
            for i, keys in enumerate(STATUS_SPLIT)]
        query = compound_query(as_of, campaign, township_id)
        self.rows_reader = _Reader(engine, snapshot_id,
                                   lambda conn, reader: self._feed(conn, reader, query), "rows")
        self.readers = [*self.statuses_readers, self.rows_reader]
        for reader in self.readers:
            reader.start()

    def _feed(self, conn, reader: _Reader, query) -> None:
        try:
            batch = []
            for row in stream(query, conn=conn):
                batch.append(row)
                if len(batch) >= BATCH:
                    if not self._put(reader, batch):
                        return
                    batch = []
            if batch and not self._put(reader, batch):
                return
            self._put(reader, _END)
        except BaseException:
            self._put(reader, _FAILED)
            raise

    def _put(self, reader: _Reader, item) -> bool:
        while not reader.stop.is_set():
            try:
                self.queue.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def statuses(self) -> Statuses:
        parts = [reader.wait() for reader in self.statuses_readers]
        return Statuses.merge(parts, STATUS_SPLIT)

    def rows(self) -> Iterator[tuple]:
        while True:
            item = self.queue.get()
            if item is _END:
                return
            if item is _FAILED:
                self.rows_reader.wait()  # raises its error
                raise ReportError("读取数据失败")
            yield from item

    def close(self) -> None:
        for reader in self.readers:
            reader.stop.set()
        while any(reader.is_alive() for reader in self.readers):
            try:
                self.queue.get(timeout=0.2)
            except queue.Empty:
                pass
        for reader in self.readers:
            reader.join()
