"""The dashboard's content (工作看板): stored indicator figures against the campaign's targets.

Every figure comes from the snapshots (office/services/snapshot.py), which hold
office.indicators' output verbatim; every status comes from office.indicators
(targets_for, target_on, status_against_target); the compounds behind a figure come from
office.indicators.compounds_behind. Nothing here defines or computes a rate: percentages are
only formatted for display.

Row scope: a township clerk's dashboard holds their township's figures only (the headline,
the table row, the trend), and their drill-down lists their compounds only, whatever the URL
asks for. County-wide roles see the county and every township.

Cost of one view: the campaigns, the targets, the change mark and ONE query over the stored
figures (snapshot.read); when the stored date is stale or missing, one Redis round trip to
queue its recomputation (debounced).
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import sqlalchemy as sa

from office import indicators as ind
from office.indicators import INDICATORS, Rate
from office.kit.i18n import Term, TranslatableError, tr
from office.kit.labels import local_time
from office.models import Campaign, Compound, Township, db
from office.scope import UNRESTRICTED, UserScope, scope_clause
from office.services import snapshot

STATUS_LABELS = {"met": "已达标", "pending": "未达标·未到期", "not_met": "未达标·已到期",
                 None: "无考核目标"}
COLOURS = {"met": "green", "pending": "amber", "not_met": "red", None: "grey"}
UNIT_LABELS = {"compound": "个小区", "committee": "个业委会", "member": "名成员",
               "township": "个单位"}
BEHIND_PAGE = 50


class DashboardError(TranslatableError):
    """A request the dashboard cannot answer (no campaign, a date it cannot show)."""


class BadDate(DashboardError):
    """A date the request wrote wrongly (the API answers 400, not 404)."""


# ---------------------------------------------------------------- choosing what to show


def campaigns_for(scope: UserScope) -> list[Campaign]:
    """The campaigns the user may look at: all, or those of their township's county."""
    query = sa.select(Campaign).order_by(Campaign.starts_on.desc(), Campaign.id.desc())
    if scope.restricted:
        query = query.where(Campaign.county_id == sa.select(Township.county_id)
                            .where(Township.id == scope.township_id).scalar_subquery())
    return list(db.session.scalars(query))


def choose(campaigns: list[Campaign], campaign_id: int | None, on: dt.date) -> Campaign:
    """The campaign asked for, else the one running on the date, else the latest begun."""
    if not campaigns:
        raise DashboardError("还没有工作方案，无法显示工作看板")
    if campaign_id is not None:
        for campaign in campaigns:
            if campaign.id == campaign_id:
                return campaign
        raise DashboardError("没有这个工作方案")
    for campaign in campaigns:
        if campaign.starts_on <= on <= campaign.ends_on:
            return campaign
    begun = [c for c in campaigns if c.starts_on <= on]
    return begun[0] if begun else campaigns[-1]


def default_date() -> dt.date:
    """The as-of date the dashboard and the statistics return both start from: today, or the
    end of the campaign running today (or of the latest begun) once it has ended."""
    on = snapshot.today()
    campaigns = campaigns_for(UNRESTRICTED)
    return snapshot.default_as_of(choose(campaigns, None, on), on) if campaigns else on


def parse_date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadDate("日期格式应为 YYYY-MM-DD：%(text)s", text=text) from None


def resolve(scope: UserScope, campaign_id: int | None, as_of_text: str | None):
    """(campaigns, campaign, as_of) for a request; a date after today is today."""
    on = snapshot.today()
    campaigns = campaigns_for(scope)
    campaign = choose(campaigns, campaign_id, on)
    as_of = parse_date(as_of_text) or snapshot.default_as_of(campaign, on)
    return campaigns, campaign, min(as_of, on)


# ---------------------------------------------------------------- formatting


def percent_text(rate: Rate | None) -> str:
    """One decimal, rounded DOWN, so that a figure short of 100% never reads "100.0%"."""
    if rate is None or rate.percent is None:
        return "—"
    return f"{math.floor(rate.percent * 10 + 1e-9) / 10:.1f}%"


def chart_value(rate: Rate | None) -> float | None:
    if rate is None or rate.percent is None:
        return None
    return math.floor(rate.percent * 10 + 1e-9) / 10



def judge(rate: Rate | None, targets, as_of: dt.date) -> str | None:
    """The cell's status: against the target in force on the date (office.indicators)."""
    target = ind.target_on(targets, as_of)
    if target is None or rate is None:
        return None
    return ind.status_against_target(rate, target, as_of)


def _rate_json(rate: Rate | None) -> dict | None:
    if rate is None:
        return None
    return {"numerator": rate.numerator, "denominator": rate.denominator,
            "percent": chart_value(rate), "text": percent_text(rate),
            "behind": rate.denominator - rate.numerator}


def _target_json(target, rate: Rate | None, as_of: dt.date, primary) -> dict:
    status = ind.status_against_target(rate, target, as_of) if rate is not None else None
    days = (target.due_on - as_of).days
    if status == "met":
        note = tr("已达标")
    elif status == "pending":
        note = tr("未达标，距完成时限还有 %(n)s 天", n=days)
    elif status == "not_met":
        note = (tr("未达标，已到完成时限") if days == 0
                else tr("未达标，已超过完成时限 %(n)s 天", n=-days))
    else:
        note = tr("暂无数据")
    threshold = target.threshold.normalize()
    return {"threshold": float(target.threshold), "threshold_text": f"{threshold:f}%",
            "due_on": target.due_on.isoformat(), "status": status,
            "colour": COLOURS[status], "days_left": days, "note": note,
            "primary": target is primary}


# ---------------------------------------------------------------- the dashboard


@dataclass
class Links:
    """Builds drill-down URLs from the drill-down's path (url_for once per request: the
    ~150 links of a county's page cost more through url_for than the rest of the request).
    The arguments are ids, ISO dates and indicator keys: nothing to escape."""

    path: str

    def behind(self, campaign: Campaign, as_of: dt.date, key: str,
               township_id: int | None) -> str | None:
        if INDICATORS[key].unit == "township":
            return None  # about departments and townships, not compounds
        url = f"{self.path}?campaign={campaign.id:d}&as_of={as_of.isoformat()}&key={key}"
        return url if township_id is None else f"{url}&township={township_id:d}"


def _small_county(limit: int) -> bool:
    """At most ``limit`` compounds (a bounded count: cheap on any county)."""
    some = sa.select(Compound.id).limit(limit + 1).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(some)) <= limit


def build(scope: UserScope, campaign_id: int | None, as_of_text: str | None,
          links: Links, enqueue: bool = True, compute_now: int = 0) -> dict:
    """Everything the dashboard page and /dashboard/data show, as plain JSON-able data.

    ``compute_now``: on a county of at most that many compounds, missing or stale figures are
    computed during the request instead of queued (0: never)."""
    campaigns, campaign, as_of = resolve(scope, campaign_id, as_of_text)
    own_township = scope.township_id if scope.restricted else None
    if scope.restricted and own_township is None:
        raise DashboardError("工作看板按乡镇（街道、场）显示，您的账号未关联乡镇")

    dates = snapshot.trend_dates(campaign, as_of)
    stored = snapshot.read(campaign.id, as_of, dates, own_township)
    mark = snapshot.current_mark()
    outdated = [d for d in dates if d not in stored.marks or stored.marks[d][0] < mark]
    if outdated and compute_now and _small_county(compute_now):
        # A small county's figures take well under a second: compute them now rather than
        # show "暂无数据" until the background job is done (every date: the trend too).
        for day in outdated:
            snapshot.refresh(campaign.id, day)
        stored = snapshot.read(campaign.id, as_of, dates, own_township)
        mark = snapshot.current_mark()
    targets = ind.targets_for(campaign)

    # --- freshness, and the recomputations to queue
    head = stored.marks.get(as_of)
    state = "missing" if head is None else ("stale" if head[0] < mark else "fresh")
    missing = [d for d in dates[:-1] if d not in stored.marks]
    refresh = None
    if enqueue:
        if state != "fresh":
            refresh = snapshot.request_refresh(campaign.id, as_of)
        for day in reversed(missing):  # the latest months first
            outcome = snapshot.request_refresh(campaign.id, day)
            refresh = refresh or outcome
    elif state != "fresh" or missing:
        refresh = "pending" if snapshot.pending(campaign.id, as_of) else None

    # --- figures by (date, township, key)
    by_date: dict[dt.date, dict[str, Rate]] = {}
    by_township: dict[int, dict[str, Rate]] = {}
    names: dict[int, str] = {}
    for fig in stored.figures:
        if own_township is None and fig.township_id is None:
            by_date.setdefault(fig.as_of, {})[fig.key] = fig.rate
        elif own_township is not None:
            by_date.setdefault(fig.as_of, {})[fig.key] = fig.rate
        if fig.township_id is not None and fig.as_of == as_of:
            by_township.setdefault(fig.township_id, {})[fig.key] = fig.rate
            names[fig.township_id] = fig.township_name
    now = by_date.get(as_of, {})

    indicators = []
    for key, definition in INDICATORS.items():
        rate = now.get(key)
        key_targets = targets.get(key, [])
        primary = ind.target_on(key_targets, as_of)
        status = judge(rate, key_targets, as_of) if head else None
        indicators.append({
            "key": key, "label": definition.label, "unit": definition.unit,
            "unit_label": UNIT_LABELS[definition.unit],
            "rate": _rate_json(rate), "status": status, "colour": COLOURS[status],
            "status_label": STATUS_LABELS[status],
            "targets": [_target_json(t, rate, as_of, primary) for t in key_targets],
            "behind_url": links.behind(campaign, as_of, key, own_township)
            if rate is not None else None,
        })

    def cells(rates: dict[str, Rate], township_id: int | None) -> dict:
        result = {}
        for key in INDICATORS:
            rate = rates.get(key)
            status = judge(rate, targets.get(key, []), as_of)
            result[key] = {**(_rate_json(rate) or {"text": "—"}), "status": status,
                           "colour": COLOURS[status] if rate is not None else "none",
                           "url": links.behind(campaign, as_of, key, township_id)
                           if rate is not None else None}
        return result

    townships = [{"id": tid, "name": names[tid], "cells": cells(by_township[tid], tid)}
                 for tid in sorted(by_township)]
    county_row = ({"id": None, "name": tr("全县"), "cells": cells(now, None)}
                  if own_township is None and head else None)

    trend = {
        "dates": [d.isoformat() for d in dates],
        "labels": [tr("%(year)s年%(month)s月", year=d.year, month=d.month)
                   if d != as_of or snapshot.is_month_end(d)
                   else tr("%(month)s月%(day)s日", month=d.month, day=d.day) for d in dates],
        "series": {key: [chart_value(by_date.get(d, {}).get(key)) for d in dates]
                   for key in INDICATORS},
        "counts": {key: [[r.numerator, r.denominator] if (r := by_date.get(d, {}).get(key))
                         else None for d in dates] for key in INDICATORS},
        "targets": {key: [{"threshold": float(t.threshold), "due_on": t.due_on.isoformat()}
                          for t in targets.get(key, [])] for key in INDICATORS},
    }

    township_name = None
    if own_township is not None:
        township_name = names.get(own_township) or db.session.scalar(
            sa.select(Township.name).where(Township.id == own_township))
    return {
        "campaign": {"id": campaign.id, "name": campaign.name,
                     "starts_on": campaign.starts_on.isoformat(),
                     "ends_on": campaign.ends_on.isoformat()},
        "campaigns": [{"id": c.id, "name": c.name} for c in campaigns],
        "as_of": as_of.isoformat(),
        "default_as_of": snapshot.default_as_of(campaign).isoformat(),
        "township": ({"id": own_township, "name": township_name}
                     if own_township is not None else None),
        "snapshot": {
            "state": state,
            "computed_at": local_time(head[1]) if head else None,
            "change_mark": head[0] if head else None,
            "current_mark": mark,
            "refresh": refresh,
            "months_missing": len(missing),
        },
        "indicators": indicators,
        "county": county_row,
        "townships": townships,
        "trend": trend,
    }


# ---------------------------------------------------------------- drill-down


def behind(scope: UserScope, campaign_id: int | None, as_of_text: str | None, key: str,
           township_id: int | None, page: int = 0) -> dict:
    """One page of the compounds behind a figure: office.indicators.compounds_behind(met=False)
    for the campaign and date, narrowed to a township when asked, ALWAYS bounded by the user's
    row scope (a township clerk gets their own compounds whatever township the URL names)."""
    if key not in INDICATORS:
        raise DashboardError("没有这个指标")
    if INDICATORS[key].unit == "township":
        raise DashboardError("%(indicator)s按部门和乡镇统计，不对应小区",
                             indicator=Term(INDICATORS[key].label))
    _campaigns, campaign, as_of = resolve(scope, campaign_id, as_of_text)
    ids = ind.compounds_behind(key, as_of, campaign, met=False)
    if township_id is not None:
        ids = ids.where(Compound.township_id == township_id)
    ids = ids.subquery("behind")
    query = (sa.select(Compound.id, Compound.name, Township.name, Compound.community,
                       Compound.kind, Compound.households, Compound.management_mode)
             .join(ids, ids.c.id == Compound.id)
             .join(Township, Township.id == Compound.township_id))
    clause = scope_clause(Compound, scope)
    if clause is not None:
        query = query.where(clause)
    page = max(page, 0)
    rows = db.session.execute(
        query.order_by(Township.id, Compound.name, Compound.id)
        .offset(page * BEHIND_PAGE).limit(BEHIND_PAGE + 1)).all()
    township_name = None
    if township_id is not None:
        township_name = db.session.scalar(sa.select(Township.name)
                                          .where(Township.id == township_id))
    return {
        "campaign": campaign, "as_of": as_of, "key": key, "label": INDICATORS[key].label,
        "unit": INDICATORS[key].unit, "township_id": township_id,
        "township_name": township_name, "page": page, "page_size": BEHIND_PAGE,
        "has_next": len(rows) > BEHIND_PAGE,
        "rows": [{"id": r[0], "name": r[1], "township": r[2], "community": r[3],
                  "kind": str(r[4]), "households": r[5], "management_mode": str(r[6])}
                 for r in rows[:BEHIND_PAGE]],
    }


def behind_ids(scope: UserScope, campaign_id: int | None, as_of_text: str | None, key: str,
               township_id: int | None) -> list[int]:
    """Every id the drill-down lists, across pages (tests and exports)."""
    result, page = [], 0
    while True:
        part = behind(scope, campaign_id, as_of_text, key, township_id, page)
        result += [r["id"] for r in part["rows"]]
        if not part["has_next"]:
            return result
        page += 1
