"""The plan's indicators (GLOSSARY.md, "Indicators"): the ONE place a rate is defined.

Every indicator is a count of *units* (compounds, committees, members or townships) in the
denominator, and of those that meet it in the numerator, computed by SQL aggregates grouped by
township.  Everything is evaluated "as of" a date from the records' effective dates (elected,
dissolved, joined, left, signed, terminated, published, installed, removed, effective, reported),
so re-computing a past date after later-dated rows or edits gives the same figures.

Decisions that apply to all indicators:

* A compound exists on D when ``delivered_on <= D`` or ``delivered_on IS NULL`` (unknown, e.g.
  old compounds).  Every compound-based denominator uses this rule, not only coverage.
* A body (业委会, or 物管会 when ``campaign.interim_counts``) is *active* on D when it was elected
  on or before D, is not dissolved on D, its term has not ended (``term_end >= D``: an expired
  term that was not renewed is "到期未换届" and does not count), and no later term of the same
  compound has been elected by D (the new term supersedes the old one from its election day
  even when nobody entered ``dissolved_on``; this keeps overlapping terms from being counted
  twice in ``office_space`` and ``member_supervision``).
* Only the campaign's county is counted.

Limitations (fields that have no history, so a past date uses today's value):
``Compound.management_mode``, ``OwnersCommittee.office_space``, ``ContactPoint.complaint_phone``,
and the existence of departments and townships.  A correction to one of them changes past
figures as well; that is accepted until the models keep history for them.

Cost: at most four queries for all indicators (one per unit, see _UNITS), each linear in the
rows inside the as-of windows.  On a 200,000-compound county (1.1M members, 0.9M disclosures)
that is seconds of database time, so a caller that shows the figures often (the dashboard)
caches them per (campaign, as_of) instead of recomputing on every page view.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from office.models import (
    Campaign,
    CommitteeKind,
    CommitteeMember,
    Compound,
    ContactPoint,
    Department,
    DirectoryRevision,
    Disclosure,
    DisclosureItem,
    Indicator,
    ManagementMode,
    OfficeSpace,
    OwnersCommittee,
    ServiceContract,
    Signboard,
    SupervisionRecord,
    Target,
    Township,
    db,
)

__all__ = [
    "Rate", "IndicatorDef", "INDICATORS", "BY_DEPARTMENT", "township_rates", "county_rates",
    "department_rates", "compounds_behind", "active_body", "targets_for", "target_on",
    "status_against_target",
]

Predicate = sa.ColumnElement[bool]
Builder = Callable[[dt.date, Campaign], Predicate]


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        return None if self.denominator == 0 else 100.0 * self.numerator / self.denominator

    def __add__(self, other: Rate) -> Rate:
        return Rate(self.numerator + other.numerator, self.denominator + other.denominator)


# --- shared as-of predicates ---------------------------------------------------------------

def active_body(as_of: dt.date, campaign: Campaign, body=OwnersCommittee) -> Predicate:
    """The one definition of "an active committee on D" (see the module docstring).

    Public so that lists and services (e.g. "compounds without a committee") agree with the
    indicators.  ``body`` may be an alias of OwnersCommittee.
    """
    later = aliased(OwnersCommittee)
    superseded = (
        sa.select(later.id)
        .where(later.compound_id == body.compound_id, later.term_no > body.term_no,
               later.elected_on <= as_of)
        .exists()
    )
    kinds = [CommitteeKind.committee]
    if campaign.interim_counts:
        kinds.append(CommitteeKind.interim)
    return sa.and_(
        body.kind.in_(kinds),
        body.elected_on <= as_of,
        sa.or_(body.dissolved_on.is_(None), body.dissolved_on > as_of),
        body.term_end >= as_of,
        ~superseded,
    )


def _compound_exists(as_of: dt.date) -> Predicate:
    return sa.or_(Compound.delivered_on.is_(None), Compound.delivered_on <= as_of)


def _in_county(campaign: Campaign) -> Predicate:
    return Township.county_id == campaign.county_id


# --- units: the rows an indicator counts, each reaching its township ----------------------
# A unit gives the FROM clause and the rows that exist on D; indicators of the same unit are
# computed in ONE query (one scan of the compounds serves the four compound indicators).

@dataclass(frozen=True)
class _Unit:
    name: str
    from_: Callable[[], sa.FromClause]
    id: sa.ColumnElement[int]
    township_id: sa.ColumnElement[int]
    rows: Builder  # which rows of the FROM clause exist (and are in the county) on D


def _compound_from():
    return sa.join(Compound, Township, Compound.township_id == Township.id)


def _active_member(d, c):
    return sa.and_(CommitteeMember.joined_on <= d,
                   sa.or_(CommitteeMember.left_on.is_(None), CommitteeMember.left_on > d))


_UNITS = {
    u.name: u
    for u in (
        _Unit("compound", _compound_from, Compound.id, Compound.township_id,
              lambda d, c: sa.and_(_in_county(c), _compound_exists(d))),
        _Unit("committee", lambda: sa.join(OwnersCommittee, _compound_from()),
              OwnersCommittee.id, Compound.township_id,
              lambda d, c: sa.and_(_in_county(c), active_body(d, c))),
        _Unit("member",
              lambda: sa.join(CommitteeMember, OwnersCommittee).join(_compound_from()),
              CommitteeMember.id, Compound.township_id,
              lambda d, c: sa.and_(_in_county(c), active_body(d, c), _active_member(d, c))),
        # contact_reported: each township is its own row; departments are added at county level.
        _Unit("township", lambda: Township.__table__, Township.id, Township.id,
              lambda d, c: _in_county(c)),
    )
}

# A numerator builder returns either a predicate on the unit's row, or a SELECT of the ids of
# the unit rows that meet it, each id at most once (else the join would multiply rows).  A set
# is LEFT JOINed as a derived table instead of being written as "id IN (subquery)": PostgreSQL
# hashes an IN-subquery only when it fits in work_mem and otherwise re-scans it for every row
# (minutes for a million members), while a join becomes a hash join on PostgreSQL and an
# automatic index on SQLite.
Numerator = Callable[[dt.date, Campaign], "Predicate | sa.Select"]


@dataclass(frozen=True)
class IndicatorDef:
    key: str
    label: str
    unit: str
    numerator: Numerator          # the unit rows that meet the indicator
    denominator: Builder | None = None   # extra condition on the unit's rows; None = all rows

    def query(self, as_of: dt.date, campaign: Campaign) -> sa.Select:
        """SELECT township_id, numerator, denominator … GROUP BY township_id."""
        return _grouped_query(_UNITS[self.unit], [self], as_of, campaign)


def _resolve(unit: _Unit, defs: list[IndicatorDef], as_of: dt.date, campaign: Campaign):
    """The unit's FROM clause with the id sets joined, and each definition's numerator."""
    from_, numerators = unit.from_(), []
    for d in defs:
        num = d.numerator(as_of, campaign)
        if isinstance(num, sa.Select):
            ids = num.subquery(f"meets_{d.key}")
            id_col = next(iter(ids.c))
            from_ = from_.outerjoin(ids, id_col == unit.id)
            num = id_col.is_not(None)
        numerators.append(num)
    return from_, numerators


def _grouped_query(unit: _Unit, defs: list[IndicatorDef], as_of: dt.date,
                   campaign: Campaign) -> sa.Select:
    from_, numerators = _resolve(unit, defs, as_of, campaign)
    cols = []
    for d, num in zip(defs, numerators):
        if d.denominator is None:
            cols += [sa.func.count(sa.case((num, 1))), sa.func.count()]
        else:
            den = d.denominator(as_of, campaign)
            cols += [sa.func.count(sa.case((sa.and_(den, num), 1))),
                     sa.func.count(sa.case((den, 1)))]
    return (sa.select(unit.township_id, *cols).select_from(from_)
            .where(unit.rows(as_of, campaign)).group_by(unit.township_id))


# --- the numerators and denominators --------------------------------------------------------

def _has_active_body(d, c):
    # No DISTINCT needed: only the latest term elected by D can be active (not superseded).
    return sa.select(OwnersCommittee.compound_id).where(active_body(d, c))


def _has_office_space(d, c):
    return OwnersCommittee.office_space.in_([OfficeSpace.dedicated, OfficeSpace.temporary])


def _supervised(d, c):
    # Supervision counts from the campaign's start to D; before the start nothing counts.
    return sa.select(SupervisionRecord.member_id).distinct().where(
        SupervisionRecord.held_on >= c.starts_on, SupervisionRecord.held_on <= d)


def _managed_by_company(d, c):
    return Compound.management_mode == ManagementMode.company


def _contract_in_force(d, c):
    # Any kind: a preliminary (前期) contract in force is a signed contract too.
    sc = ServiceContract
    return sa.select(sc.compound_id).distinct().where(
        sc.starts_on <= d, sc.ends_on >= d,
        sa.or_(sc.terminated_on.is_(None), sc.terminated_on > d))


def _must_disclose(d, c):
    return Compound.management_mode.in_([ManagementMode.company, ManagementMode.self])


def _disclosed(d, c):
    # Window (D - interval, D]: published exactly `interval` days before D is already too old.
    since = d - dt.timedelta(days=c.disclosure_interval_days)
    required = [DisclosureItem.fee_accounts, DisclosureItem.service_items]
    return (sa.select(Disclosure.compound_id)
            .where(Disclosure.item.in_(required), Disclosure.published_on > since,
                   Disclosure.published_on <= d)
            .group_by(Disclosure.compound_id)
            .having(sa.func.count(sa.distinct(Disclosure.item)) == len(required)))


def _current_board(d, c):
    # Latest directory revision in effect on D; with none in effect any board in place is current.
    latest = (sa.select(sa.func.coalesce(sa.func.max(DirectoryRevision.number), 0))
              .where(DirectoryRevision.county_id == c.county_id,
                     DirectoryRevision.effective_on <= d)
              .scalar_subquery())
    sb = Signboard
    return sa.select(sb.compound_id).distinct().where(
        sb.installed_on <= d, sa.or_(sb.removed_on.is_(None), sb.removed_on > d),
        sb.directory_version >= latest)


def _contact_reported_subquery(column, d):
    """IDs of departments/townships with a non-empty complaint phone reported on or before D."""
    cp = ContactPoint
    return sa.select(column).distinct().where(
        column.is_not(None), cp.complaint_phone.is_not(None),
        sa.func.trim(cp.complaint_phone) != "", cp.reported_on <= d)


def _township_reported(d, c):
    return _contact_reported_subquery(ContactPoint.township_id, d)


# The indicators a department has a part of its own; for the others a department's figure is
# the county's (the bureau's indicators are county-wide).
BY_DEPARTMENT = ("contact_reported",)


def department_rates(as_of: dt.date, campaign: Campaign,
                     keys: Iterable[str] | None = None) -> dict[str, dict[int, Rate]]:
    """key -> {department_id: Rate} for the indicators of BY_DEPARTMENT: contact_reported counts
    the department itself (1/1 once its complaint phone is reported, else 0/1). One GROUP BY."""
    result: dict[str, dict[int, Rate]] = {k: {} for k in (BY_DEPARTMENT if keys is None else keys)}
    if set(result) - set(BY_DEPARTMENT):
        raise ValueError(f"不是按部门统计的指标：{'、'.join(set(result) - set(BY_DEPARTMENT))}")
    if "contact_reported" in result:
        met = _contact_reported_subquery(ContactPoint.department_id, as_of).subquery()
        rows = db.session.execute(
            sa.select(Department.id, sa.func.count(met.c.department_id), sa.func.count())
            .select_from(sa.outerjoin(Department, met, met.c.department_id == Department.id))
            .where(Department.county_id == campaign.county_id).group_by(Department.id))
        result["contact_reported"] = {dept: Rate(num, den) for dept, num, den in rows}
    return result


def _def(key: str, unit: str, numerator: Numerator, denominator: Builder | None = None):
    return IndicatorDef(key, Indicator[key].value, unit, numerator, denominator)


INDICATORS: dict[str, IndicatorDef] = {
    d.key: d
    for d in (
        _def("committee_coverage", "compound", _has_active_body),
        _def("office_space", "committee", _has_office_space),
        _def("member_supervision", "member", _supervised),
        _def("contract_signed", "compound", _contract_in_force, _managed_by_company),
        _def("fee_disclosure", "compound", _disclosed, _must_disclose),
        _def("signboard_current", "compound", _current_board),
        _def("contact_reported", "township", _township_reported),
    )
}
assert set(INDICATORS) == {i.name for i in Indicator}, "every Indicator needs a definition"


# --- public API ------------------------------------------------------------------------------

def _selected(keys: Iterable[str] | None) -> list[IndicatorDef]:
    if keys is None:
        return list(INDICATORS.values())
    keys = list(keys)
    unknown = set(keys) - set(INDICATORS)
    if unknown:
        raise ValueError(f"未知指标：{', '.join(sorted(unknown))}")
    return [INDICATORS[k] for k in keys]


def township_rates(as_of: dt.date, campaign: Campaign,
                   keys: Iterable[str] | None = None) -> dict[str, dict[int, Rate]]:
    """key -> {township_id: Rate}; a township with no unit in the denominator is omitted.

    One query per unit (at most four queries for all seven indicators).
    """
    defs = _selected(keys)
    result: dict[str, dict[int, Rate]] = {d.key: {} for d in defs}
    for unit_name, unit in _UNITS.items():
        group = [d for d in defs if d.unit == unit_name]
        if not group:
            continue
        for township_id, *counts in db.session.execute(
                _grouped_query(unit, group, as_of, campaign)):
            for i, d in enumerate(group):
                num, den = counts[2 * i], counts[2 * i + 1]
                if den:
                    result[d.key][township_id] = Rate(num, den)
    return result


def county_rates(as_of: dt.date, campaign: Campaign,
                 keys: Iterable[str] | None = None) -> dict[str, Rate]:
    """key -> Rate for the whole county: the sum of the township figures, plus the departments'
    (department_rates) for contact_reported."""
    rates = township_rates(as_of, campaign, keys)
    result = {key: sum(by_township.values(), Rate(0, 0)) for key, by_township in rates.items()}
    for key, by_department in department_rates(as_of, campaign,
                                               [k for k in BY_DEPARTMENT if k in result]).items():
        result[key] += sum(by_department.values(), Rate(0, 0))
    return result


def compounds_behind(key: str, as_of: dt.date, campaign: Campaign, met: bool) -> sa.Select:
    """SELECT Compound.id of the compounds in the denominator that do (met=True) or do not meet
    the indicator; add ``.where(Compound.township_id == …)`` to narrow it to one township.

    For committee- and member-based indicators a compound meets it when all of its counted rows
    do (its active committee has an office; every active member was supervised), and is behind
    when at least one does not.  contact_reported is about departments, not compounds.
    """
    d = INDICATORS[key]
    if d.unit == "township":
        raise ValueError(f"{key} 不是按小区统计的指标")
    unit = _UNITS[d.unit]
    from_, (num,) = _resolve(unit, [d], as_of, campaign)
    where = [unit.rows(as_of, campaign)]
    if d.denominator is not None:
        where.append(d.denominator(as_of, campaign))
    query = sa.select(Compound.id).select_from(from_).where(*where)
    if d.unit == "compound":  # one row per compound: filter directly
        return query.where(num if met else ~num)
    query = query.group_by(Compound.id)
    meeting, rows = sa.func.count(sa.case((num, 1))), sa.func.count()
    return query.having(meeting == rows if met else meeting < rows)


# --- targets ---------------------------------------------------------------------------------

def targets_for(campaign: Campaign) -> dict[str, list[Target]]:
    """key -> the campaign's targets for that indicator, earliest due date first."""
    result: dict[str, list[Target]] = {}
    for target in db.session.scalars(sa.select(Target).where(Target.campaign_id == campaign.id)
                                     .order_by(Target.due_on)):
        result.setdefault(target.indicator.name, []).append(target)
    return result


def target_on(targets: list[Target], as_of: dt.date) -> Target | None:
    """The target a date is judged against: the next one due, or the last one once all are due."""
    upcoming = [t for t in targets if t.due_on >= as_of]
    return upcoming[0] if upcoming else (targets[-1] if targets else None)


def status_against_target(rate: Rate, target: Target, as_of: dt.date) -> str:
    """"met" when the rate reaches the threshold; otherwise "not_met" once the due date is
    reached and "pending" before it.  An empty denominator is met: nothing is behind, and
    compounds_behind(met=False) is empty too."""
    # Exact integer/Decimal comparison: 3/5 against 60% is met, without float rounding.
    if rate.numerator * 100 >= Decimal(target.threshold) * rate.denominator:
        return "met"
    return "not_met" if as_of >= target.due_on else "pending"
