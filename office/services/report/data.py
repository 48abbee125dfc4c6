"""What the return shows, read from the database as of a date (the builder's queries).

* Every rate and every "meets / is behind" status comes from office.indicators
  (township_rates, county_rates, compounds_behind, targets_for, target_on,
  status_against_target); this module only selects rows and the dated facts shown beside them
  (the latest contract, disclosure, signboard, prep group …), each bounded by the as-of date so
  that a past date re-reported after later edits gives the same return (GLOSSARY.md).
* All queries of one return run in ONE read transaction (snapshot()): REPEATABLE READ on
  PostgreSQL, a WAL read transaction on SQLite, so a return never mixes rows from before and
  after a clerk's save.
* Detail rows are streamed (server-side cursor on PostgreSQL, yield_per), never loaded whole.
"""
from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm import aliased

from office import indicators as ind
from office.indicators import Rate
from office.kit.i18n import TranslatableError
from office.models import (
    Campaign,
    Compound,
    County,
    Department,
    DirectoryRevision,
    Disclosure,
    DisclosureItem,
    Dispute,
    OwnersCommittee,
    PrepGroup,
    PropertyCompany,
    ServiceContract,
    Signboard,
    Task,
    TaskUpdate,
    Township,
    db,
)

# Indicators shown per compound in the ledger (contact_reported is about departments).
STATUS_KEYS = ("committee_coverage", "office_space", "member_supervision", "contract_signed",
               "fee_disclosure", "signboard_current")
UNIT_LABELS = {"compound": "小区", "committee": "业委会", "member": "成员", "township": "单位"}
STREAM_CHUNK = 2000


class ReportError(TranslatableError):
    """A return that cannot be built, with a message (a msgid) for the clerk."""


# ---------------------------------------------------------------- campaign and snapshot


def choose_campaign(as_of: dt.date, campaign_id: int | None = None) -> Campaign:
    """The campaign given, else the one whose period holds the date, else the latest begun."""
    if campaign_id is not None:
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is None:
            raise ReportError("工作方案（编号 %(id)s）不存在", id=campaign_id)
        return campaign
    rows = list(db.session.scalars(sa.select(Campaign).order_by(Campaign.starts_on.desc(),
                                                                Campaign.id.desc())))
    if not rows:
        raise ReportError("还没有工作方案，无法生成统计报表")
    for campaign in rows:
        if campaign.starts_on <= as_of <= campaign.ends_on:
            return campaign
    begun = [c for c in rows if c.starts_on <= as_of]
    return begun[0] if begun else rows[-1]


def _wal(conn) -> None:
    """SQLite: readers and writers must not block each other while a return is built (the
    job writes its progress, clerks keep saving). WAL is a property of the database file."""
    mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
    if str(mode).lower() != "wal":
        with contextlib.suppress(sa.exc.OperationalError):  # busy: stay as it is
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")


class ReadTransaction:
    """A read-only transaction on its own connection: REPEATABLE READ on PostgreSQL (joining
    another transaction's snapshot when given one), a real BEGIN on SQLite (whose driver opens
    none for a SELECT). close() ends it and returns the connection."""

    def __init__(self, engine: sa.Engine, snapshot_id: str | None = None):
        self.sqlite = engine.dialect.name == "sqlite"
        self.conn = engine.connect()
        if self.sqlite:
            _wal(self.conn)
            self.conn.commit()
            self.dbapi = self.conn.connection.driver_connection
            self.saved = self.dbapi.isolation_level
            self.dbapi.isolation_level = None
            self.conn.exec_driver_sql("BEGIN")
        else:
            self.conn.execution_options(isolation_level="REPEATABLE READ")
            self.conn.begin()
            if snapshot_id:
                self.conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot_id}'")

    def export(self) -> str | None:
        """An id another ReadTransaction can share this snapshot with (PostgreSQL)."""
        if self.sqlite:
            return None
        return self.conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar()

    def close(self) -> None:
        try:
            if self.sqlite:
                if self.dbapi.in_transaction:
                    self.conn.exec_driver_sql("ROLLBACK")
                self.conn.rollback()
                self.dbapi.isolation_level = self.saved
            else:
                self.conn.rollback()
        finally:
            self.conn.close()


@contextlib.contextmanager
def snapshot() -> Iterator[ReadTransaction]:
    """One consistent read transaction for everything in the block, db.session included
    (office.indicators reads through db.session). Nothing is written through it."""
    read = ReadTransaction(db.engine)
    # Joins the connection's transaction; closing it leaves the transaction alone.
    session = orm.Session(bind=read.conn, autoflush=False, expire_on_commit=False,
                          join_transaction_mode="rollback_only")
    registry = db.session.registry
    previous = registry() if registry.has() else None
    registry.set(session)
    try:
        yield read
    finally:
        session.close()
        if previous is not None:
            registry.set(previous)
        else:
            registry.clear()
        read.close()


def stream(select: sa.Select, chunk: int = STREAM_CHUNK, conn=None) -> Iterator[tuple]:
    """Rows as plain tuples, fetched chunk by chunk (a server-side cursor on PostgreSQL),
    through db.session or the given connection."""
    executor = db.session if conn is None else conn
    result = executor.execute(select.execution_options(yield_per=chunk, stream_results=True))
    for part in result.partitions():
        for row in part:
            yield tuple(row)


# ---------------------------------------------------------------- the figures (汇总)


@dataclass(frozen=True)
class TargetInfo:
    threshold: Decimal   # percent
    due_on: dt.date


@dataclass
class Figures:
    """Everything the summary sheet shows, from office.indicators; picklable (fan-out)."""

    as_of: dt.date
    campaign_id: int
    campaign_name: str
    county_name: str
    townships: list[tuple[int, str]]
    by_township: dict[str, dict[int, Rate]]
    county: dict[str, Rate]
    departments: dict[str, Rate]         # the departments' part of a county figure
    targets: dict[str, TargetInfo | None]
    status: dict[str, str | None]        # met / not_met / pending against the target on D
    directory_version: int               # the directory revision in effect on D (0: none)
    units: dict[str, str] = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        return list(ind.INDICATORS)

    def label(self, key: str) -> str:
        return ind.INDICATORS[key].label


def compute_figures(as_of: dt.date, campaign: Campaign) -> Figures:
    by_township = ind.township_rates(as_of, campaign)
    # county_rates(keys=None) would compute township_rates a second time (seconds on a big
    # county); it is by definition their sum plus the departments for contact_reported, so
    # only that indicator is asked again (tests/test_report.py checks the equality).
    county = {key: sum(rates.values(), Rate(0, 0)) for key, rates in by_township.items()}
    contact = ind.county_rates(as_of, campaign, ["contact_reported"])["contact_reported"]
    own = county["contact_reported"]
    departments = {"contact_reported": Rate(contact.numerator - own.numerator,
                                            contact.denominator - own.denominator)}
    county["contact_reported"] = contact
    targets, status = {}, {}
    all_targets = ind.targets_for(campaign)
    for key in ind.INDICATORS:
        target = ind.target_on(all_targets.get(key, []), as_of)
        targets[key] = None if target is None else TargetInfo(Decimal(target.threshold),
                                                              target.due_on)
        status[key] = None if target is None else ind.status_against_target(
            county[key], target, as_of)
    county_row = db.session.get(County, campaign.county_id)
    townships = [tuple(r) for r in db.session.execute(
        sa.select(Township.id, Township.name).where(Township.county_id == campaign.county_id)
        .order_by(Township.id))]
    version = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(DirectoryRevision.number), 0))
        .where(DirectoryRevision.county_id == campaign.county_id,
               DirectoryRevision.effective_on <= as_of))
    return Figures(
        as_of=as_of, campaign_id=campaign.id, campaign_name=campaign.name,
        county_name=county_row.name, townships=townships, by_township=by_township,
        county=county, departments=departments, targets=targets, status=status,
        directory_version=int(version or 0),
        units={k: UNIT_LABELS[d.unit] for k, d in ind.INDICATORS.items()})


# ---------------------------------------------------------------- compounds (sheets 2–5)

COMPOUND_COLUMNS = (
    "id", "township_id", "township", "community", "name", "kind", "households", "delivered_on",
    "mode", "body_kind", "body_term_no", "body_term_end",
    "contract_company", "contract_ends_on", "contract_terminated_on",
    "fee_accounts_on", "service_items_on", "board_version", "board_installed_on",
    "prep_formed_on", "prep_assembly_on", "last_term_end",
)
C = {name: i for i, name in enumerate(COMPOUND_COLUMNS)}  # column positions in a row tuple


def _narrow(select: sa.Select, compound_id_col, township_id: int | None) -> sa.Select:
    """Bound a per-compound subquery to one township (the fan-out's part jobs)."""
    if township_id is None:
        return select
    return select.where(compound_id_col.in_(
        sa.select(Compound.id).where(Compound.township_id == township_id)))


def _latest_contract(as_of, township_id):
    sc = ServiceContract
    order = sa.func.row_number().over(partition_by=sc.compound_id,
                                      order_by=(sc.starts_on.desc(), sc.id.desc()))
    inner = _narrow(
        sa.select(sc.compound_id, PropertyCompany.name.label("company"), sc.ends_on,
                  sa.case((sc.terminated_on <= as_of, sc.terminated_on)).label("terminated_on"),
                  order.label("rn"))
        .join(PropertyCompany, PropertyCompany.id == sc.company_id)
        .where(sc.starts_on <= as_of, sc.signed_on <= as_of),
        sc.compound_id, township_id).subquery("contracts")
    return sa.select(inner).where(inner.c.rn == 1).subquery("contract")


def _disclosed_on(as_of, township_id):
    d = Disclosure

    def last(item):
        return sa.func.max(sa.case((d.item == item, d.published_on)))

    return _narrow(
        sa.select(d.compound_id, last(DisclosureItem.fee_accounts).label("fee_accounts_on"),
                  last(DisclosureItem.service_items).label("service_items_on"))
        .where(d.item.in_([DisclosureItem.fee_accounts, DisclosureItem.service_items]),
               d.published_on <= as_of)
        .group_by(d.compound_id), d.compound_id, township_id).subquery("disclosed")


def _boards(as_of, township_id):
    b = Signboard
    return _narrow(
        sa.select(b.compound_id, sa.func.max(b.directory_version).label("version"),
                  sa.func.max(b.installed_on).label("installed_on"))
        .where(b.installed_on <= as_of, sa.or_(b.removed_on.is_(None), b.removed_on > as_of))
        .group_by(b.compound_id), b.compound_id, township_id).subquery("boards")


def _prep_groups(as_of, township_id):
    p = PrepGroup
    return _narrow(
        sa.select(p.compound_id, sa.func.max(p.formed_on).label("formed_on"),
                  sa.func.max(sa.case((p.assembly_on <= as_of, p.assembly_on)))
                  .label("assembly_on"))
        .where(p.formed_on <= as_of).group_by(p.compound_id),
        p.compound_id, township_id).subquery("prep")


def _past_terms(as_of, township_id):
    oc = OwnersCommittee
    return _narrow(
        sa.select(oc.compound_id, sa.func.max(oc.term_end).label("term_end"))
        .where(oc.elected_on <= as_of).group_by(oc.compound_id),
        oc.compound_id, township_id).subquery("past_terms")


def compound_query(as_of: dt.date, campaign: Campaign,
                   township_id: int | None = None) -> sa.Select:
    """Every compound of the county (or of one township) with the dated facts the sheets
    show, ordered by township, community, name. Which of them exist on D, and how each stands
    on the indicators, comes from Statuses."""
    body = aliased(OwnersCommittee, name="body")
    contract = _latest_contract(as_of, township_id)
    disclosed = _disclosed_on(as_of, township_id)
    boards = _boards(as_of, township_id)
    prep = _prep_groups(as_of, township_id)
    past = _past_terms(as_of, township_id)
    from_ = (sa.join(Compound, Township, Compound.township_id == Township.id)
             .outerjoin(body, sa.and_(body.compound_id == Compound.id,
                                      ind.active_body(as_of, campaign, body)))
             .outerjoin(contract, contract.c.compound_id == Compound.id)
             .outerjoin(disclosed, disclosed.c.compound_id == Compound.id)
             .outerjoin(boards, boards.c.compound_id == Compound.id)
             .outerjoin(prep, prep.c.compound_id == Compound.id)
             .outerjoin(past, past.c.compound_id == Compound.id))
    query = sa.select(
        Compound.id, Compound.township_id, Township.name, Compound.community, Compound.name,
        Compound.kind, Compound.households, Compound.delivered_on, Compound.management_mode,
        body.kind, body.term_no, body.term_end,
        contract.c.company, contract.c.ends_on, contract.c.terminated_on,
        disclosed.c.fee_accounts_on, disclosed.c.service_items_on,
        boards.c.version, boards.c.installed_on,
        prep.c.formed_on, prep.c.assembly_on, past.c.term_end,
    ).select_from(from_).where(Township.county_id == campaign.county_id)
    if township_id is not None:
        query = query.where(Compound.township_id == township_id)
    return query.order_by(Compound.township_id, Compound.community, Compound.name, Compound.id)


# ---------------------------------------------------------------- disputes and tasks

DISPUTE_COLUMNS = ("id", "township_id", "township", "compound", "received_on", "parties",
                   "summary", "mediator", "resolved_on")


def dispute_query(as_of: dt.date, campaign: Campaign,
                  township_id: int | None = None) -> sa.Select:
    """Disputes received by D; resolved_on only when it is on or before D."""
    d = Dispute
    query = (
        sa.select(d.id, Compound.township_id, Township.name, Compound.name, d.received_on,
                  d.parties, d.summary, d.mediator,
                  sa.case((d.resolved_on <= as_of, d.resolved_on)))
        .join(Compound, Compound.id == d.compound_id)
        .join(Township, Township.id == Compound.township_id)
        .where(Township.county_id == campaign.county_id, d.received_on <= as_of))
    if township_id is not None:
        query = query.where(Compound.township_id == township_id)
    return query.order_by(Compound.township_id, d.received_on, d.id)


TASK_COLUMNS = ("id", "step_no", "title", "township", "department", "due_on", "done_on",
                "progress", "note", "noted_on")


def task_query(as_of: dt.date, campaign: Campaign) -> sa.Select:
    """The campaign's tasks with their progress as of D: the latest update noted by D, and
    done only when done_on is on or before D (a task's status field has no history)."""
    tu = TaskUpdate
    order = sa.func.row_number().over(partition_by=tu.task_id,
                                      order_by=(tu.noted_on.desc(), tu.id.desc()))
    updates = (sa.select(tu.task_id, tu.progress, tu.note, tu.noted_on, order.label("rn"))
               .where(tu.noted_on <= as_of).subquery("updates"))
    latest = sa.select(updates).where(updates.c.rn == 1).subquery("latest")
    t = Task
    return (
        sa.select(t.id, t.step_no, t.title, Township.name, Department.name, t.due_on,
                  sa.case((t.done_on <= as_of, t.done_on)), latest.c.progress, latest.c.note,
                  latest.c.noted_on)
        .outerjoin(Township, Township.id == t.township_id)
        .outerjoin(Department, Department.id == t.department_id)
        .outerjoin(latest, latest.c.task_id == t.id)
        .where(t.campaign_id == campaign.id)
        .order_by(t.step_no, t.due_on, t.township_id.is_(None), t.township_id,
                  t.department_id, t.id))
