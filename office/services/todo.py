"""我的待办: what a township clerk or a department liaison has to do, on their landing page.

    todo(scope, day)   their tasks due within 7 days or overdue (campaigns still running),
                       the findings of their township still to rectify, the boards of their
                       township that are stale or missing, their contact rows not reported

Every list is bounded by the user's row scope (office/scope.py) and by ``LIMIT`` rows, with the
total counted, so a large township's page stays one screen and a few small queries.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from office.kit.i18n import N_
from office.models import (
    Campaign,
    Compound,
    ContactPoint,
    Finding,
    FindingStatus,
    Signboard,
    Task,
    TaskStatus,
    db,
)
from office.scope import UserScope, scope_clause
from office.services import signboards
from office.services.deadlines import DUE_SOON_DAYS, deadline_of, today

LIMIT = 30


@dataclass
class Section:
    key: str
    title: str
    rows: list = field(default_factory=list)   # kind-specific tuples, see todo()
    total: int = 0


def _page(query, order) -> tuple[list, int]:
    rows = db.session.scalars(query.order_by(*order).limit(LIMIT)).unique().all()
    total = len(rows) if len(rows) < LIMIT else db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    return rows, total


def _tasks(scope: UserScope, day: dt.date) -> Section:
    query = (sa.select(Task).join(Campaign, Campaign.id == Task.campaign_id)
             .where(Task.status != TaskStatus.done, Campaign.ends_on >= day,
                    Task.due_on <= day + dt.timedelta(days=DUE_SOON_DAYS),
                    scope_clause(Task, scope, write=True))
             .options(joinedload(Task.township), joinedload(Task.department)))
    rows, total = _page(query, [Task.due_on, Task.id])
    return Section("tasks", N_("到期和逾期的任务"), [(t, deadline_of(t, day)) for t in rows], total)


def _findings(scope: UserScope, day: dt.date) -> Section:
    query = (sa.select(Finding).join(Compound, Compound.id == Finding.compound_id)
             .where(Finding.status != FindingStatus.closed,
                    scope_clause(Finding, scope, write=True))
             .options(joinedload(Finding.compound)))
    rows, total = _page(query, [Finding.deadline.asc().nulls_last(), Finding.id])
    return Section("findings", N_("待整改的问题"),
                   [(f, f.deadline is not None and f.deadline < day) for f in rows], total)


def _boards(scope: UserScope, day: dt.date) -> Section:
    """The township's compounds whose board shows an old directory, or that have none."""
    stale = (sa.select(Signboard).join(Compound, Compound.id == Signboard.compound_id)
             .where(signboards.stale(day), Compound.township_id == scope.township_id)
             .options(joinedload(Signboard.compound)))
    stale_rows, stale_total = _page(stale, [Compound.name, Signboard.id])
    boarded = sa.select(Signboard.compound_id).where(signboards.in_place(day))
    missing = sa.select(Compound).where(Compound.township_id == scope.township_id,
                                        Compound.id.not_in(boarded))
    missing_rows, missing_total = _page(missing, [Compound.name, Compound.id])
    rows = [("stale", b.compound, b) for b in stale_rows]
    rows += [("missing", c, None) for c in missing_rows[:max(0, LIMIT - len(rows))]]
    return Section("boards", N_("需更换或设置的公示牌"), rows, stale_total + missing_total)


def _contacts(scope: UserScope) -> Section:
    query = sa.select(ContactPoint).where(
        scope_clause(ContactPoint, scope, write=True),
        sa.or_(ContactPoint.complaint_phone.is_(None),
               sa.func.trim(ContactPoint.complaint_phone) == "",
               ContactPoint.reported_on.is_(None)))
    rows, total = _page(query, [ContactPoint.id])
    return Section("contacts", N_("未报送的服务、投诉电话"), rows, total)


def todo(scope: UserScope, day: dt.date | None = None) -> list[Section]:
    """The sections of 我的待办 for a township's or a department's user (empty for others)."""
    if not scope.restricted:
        return []
    day = day or today()
    sections = [_tasks(scope, day)]
    if scope.township_id is not None:
        sections += [_findings(scope, day), _boards(scope, day)]
    sections.append(_contacts(scope))
    return sections
