"""A return fanned out over RQ workers: part jobs then one merge job (RQ job dependencies).

    figures job            office.indicators' figures for the summary      -> figures.pkl
    statuses job           every compound's standing on the indicators     -> statuses.pkl
    one job per township   its compound rows (sheets 2-5) and disputes     -> t<ID>-*.pkl
    merge job              streams the parts in township order into the ONE writer loop
                           (report.write_return) that the synchronous build uses, so both
                           produce the same workbook

The parts live in REPORT_DIR/.work/run-<id>-<attempt>/ (REPORT_DIR is shared by every worker
host, as the archive itself is) and are removed by the merge, by a failing part, or by the
stale-run sweeper. Rows are pickled in batches: they are our own tuples, read back only by the
merge job of the same run.
"""
from __future__ import annotations

import datetime as dt
import pickle
from collections.abc import Iterator
from pathlib import Path

from office.services.report.data import (
    Figures,
    choose_campaign,
    compound_query,
    compute_figures,
    dispute_query,
    snapshot,
    stream,
    task_query,
)
from office.services.report.feed import Statuses, compute_statuses

BATCH = 2000


def _dump(path: Path, rows) -> int:
    """Write rows in pickled batches to path (via a temporary name); how many."""
    tmp = path.with_suffix(".tmp")
    n, batch = 0, []
    with open(tmp, "wb") as fh:
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                pickle.dump(batch, fh, protocol=pickle.HIGHEST_PROTOCOL)
                n += len(batch)
                batch = []
        if batch:
            pickle.dump(batch, fh, protocol=pickle.HIGHEST_PROTOCOL)
            n += len(batch)
    tmp.replace(path)
    return n


def _load(path: Path) -> Iterator[tuple]:
    with open(path, "rb") as fh:
        while True:
            try:
                batch = pickle.load(fh)
            except EOFError:
                return
            yield from batch


def _save(path: Path, value) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    tmp.replace(path)


def write_figures(parts: Path, as_of: dt.date, campaign_id: int | None) -> Figures:
    with snapshot():
        figures = compute_figures(as_of, choose_campaign(as_of, campaign_id))
    _save(parts / "figures.pkl", figures)
    return figures


def write_statuses(parts: Path, as_of: dt.date, campaign_id: int | None) -> None:
    with snapshot():
        _save(parts / "statuses.pkl",
              compute_statuses(as_of, choose_campaign(as_of, campaign_id)))


def write_township(parts: Path, as_of: dt.date, campaign_id: int | None,
                   township_id: int) -> int:
    """One township's compound rows and disputes; the number of compounds."""
    with snapshot():
        campaign = choose_campaign(as_of, campaign_id)
        n = _dump(parts / f"t{township_id}-compounds.pkl",
                  stream(compound_query(as_of, campaign, township_id)))
        _dump(parts / f"t{township_id}-disputes.pkl",
              stream(dispute_query(as_of, campaign, township_id)))
    return n


class PartsSource:
    """report.write_return's source for the merge job: the parts on disk, tasks from the
    database (a few hundred rows; the merge job holds a snapshot for them)."""

    def __init__(self, parts: Path, as_of: dt.date, campaign):
        self.parts, self.as_of, self.campaign = parts, as_of, campaign
        self.figures: Figures = pickle.loads((parts / "figures.pkl").read_bytes())
        self.statuses: Statuses = pickle.loads((parts / "statuses.pkl").read_bytes())
        missing = [tid for tid, _ in self.figures.townships
                   if not (parts / f"t{tid}-compounds.pkl").exists()]
        if missing:
            raise FileNotFoundError(f"乡镇分片缺失：{missing}")

    @property
    def compound_total(self) -> int:
        return self.figures.county["committee_coverage"].denominator

    def compounds(self) -> Iterator[tuple]:
        for tid, _name in self.figures.townships:
            yield from _load(self.parts / f"t{tid}-compounds.pkl")

    def disputes(self) -> Iterator[tuple]:
        for tid, _name in self.figures.townships:
            yield from _load(self.parts / f"t{tid}-disputes.pkl")

    def tasks(self) -> Iterator[tuple]:
        return stream(task_query(self.as_of, self.campaign))
