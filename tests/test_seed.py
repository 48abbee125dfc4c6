"""office/demo/seed.py: the demo county is deterministic, seeded once, valid and realistic.

These tests need an EMPTY database (not the tiny factory county): `empty` truncates it, and
`demo` seeds the default county (300 compounds, seed 2020) once for the read-only checks.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections import Counter
from decimal import Decimal

import pytest
import sqlalchemy as sa
from stdnum.cn import uscc

from office.demo.seed import seed_demo
from office.models import (
    Campaign,
    ChangeLog,
    CommitteeKind,
    CommitteeMember,
    Compound,
    CompoundKind,
    ContactPoint,
    ContractKind,
    County,
    Department,
    DirectoryRevision,
    Disclosure,
    DisclosureItem,
    ManagementMode,
    MemberRole,
    OfficeSpace,
    OwnersCommittee,
    PriceReviewStatus,
    PropertyCompany,
    ServiceContract,
    Signboard,
    Target,
    Task,
    TaskStatus,
    TaskUpdate,
    Township,
    TownshipKind,
    db,
)
from tests.conftest import IS_POSTGRES, _truncate_business_tables, count

AS_OF = dt.date(2020, 10, 15)     # the 2020 campaign's city inspection: the history
TODAY = dt.date(2026, 12, 7)      # the demo's today (the current campaign, demo/current.py)
FRAMEWORK_TABLES = {"alembic_version"}
_state = {"demo": None}  # the counts of the default county while it is in the database


def _business_tables():
    return [t for t in db.metadata.sorted_tables
            if not t.name.startswith("ab_") and t.name not in FRAMEWORK_TABLES]


def _digest() -> str:
    """Every row of every business table, by id, without the timestamps."""
    h = hashlib.sha256()
    for table in _business_tables():
        cols = [c for c in table.c if c.name not in ("created_at", "updated_at")]
        h.update(table.name.encode())
        for row in db.session.execute(sa.select(*cols).order_by(table.c.id)):
            h.update(repr(tuple(row)).encode())
    return h.hexdigest()


@pytest.fixture()
def empty(app):
    with app.app_context():
        _truncate_business_tables()
        _state["demo"] = None
        yield
        db.session.remove()


@pytest.fixture()
def demo(app):
    """The default demo county, seeded once for all the read-only tests below."""
    with app.app_context():
        if _state["demo"] is None or count(Compound) != 300:
            _truncate_business_tables()
            _state["demo"] = seed_demo(today=TODAY)
        yield _state["demo"]
        db.session.remove()


# --- determinism and the once-only guard ---------------------------------------------------

def test_same_seed_same_rows_other_seed_other_rows(empty):
    seed_demo(compounds=120, seed=5)
    first = _digest()
    _truncate_business_tables()
    seed_demo(compounds=120, seed=5)
    assert _digest() == first
    _truncate_business_tables()
    seed_demo(compounds=120, seed=6)
    assert _digest() != first


def test_seeds_once(empty):
    counts = seed_demo(compounds=40, seed=1)
    assert counts["compounds"] == 40
    before = _digest()
    assert seed_demo(compounds=40, seed=1) == {}
    assert seed_demo(compounds=500, seed=9) == {}
    assert _digest() == before


def test_counts_are_the_rows_written(empty):
    counts = seed_demo(compounds=80, seed=3)
    tables = {t.name: t for t in _business_tables()}
    from office.demo.seed import LABELS
    for table, label in LABELS.items():
        assert counts[label] == count(tables[table]), table
    assert count(ChangeLog) == 0  # bulk seeding is not a clerk's edit: no audit rows


def test_failure_leaves_nothing_behind(empty, monkeypatch):
    import office.demo.seed as seed

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(seed, "build_compounds", broken)
    with pytest.raises(RuntimeError):
        seed.seed_demo(compounds=20)
    assert count(County) == 0 and count(Township) == 0
    monkeypatch.undo()
    assert seed.seed_demo(compounds=20)["compounds"] == 20


def test_rejects_empty_county(empty):
    with pytest.raises(ValueError):
        seed_demo(compounds=0)


def test_new_rows_get_fresh_ids_after_seeding(empty):
    """On PostgreSQL the sequences are moved past the seeded ids."""
    seed_demo(compounds=30, seed=2)
    county = db.session.scalar(sa.select(County))
    top = db.session.scalar(sa.select(sa.func.max(Township.id)))
    township = Township(county=county, name="新设街道", kind=TownshipKind.street)
    db.session.add(township)
    db.session.commit()
    assert township.id > top


def test_cli_seed_demo(app, empty):
    result = app.test_cli_runner().invoke(args=["office", "seed-demo", "--compounds", "25"])
    assert result.exit_code == 0, result.output
    assert "compounds=25" in result.output and "townships=3" in result.output


def test_small_county_timing_smoke(empty):
    """Not a benchmark (that is `seed-demo --compounds 200000`): children scale with compounds."""
    started = time.perf_counter()
    counts = seed_demo(compounds=2000, seed=11)
    elapsed = time.perf_counter() - started
    print(f"seed_demo(2000): {elapsed:.2f}s, {sum(counts.values())} rows")
    assert counts["compounds"] == 2000 and counts["townships"] == 20
    assert counts["property_companies"] == 400
    assert counts["committee_members"] > 5 * counts["compounds"]


# --- what the default county contains -------------------------------------------------------

def test_enums_round_trip_through_the_orm(demo):
    c = db.session.scalars(sa.select(Compound).order_by(Compound.id)).first()
    assert isinstance(c.kind, CompoundKind) and isinstance(c.management_mode, ManagementMode)
    assert isinstance(c.delivered_on, dt.date) and c.version == 1
    contract = db.session.scalars(sa.select(ServiceContract)).first()
    assert isinstance(contract.fee, Decimal) and isinstance(contract.kind, ContractKind)
    assert isinstance(db.session.scalars(sa.select(OwnersCommittee)).first().office_space,
                      OfficeSpace)


def test_every_kind_and_mode_present(demo):
    def present(column):
        return set(db.session.scalars(sa.select(column).distinct()))

    assert present(Compound.kind) == set(CompoundKind)
    assert present(Compound.management_mode) == set(ManagementMode)
    assert present(Township.kind) == set(TownshipKind)
    assert present(OwnersCommittee.kind) == set(CommitteeKind)
    assert present(OwnersCommittee.office_space) == set(OfficeSpace)
    assert present(ServiceContract.kind) == set(ContractKind)
    assert present(ServiceContract.price_review_status) == set(PriceReviewStatus)
    assert present(Task.status) == set(TaskStatus)
    assert {DisclosureItem.fee_accounts, DisclosureItem.service_items} <= present(Disclosure.item)
    assert present(CommitteeMember.role) == set(MemberRole)


def test_county_townships_departments(demo):
    assert db.session.scalars(sa.select(County.name)).all() == ["示例县"]
    townships = db.session.scalars(sa.select(Township.name)).all()
    assert len(townships) == 20 and "城关街道" in townships
    departments = dict(db.session.execute(sa.select(Department.short_name, Department.name)).all())
    assert set(departments) == {"住建", "公安", "民政", "财政", "市场监管", "发改", "规划",
                                "自然资源", "综合执法"}
    assert departments["住建"] == "县住建局"


def test_compounds_are_plausible(demo):
    rows = db.session.execute(sa.select(Compound.township_id, Compound.name, Compound.households,
                                        Compound.delivered_on)).all()
    assert len({(t, n) for t, n, _, _ in rows}) == len(rows) == 300
    assert sum("花园" in n for _, n, _, _ in rows) >= 30  # benchmarks search for 花园
    assert all(40 <= h <= 3000 for _, _, h, _ in rows)
    assert all(d <= AS_OF for _, _, _, d in rows)
    # The company of a company-managed compound is the company of its latest contract.
    company_managed = db.session.execute(
        sa.select(Compound.id, Compound.company_id)
        .where(Compound.management_mode == ManagementMode.company)).all()
    assert all(company for _, company in company_managed)
    latest = dict(db.session.execute(
        sa.select(ServiceContract.compound_id, ServiceContract.company_id)
        .order_by(ServiceContract.compound_id, ServiceContract.starts_on)).all())
    assert all(latest[cid] == company for cid, company in company_managed)


def test_companies_have_valid_unique_codes(demo):
    codes = db.session.scalars(sa.select(PropertyCompany.uscc)).all()
    assert len(codes) == 60 and len(set(codes)) == 60
    assert all(uscc.is_valid(code) for code in codes)
    names = db.session.scalars(sa.select(PropertyCompany.name)).all()
    assert len(set(names)) == 60 and all(n.endswith("公司") for n in names)


def test_committees_have_odd_membership(demo):
    """Elected seats (chair, vice chairs, members; not alternates) are odd, 5 to 11, with one
    chair; members who resigned were replaced, so the seats in office are odd too."""
    m, oc = CommitteeMember, OwnersCommittee
    elected = db.session.execute(
        sa.select(oc.id, sa.func.count(), sa.func.count(sa.case((m.role == MemberRole.chair, 1))))
        .join(m, m.committee_id == oc.id)
        .where(m.role != MemberRole.alternate, m.joined_on == oc.elected_on)
        .group_by(oc.id)).all()
    assert len(elected) == count(OwnersCommittee)
    assert all(n % 2 == 1 and 5 <= n <= 11 and chairs == 1 for _, n, chairs in elected)
    seated = db.session.execute(
        sa.select(oc.id, sa.func.count()).join(m, m.committee_id == oc.id)
        .where(m.role != MemberRole.alternate, oc.elected_on <= AS_OF,
               sa.or_(oc.dissolved_on.is_(None), oc.dissolved_on > AS_OF), oc.term_end >= AS_OF,
               m.joined_on <= AS_OF, sa.or_(m.left_on.is_(None), m.left_on > AS_OF))
        .group_by(oc.id)).all()
    assert seated and all(n % 2 == 1 and 5 <= n <= 11 for _, n in seated)


def test_committee_histories(demo):
    oc = OwnersCommittee
    later = sa.orm.aliased(OwnersCommittee)
    superseded = sa.select(later.id).where(later.compound_id == oc.compound_id,
                                           later.term_no > oc.term_no).exists()
    lapsed = count(sa.select(oc.id).where(oc.term_end < AS_OF, oc.dissolved_on.is_(None),
                                          ~superseded).subquery())
    dissolved = count(sa.select(oc.id).where(oc.dissolved_on.is_not(None)).subquery())
    re_elected = count(sa.select(oc.id).where(oc.term_no > 1).subquery())
    assert lapsed and dissolved and re_elected
    assert db.session.scalar(sa.select(sa.func.max(oc.term_end - oc.elected_on))) is not None


def test_contracts_signboards_contacts_vary(demo):
    sc = ServiceContract
    assert count(sa.select(sc.id).where(sc.ends_on < AS_OF).subquery())            # expired
    assert count(sa.select(sc.id).where(sc.terminated_on.is_not(None)).subquery())  # terminated
    reset = db.session.scalars(sa.select(sc).where(
        sc.price_review_status == PriceReviewStatus.reset)).all()
    assert reset and all(r.approved_fee < r.fee and r.reviewed_on for r in reset)
    revisions = db.session.execute(sa.select(DirectoryRevision.number,
                                             DirectoryRevision.effective_on)).all()
    assert sorted(n for n, _ in revisions) == [1, 2, 3, 4]
    assert all(on.year == 2020 for n, on in revisions if n <= 3)
    assert dict(revisions)[4] == TODAY - dt.timedelta(days=40)  # this year's change
    sb = Signboard
    stale = sa.select(sb.id).where(sb.directory_version < 3, sb.removed_on.is_(None))
    assert count(stale.subquery()) and count(sa.select(sb.id).where(
        sb.removed_on.is_not(None)).subquery())
    boarded = sa.select(sb.compound_id)
    assert count(sa.select(Compound.id).where(Compound.id.not_in(boarded)).subquery())
    silent = sa.select(ContactPoint.id).where(ContactPoint.complaint_phone.is_(None))
    assert count(silent.where(ContactPoint.department_id.is_not(None)).subquery())
    assert count(silent.where(ContactPoint.township_id.is_not(None)).subquery())


def test_campaign_targets_and_tasks(demo):
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.year == 2020))
    assert (campaign.year, campaign.starts_on, campaign.ends_on) == (
        2020, dt.date(2020, 6, 1), dt.date(2021, 12, 31))
    targets = {(t.indicator.name, int(t.threshold), t.due_on)
               for t in db.session.scalars(sa.select(Target)
                                           .where(Target.campaign_id == campaign.id))}
    assert ("committee_coverage", 60, dt.date(2020, 12, 31)) in targets
    assert ("committee_coverage", 100, dt.date(2021, 12, 31)) in targets
    assert ("contract_signed", 100, dt.date(2020, 9, 30)) in targets
    assert ("signboard_current", 100, dt.date(2020, 8, 31)) in targets
    assert ("contact_reported", 100, dt.date(2020, 8, 31)) in targets
    assert {"office_space", "member_supervision", "fee_disclosure"} <= {k for k, _, _ in targets}
    tasks = db.session.scalars(sa.select(Task).where(Task.campaign_id == campaign.id)).all()
    assert {t.step_no for t in tasks} == {1, 2, 3}
    assert {t.due_on for t in tasks} == {dt.date(2020, 7, 31), dt.date(2020, 8, 31),
                                         dt.date(2020, 9, 30), dt.date(2020, 10, 15)}
    assert all((t.township_id is None) != (t.department_id is None) for t in tasks)
    assert any(t.status == TaskStatus.done for t in tasks)
    # the campaign ended in 2021: what was left was finished late, except phones never reported
    assert any(t.done_on and t.done_on > AS_OF for t in tasks)
    assert all(t.indicator.name == "contact_reported" for t in tasks
               if t.status != TaskStatus.done)
    assert all((t.status == TaskStatus.done) == (t.done_on is not None) for t in tasks)
    assert count(TaskUpdate)
    # A township's or department's phone task is done exactly when the phone was reported.
    reported = {(cp.township_id, cp.department_id): cp.reported_on
                for cp in db.session.scalars(sa.select(ContactPoint))}
    for t in tasks:
        if t.indicator and t.indicator.name == "contact_reported":
            assert t.done_on == reported[(t.township_id, t.department_id)]


def test_nothing_happens_after_today(demo):
    """The county runs from its history to today: no event is dated after today (its
    deadlines may be; the 2020 history is checked as of 2020-10-15 below)."""
    from office import models as m
    events = [m.OwnersCommittee.elected_on, m.OwnersCommittee.filed_on,
              m.OwnersCommittee.dissolved_on, m.CommitteeMember.joined_on,
              m.CommitteeMember.left_on, m.SupervisionRecord.held_on, m.ArchiveItem.checked_on,
              m.PrepGroup.formed_on, m.ServiceContract.signed_on, m.ServiceContract.starts_on,
              m.ServiceContract.terminated_on, m.ServiceContract.reviewed_on,
              m.Disclosure.published_on, m.Signboard.installed_on, m.Signboard.removed_on,
              m.Dispute.received_on, m.Dispute.resolved_on, m.Finding.found_on,
              m.Finding.closed_on, m.ContactPoint.reported_on, m.Task.done_on,
              m.TaskUpdate.noted_on, m.Compound.delivered_on]
    for column in events:
        assert db.session.scalar(sa.select(sa.func.max(column))) <= TODAY, column


def test_every_indicator_strictly_between_0_and_100(demo):
    """The demo shows progress, not a finished or an empty campaign (GLOSSARY.md)."""
    from office.indicators import INDICATORS, county_rates

    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.year == 2020))
    rates = county_rates(AS_OF, campaign)
    assert set(rates) == set(INDICATORS)
    for key, rate in rates.items():
        assert rate.denominator and 0 < rate.percent < 100, (key, rate)
    assert 50 <= rates["committee_coverage"].percent <= 70
    assert Counter(r.percent > 0 for r in rates.values())[True] == 7


# --- the compound search index after the bulk load ------------------------------------------
# On SQLite the seeder drops the FTS5 index's triggers, fills the index in one statement and
# creates the triggers again (office/kit/grid/search_ddl.py); on PostgreSQL the pg_trgm
# indexes follow the COPY. Either way the grid's search must find exactly the seeded rows and
# keep following later edits.

def _grid_client(app):
    from office.services.users import create_user
    from tests.conftest import PASSWORD

    create_user("seed_clerk", "BureauClerk", PASSWORD)
    client = app.test_client()
    resp = client.post("/login/", data={"username": "seed_clerk", "password": PASSWORD})
    assert resp.status_code == 302

    def search(term: str) -> set[int]:
        resp = client.get("/compoundview/grid/data", query_string={"q": term, "size": 500})
        assert resp.status_code == 200, resp.get_data(as_text=True)
        body = resp.get_json()
        assert not body["has_more"]
        return {row["id"] for row in body["data"]}

    return search


def _containing(term: str) -> set[int]:
    """Compounds whose search columns contain ``term``, computed in Python."""
    return {c.id for c in db.session.scalars(sa.select(Compound))
            if any(term in (text or "") for text in (
                c.name, c.community, c.address, c.township.name,
                c.company.name if c.company else None))}


def _fts_ids(term: str) -> set[int] | None:
    """SQLite: the rows the FTS5 table itself answers for ``term`` (None on PostgreSQL)."""
    from office.kit.grid.search import fts_match

    if IS_POSTGRES:
        return None
    return set(db.session.scalars(sa.text(
        "SELECT rowid FROM fts_compound WHERE fts_compound MATCH :m"), {"m": fts_match(term)}))


def _search_triggers() -> dict[str, str]:
    return dict(db.session.execute(sa.text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'compound'")
    ).all())


def test_search_finds_seeded_compounds_and_follows_later_edits(app, empty):
    from office.kit.grid import search_ddl as grid_search_ddl

    seed_demo(compounds=150, seed=8)
    search = _grid_client(app)
    garden = _containing("花园")
    assert len(garden) >= 15
    assert search("花园") == garden  # 2 characters: the bigram column
    name = db.session.scalar(sa.select(Compound.name).where(Compound.name.like("%花园%"))
                             .order_by(Compound.id))
    assert search(name) == _containing(name)  # 3+ characters: trigrams
    if not IS_POSTGRES:
        indexed = {c.id for c in db.session.scalars(sa.select(Compound))
                   if any("花园" in (t or "") for t in (c.name, c.community, c.address))}
        assert _fts_ids("花园") == indexed  # the FTS table itself holds the seeded rows
        # The triggers are back, exactly as the migration created them.
        assert sorted(_search_triggers().values()) == sorted(
            grid_search_ddl.triggers("compound"))

    # Later inserts, updates and deletes are still indexed (by the triggers on SQLite).
    township = db.session.scalar(sa.select(Township).order_by(Township.id))
    added = Compound(township=township, name="翠湖花园新苑", kind=CompoundKind.commercial,
                     households=120, management_mode=ManagementMode.none)
    db.session.add(added)
    renamed = db.session.get(Compound, min(garden))
    renamed.name, renamed.community, renamed.address = "青松名邸", "青松社区", "青松路1号"
    db.session.commit()
    garden = (garden | {added.id}) - {renamed.id}
    assert search("花园") == garden == _containing("花园")
    assert search("翠湖花园新") == {added.id}
    assert search("青松名邸") == {renamed.id}
    if not IS_POSTGRES:
        assert _fts_ids("翠湖花园新") == {added.id} and _fts_ids("青松名邸") == {renamed.id}
    db.session.delete(added)
    db.session.commit()
    assert search("翠湖花园新") == set() and search("花园") == garden - {added.id}
    if not IS_POSTGRES:
        assert _fts_ids("翠湖花园新") == set()


@pytest.mark.parametrize("failure", ["exception", "refused row"])
def test_failed_seeding_keeps_the_search_index(app, empty, monkeypatch, failure):
    """A failure after compounds were written - an exception, or a row the database refuses
    (on SQLite INSERT OR ROLLBACK ends the transaction itself) - leaves no rows, and the
    search index's triggers as they were."""
    import office.demo.seed as seed

    triggers_before = None if IS_POSTGRES else _search_triggers()
    assert triggers_before is None or len(triggers_before) == 3
    real = seed.build_compounds

    def broken(sink, *args, **kwargs):
        real(sink, *args, **kwargs)
        first = sink.rows["compound"][0]
        sink.flush()  # the compounds are in the table when it fails
        assert count(Compound) == 12
        if failure == "exception":
            raise RuntimeError("boom")
        sink.add("compound", (sink.ids("compound")(), *first[1:]))  # same township and name
        sink.flush()

    monkeypatch.setattr(seed, "build_compounds", broken)
    # A refused row: SQLAlchemy's IntegrityError on SQLite, psycopg's from COPY on PostgreSQL.
    with pytest.raises(Exception, match="boom" if failure == "exception" else "(?i)unique"):
        seed.seed_demo(compounds=12)
    db.session.rollback()
    assert count(County) == 0 and count(Compound) == 0
    if not IS_POSTGRES:
        assert _search_triggers() == triggers_before
        assert _fts_ids("社区") == set()
    monkeypatch.undo()
    seed.seed_demo(compounds=12, seed=4)
    search = _grid_client(app)
    assert search("社区") == _containing("社区") and _containing("社区")
