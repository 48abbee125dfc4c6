"""Indicator snapshots: office.indicators' figures stored per (campaign, as-of date), so that
the dashboard reads a few hundred stored rows instead of recomputing every rate on every view.

What is stored is office.indicators' output verbatim (IndicatorFigure rows: numerator and
denominator per township from ``township_rates``, and the county's from ``county_rates``),
never a figure computed another way. ``change_mark`` is max(change_log.id) read in the same
consistent read transaction as the figures: every ORM write adds ChangeLog rows
(office/kit/audit/log.py), so a higher id in the log means the records may have changed
since.

When figures are (re)computed:

* The dashboard's date (today, or the campaign's last day once it has ended): whenever the
  change log has moved past its mark, or when it has no snapshot yet.
* The month-ends of the trend: once, when missing (a past month is not recomputed on every
  edit); the nightly refresh (refresh_all, registered with RQ's cron) also recomputes those
  whose mark is behind, so that a back-dated correction reaches the trend by the next morning.
* Always in a background job (office/jobs/snapshot.py), one job per (campaign, date), and at
  most one queued or running for each: a Redis key held from enqueueing to the job's end is
  the debounce. A change made while a job runs is seen at the next view (the stored mark is
  then behind again) and queues one more.

Costs at 200,000 compounds: computing one date is office.indicators' cost (seconds, see its
docstring); reading the dashboard is one indexed query over the stored rows.

Known limit: ids of the change log come from a sequence; on PostgreSQL a transaction that
took a lower id may commit after the snapshot read a higher one. Its change is then caught
by the next write or by the nightly refresh, not immediately.
"""
from __future__ import annotations

import calendar
import datetime as dt
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from office import indicators as ind
from office.indicators import Rate
from office.kit.i18n import TranslatableError
from office.models import Campaign, ChangeLog, Indicator, IndicatorFigure, IndicatorSnapshot, db
from office.models.base import utcnow
from office.queue import connection, get_queue, is_embedded, queue_name, start_embedded_worker

log = logging.getLogger(__name__)

JOB = "office.jobs.snapshot.compute_snapshot"
JOB_TIMEOUT = 2 * 3600        # one date of a 200,000-compound county on SQLite: ~20 s
PENDING_TTL = JOB_TIMEOUT + 600  # the debounce key outlives the longest job it stands for
PRUNE_AFTER_DAYS = 7          # stored dates that are neither month-ends nor a dashboard's date
ALIVE = {"queued", "started", "deferred", "scheduled"}


# ---------------------------------------------------------------- dates


def today() -> dt.date:
    """The deadlines' today (``OFFICE_TODAY`` / ``TODAY`` when set): the dashboard, the return
    and the reminders agree on the date."""
    from office.services.deadlines import today as deadline_day

    return deadline_day()


def default_as_of(campaign: Campaign, on: dt.date | None = None) -> dt.date:
    """The dashboard's date for a campaign: today, or its last day once it has ended."""
    return min(on or today(), campaign.ends_on)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def trend_dates(campaign: Campaign, as_of: dt.date) -> list[dt.date]:
    """The trend's points: every month-end of the campaign before ``as_of``, then ``as_of``."""
    dates, day = [], month_end(campaign.starts_on)
    last = min(as_of, campaign.ends_on)
    while day < last:
        dates.append(day)
        day = month_end(day + dt.timedelta(days=1))
    return [*dates, as_of]


def is_month_end(day: dt.date) -> bool:
    return day == month_end(day)


# ---------------------------------------------------------------- the change mark


def current_mark() -> int:
    """max(change_log.id): the primary key's index answers it at once; 0 for an empty log."""
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(ChangeLog.id), 0)))


# ---------------------------------------------------------------- computing and storing


@dataclass(frozen=True)
class Computed:
    mark: int
    townships: dict[str, dict[int, Rate]]   # office.indicators.township_rates
    county: dict[str, Rate]                 # office.indicators.county_rates
    seconds: float


def compute(campaign_id: int, as_of: dt.date) -> Computed:
    """office.indicators' figures for one date and the change mark, in ONE consistent read
    transaction (the mark cannot be newer than the rows the figures were computed from).

    county_rates is by definition the sum of township_rates plus the departments' part of
    contact_reported; calling it for all indicators would run every indicator query twice,
    so it is called for contact_reported only and the other county figures are the sum of the
    township figures, as county_rates adds them. tests/test_dashboard.py asserts the stored
    county figures equal county_rates for every indicator.
    """
    from office.services.report.data import snapshot as consistent_read

    started = time.perf_counter()
    with consistent_read():
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is None:
            raise CampaignMissing("工作方案（编号 %(id)s）不存在", id=campaign_id)
        mark = current_mark()
        townships = ind.township_rates(as_of, campaign)
        county = {key: sum(rates.values(), Rate(0, 0)) for key, rates in townships.items()}
        county.update(ind.county_rates(as_of, campaign, ["contact_reported"]))
    return Computed(mark, townships, county, time.perf_counter() - started)


class CampaignMissing(TranslatableError, LookupError):
    """The campaign of a snapshot is gone."""


def _figure_rows(snapshot_id: int, computed: Computed) -> list[dict]:
    now = utcnow()
    rows = []
    for key, rate in computed.county.items():
        rows.append({"snapshot_id": snapshot_id, "township_id": None,
                     "indicator": Indicator[key], "numerator": rate.numerator,
                     "denominator": rate.denominator, "created_at": now, "updated_at": now})
        for township_id, t_rate in sorted(computed.townships.get(key, {}).items()):
            rows.append({"snapshot_id": snapshot_id, "township_id": township_id,
                         "indicator": Indicator[key], "numerator": t_rate.numerator,
                         "denominator": t_rate.denominator, "created_at": now,
                         "updated_at": now})
    return rows


def store(campaign_id: int, as_of: dt.date, computed: Computed) -> bool:
    """Replace the stored figures of (campaign, date) in one short transaction; False when a
    snapshot computed at a newer mark is already there (it is kept)."""
    S, F = IndicatorSnapshot, IndicatorFigure
    for attempt in (1, 2):
        try:
            with db.engine.begin() as conn:
                row = conn.execute(
                    sa.select(S.id, S.change_mark)
                    .where(S.campaign_id == campaign_id, S.as_of == as_of)
                    .with_for_update()).first()
                now = utcnow()
                values = {"change_mark": computed.mark, "computed_at": now,
                          "seconds": round(computed.seconds, 3), "updated_at": now}
                if row is not None and row.change_mark > computed.mark:
                    return False
                if row is not None:
                    conn.execute(sa.delete(F).where(F.snapshot_id == row.id))
                    conn.execute(sa.update(S).where(S.id == row.id).values(**values))
                    snapshot_id = row.id
                else:
                    snapshot_id = conn.execute(
                        sa.insert(S).values(campaign_id=campaign_id, as_of=as_of,
                                            created_at=now, **values)
                    ).inserted_primary_key[0]
                conn.execute(sa.insert(F), _figure_rows(snapshot_id, computed))
            return True
        except sa.exc.IntegrityError:
            # Another job inserted the same (campaign, date) between our SELECT and INSERT;
            # the second round finds its row and replaces it (or keeps it if newer).
            if attempt == 2:
                raise
    return False


def refresh(campaign_id: int, as_of: dt.date, force: bool = False) -> dict:
    """Compute and store one date unless its stored mark is already current."""
    stored = db.session.execute(
        sa.select(IndicatorSnapshot.change_mark)
        .where(IndicatorSnapshot.campaign_id == campaign_id, IndicatorSnapshot.as_of == as_of)
    ).scalar()
    mark = current_mark()
    db.session.rollback()  # end the read; compute() opens its own consistent one
    if not force and stored is not None and stored >= mark:
        return {"campaign_id": campaign_id, "as_of": as_of.isoformat(), "skipped": True,
                "change_mark": stored}
    computed = compute(campaign_id, as_of)
    saved = store(campaign_id, as_of, computed)
    log.info("snapshot campaign=%s as_of=%s mark=%s in %.2fs%s", campaign_id, as_of,
             computed.mark, computed.seconds, "" if saved else " (newer kept)")
    return {"campaign_id": campaign_id, "as_of": as_of.isoformat(), "skipped": False,
            "stored": saved, "change_mark": computed.mark, "seconds": computed.seconds}


# ---------------------------------------------------------------- the queue (debounced)


def _pending_key(campaign_id: int, as_of: dt.date) -> str:
    return f"{queue_name()}:snapshot-pending:{campaign_id}:{as_of.isoformat()}"


def _job_alive(conn, job_id: str) -> bool:
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    if job_id == "enqueuing":  # another request is between SET and enqueue right now
        return True
    try:
        status = Job.fetch(job_id, connection=conn).get_status(refresh=False)
    except NoSuchJobError:
        return False
    return str(getattr(status, "value", status)) in ALIVE


def pending(campaign_id: int, as_of: dt.date) -> bool:
    """Is a computation of this date queued or running?"""
    try:
        conn = connection()
        job_id = conn.get(_pending_key(campaign_id, as_of))
    except Exception:  # Redis unreachable: nothing can be pending
        return False
    return job_id is not None and _job_alive(conn, job_id.decode())


def request_refresh(campaign_id: int, as_of: dt.date) -> str:
    """Queue a computation of (campaign, date) unless one is queued or running already.

    "queued" (queued now), "pending" (one was already), or "failed" (the queue is unreachable).
    """
    key = _pending_key(campaign_id, as_of)
    try:
        conn = connection()
        if not conn.set(key, "enqueuing", nx=True, ex=PENDING_TTL):
            job_id = conn.get(key)
            if job_id is None or _job_alive(conn, job_id.decode()):
                return "pending"
            # Its job is gone (a worker died, the job failed): take the key over.
            conn.delete(key)
            if not conn.set(key, "enqueuing", nx=True, ex=PENDING_TTL):
                return "pending"
        try:
            job = get_queue().enqueue(JOB, campaign_id, as_of.isoformat(),
                                      job_timeout=JOB_TIMEOUT, result_ttl=600,
                                      failure_ttl=7 * 86400,
                                      description=f"指标快照 {campaign_id} {as_of}")
        except Exception:
            conn.delete(key)
            raise
        conn.set(key, job.id, xx=True, ex=PENDING_TTL)
    except Exception:
        log.exception("cannot queue the snapshot of campaign %s as of %s", campaign_id, as_of)
        return "failed"
    if is_embedded():
        start_embedded_worker(current_app._get_current_object())
    return "queued"


def release(campaign_id: int, as_of: dt.date, job_id: str | None) -> None:
    """The job's end: free the debounce key, if it is still this job's."""
    try:
        conn = connection()
        key = _pending_key(campaign_id, as_of)
        held = conn.get(key)
        if held is None or job_id is None or held.decode() in (job_id, "enqueuing"):
            conn.delete(key)
    except Exception:
        log.exception("cannot release the snapshot key of %s %s", campaign_id, as_of)


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class StoredFigure:
    as_of: dt.date
    township_id: int | None
    township_name: str | None
    key: str
    rate: Rate


@dataclass
class Stored:
    """What the dashboard reads: per date its mark and time, and the figures."""

    marks: dict[dt.date, tuple[int, dt.datetime]]
    figures: list[StoredFigure]


def read(campaign_id: int, as_of: dt.date, dates: Iterable[dt.date],
         township_id: int | None = None) -> Stored:
    """ONE query: the snapshots of the dates (each at least once, through the outer join)
    and their figures — the county's for every date and every township's for ``as_of``, or
    only ``township_id``'s when given (a township clerk's dashboard)."""
    from office.models import Township

    S, F = IndicatorSnapshot, IndicatorFigure
    if township_id is None:
        which = sa.or_(F.township_id.is_(None), S.as_of == as_of)
    else:
        which = F.township_id == township_id
    rows = db.session.execute(
        sa.select(S.as_of, S.change_mark, S.computed_at, F.township_id, Township.name,
                  F.indicator, F.numerator, F.denominator)
        .select_from(S)
        .outerjoin(F, sa.and_(F.snapshot_id == S.id, which))
        .outerjoin(Township, Township.id == F.township_id)
        .where(S.campaign_id == campaign_id, S.as_of.in_(sorted(set(dates))))
        .order_by(S.as_of, F.township_id, F.id)
    ).all()
    stored = Stored({}, [])
    for day, mark, computed_at, tid, tname, indicator, num, den in rows:
        stored.marks[day] = (mark, computed_at)
        if indicator is not None:
            stored.figures.append(StoredFigure(day, tid, tname, indicator.name, Rate(num, den)))
    return stored


def head(campaign_id: int, as_of: dt.date) -> tuple[int, dt.datetime] | None:
    """(change_mark, computed_at) of one stored date, or None."""
    row = db.session.execute(
        sa.select(IndicatorSnapshot.change_mark, IndicatorSnapshot.computed_at)
        .where(IndicatorSnapshot.campaign_id == campaign_id,
               IndicatorSnapshot.as_of == as_of)).first()
    return None if row is None else (row[0], row[1])


# ---------------------------------------------------------------- nightly


def refresh_all(on: dt.date | None = None) -> dict[str, int]:
    """The nightly refresh: for every campaign that has begun, queue its dashboard date and
    every month-end of its trend that is missing or computed at an older mark; then drop
    stored dates nobody shows any more (neither a month-end nor a dashboard's date)."""
    on = on or today()
    mark = current_mark()
    queued = 0
    keep: set[tuple[int, dt.date]] = set()
    for campaign in db.session.scalars(sa.select(Campaign).order_by(Campaign.id)).all():
        if campaign.starts_on > on:
            continue
        as_of = default_as_of(campaign, on)
        dates = trend_dates(campaign, as_of)
        keep.update((campaign.id, d) for d in dates)
        stored = dict(db.session.execute(
            sa.select(IndicatorSnapshot.as_of, IndicatorSnapshot.change_mark)
            .where(IndicatorSnapshot.campaign_id == campaign.id)).all())
        # The dashboard's date first: it is the one people look at in the morning.
        for day in [as_of, *reversed(dates[:-1])]:
            if stored.get(day) is None or stored[day] < mark:
                queued += request_refresh(campaign.id, day) == "queued"
    pruned = prune(on, keep)
    db.session.rollback()
    return {"queued": queued, "pruned": pruned}


def prune(on: dt.date, keep: set[tuple[int, dt.date]]) -> int:
    S = IndicatorSnapshot
    cutoff = on - dt.timedelta(days=PRUNE_AFTER_DAYS)
    old = [(sid, cid, day) for sid, cid, day in db.session.execute(
        sa.select(S.id, S.campaign_id, S.as_of).where(S.as_of < cutoff))
        if not is_month_end(day) and (cid, day) not in keep]
    if not old:
        return 0
    ids = [sid for sid, _, _ in old]
    with db.engine.begin() as conn:
        conn.execute(sa.delete(IndicatorFigure).where(IndicatorFigure.snapshot_id.in_(ids)))
        conn.execute(sa.delete(S).where(S.id.in_(ids)))
    return len(ids)
