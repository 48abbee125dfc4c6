"""office/indicators.py: exact numerators and denominators for every edge case, as of a date.

The base county (tests/factories.py) has, per township A and B, one compound delivered in 2013
and managed by a company, an active committee (2019-03-01 .. 2024-02-28, dedicated office) with
one member supervised on 2020-06-01, an assembly contract 2019-07-01 .. 2022-06-30, a
fee_accounts disclosure on 2020-07-10, a board of directory version 1 (revision 1 effective
2020-07-01) and an unreported township and department contact. The campaign starts 2020-06-01.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from office.indicators import (
    INDICATORS,
    Rate,
    compounds_behind,
    county_rates,
    status_against_target,
    target_on,
    targets_for,
    township_rates,
)
from office.models import (
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
    FeeModel,
    Indicator,
    ManagementMode,
    MemberRole,
    OfficeSpace,
    OwnersCommittee,
    PriceRegime,
    ServiceContract,
    ServiceGrade,
    Signboard,
    SupervisionKind,
    SupervisionRecord,
    Target,
    Township,
    TownshipKind,
    db,
)

D = dt.date
AS_OF = D(2020, 9, 1)
DAY = dt.timedelta(days=1)


# --- builders --------------------------------------------------------------------------------

def compound(township, name, mode=ManagementMode.company, delivered_on=D(2015, 1, 1)):
    c = Compound(township=township, name=name, kind=CompoundKind.commercial, households=100,
                 delivered_on=delivered_on, management_mode=mode)
    db.session.add(c)
    return c


def committee(c, term_no=1, kind=CommitteeKind.committee, elected_on=D(2019, 1, 1),
              term_end=D(2023, 12, 31), dissolved_on=None, office=OfficeSpace.dedicated):
    oc = OwnersCommittee(compound=c, kind=kind, term_no=term_no, elected_on=elected_on,
                         term_end=term_end, dissolved_on=dissolved_on, office_space=office)
    db.session.add(oc)
    return oc


def member(oc, name, joined_on=D(2019, 1, 1), left_on=None, supervised_on=()):
    m = CommitteeMember(committee=oc, name=name, role=MemberRole.member, joined_on=joined_on,
                        left_on=left_on)
    db.session.add(m)
    for day in supervised_on:
        db.session.add(SupervisionRecord(member=m, kind=SupervisionKind.guidance, held_on=day))
    return m


def contract(c, company, starts_on=D(2020, 1, 1), ends_on=D(2022, 12, 31), terminated_on=None,
             kind=ContractKind.assembly):
    sc = ServiceContract(compound=c, company=company, kind=kind, signed_on=starts_on,
                         starts_on=starts_on, ends_on=ends_on, terminated_on=terminated_on,
                         service_grade=ServiceGrade.grade3, price_regime=PriceRegime.market,
                         fee_model=FeeModel.lump_sum, fee=Decimal("1.00"))
    db.session.add(sc)
    return sc


def disclose(c, item, published_on):
    db.session.add(Disclosure(compound=c, item=item, published_on=published_on))


def board(c, version, installed_on=D(2020, 8, 1), removed_on=None):
    s = Signboard(compound=c, directory_version=version, installed_on=installed_on,
                  removed_on=removed_on)
    db.session.add(s)
    return s


def rates(county, as_of=AS_OF, key=None):
    """{township name: (n, d)} for one key, plus the county figure under "county"."""
    names = {county.a.township.id: "A", county.b.township.id: "B"}
    by_township = township_rates(as_of, county.campaign, [key])[key]
    result = {names.get(tid, tid): (r.numerator, r.denominator) for tid, r in by_township.items()}
    total = county_rates(as_of, county.campaign, [key])[key]
    result["county"] = (total.numerator, total.denominator)
    return result


def behind(county, key, met, as_of=AS_OF):
    ids = db.session.scalars(compounds_behind(key, as_of, county.campaign, met)).all()
    assert len(ids) == len(set(ids)), "each compound once"
    return set(db.session.scalars(sa.select(Compound.name).where(Compound.id.in_(ids))))


# --- API basics ------------------------------------------------------------------------------

def test_rate_percent():
    assert Rate(0, 0).percent is None
    assert Rate(1, 4).percent == 25.0
    assert Rate(3, 3).percent == 100.0
    assert Rate(1, 2) + Rate(0, 3) == Rate(1, 5)


def test_every_indicator_defined_with_chinese_label():
    assert set(INDICATORS) == {i.name for i in Indicator}
    for key, d in INDICATORS.items():
        assert d.key == key and d.label == Indicator[key].value
    assert INDICATORS["committee_coverage"].label == "业委会组建率"


def test_base_county_all_indicators(county):
    a, b = county.a.township.id, county.b.township.id
    by_township = township_rates(AS_OF, county.campaign)
    expected = {
        "committee_coverage": (1, 1), "office_space": (1, 1), "member_supervision": (1, 1),
        "contract_signed": (1, 1), "fee_disclosure": (0, 1), "signboard_current": (1, 1),
        "contact_reported": (0, 1),
    }
    for key, nd in expected.items():
        assert by_township[key] == {a: Rate(*nd), b: Rate(*nd)}, key
    totals = county_rates(AS_OF, county.campaign)
    assert totals == {
        "committee_coverage": Rate(2, 2), "office_space": Rate(2, 2),
        "member_supervision": Rate(2, 2), "contract_signed": Rate(2, 2),
        "fee_disclosure": Rate(0, 2), "signboard_current": Rate(2, 2),
        "contact_reported": Rate(0, 4),  # 2 townships + 2 departments
    }


def test_indicator_query_matches_township_rates(county):
    county.a.contact.reported_on = D(2020, 8, 1)
    db.session.commit()
    for key, d in INDICATORS.items():
        rows = db.session.execute(d.query(AS_OF, county.campaign)).all()
        expected = township_rates(AS_OF, county.campaign, [key])[key]
        assert {tid: Rate(n, den) for tid, n, den in rows if den} == expected, key
    assert township_rates(AS_OF, county.campaign, ["contact_reported"])["contact_reported"] == {
        county.a.township.id: Rate(1, 1), county.b.township.id: Rate(0, 1)}


def test_keys_subset_and_unknown_key(county):
    assert set(township_rates(AS_OF, county.campaign, ["office_space"])) == {"office_space"}
    keys = (k for k in ["office_space", "fee_disclosure"])   # any iterable
    assert county_rates(AS_OF, county.campaign, keys) == {
        "office_space": Rate(2, 2), "fee_disclosure": Rate(0, 2)}
    with pytest.raises(ValueError):
        county_rates(AS_OF, county.campaign, ["no_such_rate"])


def test_other_county_is_not_counted(county):
    other = County(name="邻县")
    t = Township(county=other, name="邻镇", kind=TownshipKind.township)
    c = compound(t, "邻县小区")
    committee(c)
    db.session.add(Department(county=other, name="邻县公安局", short_name="公安"))
    db.session.commit()
    assert rates(county, key="committee_coverage") == {"A": (1, 1), "B": (1, 1), "county": (2, 2)}
    assert rates(county, key="contact_reported")["county"] == (0, 4)


# --- committee_coverage ----------------------------------------------------------------------

def test_coverage_dissolved_and_expired(county):
    ta = county.a.township
    dissolved = compound(ta, "解散小区")
    committee(dissolved, dissolved_on=AS_OF)            # dissolved on D: no longer active on D
    dissolving = compound(ta, "将解散小区")
    committee(dissolving, dissolved_on=AS_OF + DAY)     # dissolved the day after: active on D
    expired = compound(ta, "到期小区")
    committee(expired, term_end=AS_OF - DAY)            # 到期未换届: does not count
    last_day = compound(ta, "任期末日小区")
    committee(last_day, term_end=AS_OF)                 # last day of the term still counts
    future = compound(ta, "未选举小区")
    committee(future, elected_on=AS_OF + DAY, term_end=D(2025, 9, 1))
    db.session.commit()
    assert rates(county, key="committee_coverage") == {"A": (3, 6), "B": (1, 1), "county": (4, 7)}
    assert behind(county, "committee_coverage", met=False) == {"到期小区", "未选举小区", "解散小区"}
    assert behind(county, "committee_coverage", met=True) == {
        "任期末日小区", "将解散小区", "幸福花园A", "幸福花园B"}
    # the day before, the dissolved one and the expired one were still active
    assert rates(county, AS_OF - DAY, "committee_coverage")["A"] == (5, 6)


def test_coverage_interim_bodies_by_setting(county):
    c = compound(county.b.township, "物管会小区")
    committee(c, kind=CommitteeKind.interim, office=OfficeSpace.temporary)
    db.session.commit()
    county.campaign.interim_counts = False
    assert rates(county, key="committee_coverage") == {"A": (1, 1), "B": (1, 2), "county": (2, 3)}
    assert rates(county, key="office_space")["B"] == (1, 1)
    county.campaign.interim_counts = True
    assert rates(county, key="committee_coverage") == {"A": (1, 1), "B": (2, 2), "county": (3, 3)}
    assert rates(county, key="office_space")["B"] == (2, 2)


def test_coverage_counts_delivered_compounds_only(county):
    ta = county.a.township
    compound(ta, "未交付小区", delivered_on=AS_OF + DAY)
    compound(ta, "交付当日小区", delivered_on=AS_OF)
    compound(ta, "交付日期不详小区", delivered_on=None)
    db.session.commit()
    assert rates(county, key="committee_coverage")["A"] == (1, 3)
    assert rates(county, key="signboard_current")["A"] == (1, 3)
    assert rates(county, AS_OF + DAY, "committee_coverage")["A"] == (1, 4)


def test_reelection_supersedes_the_old_term(county):
    """Term 2 elected before term 1 ended (term 1 never marked dissolved): counted once."""
    c = compound(county.a.township, "换届小区")
    old = committee(c, term_no=1, elected_on=D(2016, 1, 1), term_end=D(2020, 12, 31),
                    office=OfficeSpace.dedicated)
    new = committee(c, term_no=2, elected_on=D(2020, 8, 15), term_end=D(2025, 8, 14),
                    office=OfficeSpace.none)
    member(old, "旧委员", joined_on=D(2016, 1, 1), supervised_on=[D(2020, 7, 1)])
    member(new, "新委员", joined_on=D(2020, 8, 15))
    db.session.commit()
    assert rates(county, key="committee_coverage")["A"] == (2, 2)
    assert rates(county, key="office_space")["A"] == (1, 2)          # only the new term counts
    assert rates(county, key="member_supervision")["A"] == (1, 2)    # 张A + 新委员
    assert behind(county, "office_space", met=False) == {"换届小区"}
    # before the re-election the old term was the active one
    before = AS_OF.replace(month=8, day=1)
    assert rates(county, before, "office_space")["A"] == (2, 2)
    assert rates(county, before, "member_supervision")["A"] == (2, 2)
    # a new term that is later dissolved does not bring the old term back
    new.dissolved_on = D(2020, 8, 20)
    db.session.commit()
    assert rates(county, key="committee_coverage")["A"] == (1, 2)


# --- office_space ----------------------------------------------------------------------------

def test_office_space(county):
    ta = county.a.township
    committee(compound(ta, "临时场所小区"), office=OfficeSpace.temporary)
    committee(compound(ta, "无办公用房小区"), office=OfficeSpace.none)
    committee(compound(ta, "已解散无用房小区"), office=OfficeSpace.none, dissolved_on=D(2020, 1, 1))
    committee(compound(ta, "已到期无用房小区"), office=OfficeSpace.none, term_end=D(2020, 1, 1))
    committee(compound(ta, "物管会无用房小区"), office=OfficeSpace.none, kind=CommitteeKind.interim)
    db.session.commit()
    assert rates(county, key="office_space") == {"A": (2, 3), "B": (1, 1), "county": (3, 4)}
    assert behind(county, "office_space", met=False) == {"无办公用房小区"}
    assert behind(county, "office_space", met=True) == {"临时场所小区", "幸福花园A", "幸福花园B"}
    county.campaign.interim_counts = True
    assert rates(county, key="office_space")["A"] == (2, 4)


# --- member_supervision ----------------------------------------------------------------------

def test_member_supervision(county):
    campaign_start = county.campaign.starts_on
    c = compound(county.a.township, "监管小区")
    oc = committee(c)
    member(oc, "开始日受训", supervised_on=[campaign_start])
    member(oc, "当日受训", supervised_on=[AS_OF])
    member(oc, "两次受训", supervised_on=[D(2020, 6, 10), D(2020, 7, 10)])
    member(oc, "方案前受训", supervised_on=[campaign_start - DAY])
    member(oc, "次日受训", supervised_on=[AS_OF + DAY])
    member(oc, "未受训")
    member(oc, "已离任", left_on=AS_OF, supervised_on=[D(2020, 7, 1)])        # left on D
    member(oc, "尚未加入", joined_on=AS_OF + DAY, supervised_on=[AS_OF + DAY])
    member(oc, "次日离任", left_on=AS_OF + DAY)                                # still active
    gone = committee(compound(county.a.township, "解散监管小区"), dissolved_on=D(2020, 7, 1))
    member(gone, "解散委员会成员")
    db.session.commit()
    # A: 张A(ok) + 开始日受训, 当日受训, 两次受训 ok; 方案前受训, 次日受训, 未受训, 次日离任 not
    assert rates(county, key="member_supervision") == {"A": (4, 8), "B": (1, 1), "county": (5, 9)}
    assert behind(county, "member_supervision", met=False) == {"监管小区"}
    assert behind(county, "member_supervision", met=True) == {"幸福花园A", "幸福花园B"}
    # before the campaign starts nothing counts as supervised
    # (on that day 已离任 had not left, 尚未加入 had not joined, 解散监管小区 was not dissolved)
    assert rates(county, campaign_start - DAY, "member_supervision")["county"] == (0, 11)


# --- contract_signed -------------------------------------------------------------------------

def test_contract_signed(county):
    ta, co = county.a.township, county.company
    contract(compound(ta, "合同到期小区"), co, ends_on=AS_OF - DAY)
    contract(compound(ta, "合同末日小区"), co, ends_on=AS_OF)
    contract(compound(ta, "当日解除小区"), co, terminated_on=AS_OF)
    contract(compound(ta, "次日解除小区"), co, terminated_on=AS_OF + DAY)
    contract(compound(ta, "前期合同小区"), co, kind=ContractKind.preliminary)
    contract(compound(ta, "合同未生效小区"), co, starts_on=AS_OF + DAY)
    compound(ta, "无合同小区")
    contract(compound(ta, "自管小区", mode=ManagementMode.self), co, ends_on=AS_OF - DAY)
    compound(ta, "无物业小区", mode=ManagementMode.none)
    db.session.commit()
    assert rates(county, key="contract_signed") == {"A": (4, 8), "B": (1, 1), "county": (5, 9)}
    assert behind(county, "contract_signed", met=False) == {
        "合同到期小区", "合同未生效小区", "当日解除小区", "无合同小区"}


def test_expired_contract_then_renewed(county):
    c = compound(county.b.township, "续签小区")
    contract(c, county.company, starts_on=D(2017, 1, 1), ends_on=D(2019, 12, 31),
             kind=ContractKind.preliminary)
    contract(c, county.company, starts_on=D(2020, 10, 1), ends_on=D(2023, 9, 30))
    db.session.commit()
    assert rates(county, key="contract_signed")["B"] == (1, 2)
    assert rates(county, D(2018, 6, 1), "contract_signed")["B"] == (1, 2)  # preliminary in force
    assert rates(county, D(2020, 10, 1), "contract_signed")["B"] == (2, 2)


# --- fee_disclosure --------------------------------------------------------------------------

def test_fee_disclosure_interval_boundaries(county):
    interval = county.campaign.disclosure_interval_days
    assert interval == 183
    oldest_ok = AS_OF - dt.timedelta(days=interval - 1)
    too_old = AS_OF - dt.timedelta(days=interval)
    ta = county.a.township
    fee, items = DisclosureItem.fee_accounts, DisclosureItem.service_items
    # 幸福花园A already has fee_accounts on 2020-07-10: adding service items completes it
    disclose(county.a.compound, items, AS_OF)
    inside = compound(ta, "窗口内小区")
    disclose(inside, fee, oldest_ok)
    disclose(inside, items, oldest_ok)
    outside = compound(ta, "窗口外小区")
    disclose(outside, fee, too_old)
    disclose(outside, items, AS_OF)
    future = compound(ta, "次日公示小区")
    disclose(future, fee, AS_OF + DAY)
    disclose(future, items, AS_OF)
    half = compound(ta, "只公示收支小区")
    disclose(half, fee, AS_OF)
    disclose(half, DisclosureItem.common_income, AS_OF)
    self_managed = compound(ta, "自管公示小区", mode=ManagementMode.self)
    disclose(self_managed, fee, AS_OF)
    disclose(self_managed, items, AS_OF)
    compound(ta, "托管小区", mode=ManagementMode.entrusted)      # not in the denominator
    compound(ta, "无物业小区", mode=ManagementMode.none)          # not in the denominator
    db.session.commit()
    assert rates(county, key="fee_disclosure") == {"A": (3, 6), "B": (0, 1), "county": (3, 7)}
    assert behind(county, "fee_disclosure", met=True) == {"幸福花园A", "窗口内小区", "自管公示小区"}
    # the interval is a provincial setting
    county.campaign.disclosure_interval_days = interval + 1
    assert rates(county, key="fee_disclosure")["A"] == (4, 6)


# --- signboard_current -----------------------------------------------------------------------

def test_signboards_stale_missing_removed(county):
    ta = county.a.township
    db.session.add(DirectoryRevision(county=county.county, number=2, effective_on=AS_OF))
    board(compound(ta, "新版公示牌小区"), 2)
    board(compound(ta, "高版本公示牌小区"), 3)
    compound(ta, "无公示牌小区")
    board(compound(ta, "当日拆除小区"), 2, removed_on=AS_OF)
    board(compound(ta, "次日拆除小区"), 2, removed_on=AS_OF + DAY)
    board(compound(ta, "次日安装小区"), 2, installed_on=AS_OF + DAY)
    replaced = compound(ta, "已更换小区")
    board(replaced, 1, installed_on=D(2020, 1, 1), removed_on=AS_OF)
    board(replaced, 2, installed_on=AS_OF)
    db.session.commit()
    # 幸福花园A/B show version 1 and revision 2 is effective on D: both stale
    assert rates(county, key="signboard_current") == {"A": (4, 8), "B": (0, 1), "county": (4, 9)}
    assert behind(county, "signboard_current", met=False) == {
        "幸福花园A", "幸福花园B", "无公示牌小区", "次日安装小区", "当日拆除小区"}
    # the day before revision 2 took effect, version-1 boards were current
    day_before = AS_OF - DAY
    assert rates(county, day_before, "signboard_current") == {
        "A": (6, 8), "B": (1, 1), "county": (7, 9)}


def test_revision_effective_after_date_does_not_stale_boards(county):
    db.session.add(DirectoryRevision(county=county.county, number=2, effective_on=AS_OF + DAY))
    other = County(name="邻县")
    db.session.add(DirectoryRevision(county=other, number=5, effective_on=D(2020, 1, 1)))
    db.session.commit()
    assert rates(county, key="signboard_current")["county"] == (2, 2)
    assert rates(county, AS_OF + DAY, "signboard_current")["county"] == (0, 2)


def test_board_counts_when_no_revision_in_effect(county):
    assert rates(county, D(2020, 8, 15), "signboard_current")["county"] == (2, 2)
    db.session.delete(county.revision)
    db.session.commit()
    assert rates(county, key="signboard_current")["county"] == (2, 2)


# --- contact_reported ------------------------------------------------------------------------

def test_contact_reported(county):
    a, b = county.a, county.b
    a.contact.reported_on = AS_OF                       # township A: reported on D → counts
    b.contact.reported_on = AS_OF + DAY                 # township B: reported after D
    a.dept_contact.reported_on = D(2020, 8, 1)          # 县公安局: counts
    b.dept_contact.reported_on = D(2020, 8, 1)
    b.dept_contact.complaint_phone = "  "               # 县民政局: blank phone → not reported
    blank = Department(county=county.county, name="县财政局", short_name="财政")
    no_phone = Department(county=county.county, name="县发改委", short_name="发改")
    db.session.add_all([
        blank, no_phone, Department(county=county.county, name="县规划局", short_name="规划"),
        ContactPoint(department=blank, person="钱", complaint_phone="", reported_on=D(2020, 8, 1)),
        ContactPoint(department=no_phone, person="孙", service_phone="0551-1230000",
                     reported_on=D(2020, 8, 1)),
    ])
    db.session.commit()
    assert rates(county, key="contact_reported") == {"A": (1, 1), "B": (0, 1), "county": (2, 7)}
    assert rates(county, AS_OF + DAY, "contact_reported")["county"] == (3, 7)
    with pytest.raises(ValueError):
        compounds_behind("contact_reported", AS_OF, county.campaign, met=False)


def test_second_contact_with_phone_counts_once(county):
    county.a.contact.reported_on = D(2020, 8, 1)
    db.session.add(ContactPoint(township=county.a.township, person="另一位",
                                complaint_phone="12345", reported_on=D(2020, 8, 2)))
    db.session.commit()
    assert rates(county, key="contact_reported") == {"A": (1, 1), "B": (0, 1), "county": (1, 4)}


# --- as-of truth -----------------------------------------------------------------------------

def test_past_date_recomputes_identically_after_later_edits(county):
    a, b, co = county.a, county.b, county.company
    county.campaign.interim_counts = True
    county.a.contact.reported_on = D(2020, 8, 20)
    db.session.add(Disclosure(compound=b.compound, item=DisclosureItem.service_items,
                              published_on=D(2020, 7, 1)))
    db.session.commit()
    before = county_rates(AS_OF, county.campaign)
    before_townships = township_rates(AS_OF, county.campaign)
    before_behind = {k: behind(county, k, False) for k in INDICATORS if k != "contact_reported"}
    assert before["fee_disclosure"] == Rate(1, 2) and before["contact_reported"] == Rate(1, 4)

    later = AS_OF + DAY
    # edits of existing rows with effective dates after D
    a.committee.dissolved_on = later
    a.member.left_on = later
    a.contract.terminated_on = later
    a.signboard.removed_on = later
    b.contact.reported_on = later
    b.dept_contact.reported_on = later
    # new rows effective after D
    c = compound(a.township, "新交付小区", delivered_on=later)
    committee(c, elected_on=later, term_end=D(2025, 1, 1))
    committee(b.compound, term_no=2, elected_on=later, term_end=D(2025, 1, 1),
              office=OfficeSpace.none)
    member(b.committee, "新委员", joined_on=later)
    db.session.add(SupervisionRecord(member=a.member, kind=SupervisionKind.inspection,
                                     held_on=later))
    contract(b.compound, co, starts_on=later, kind=ContractKind.preliminary)
    disclose(a.compound, DisclosureItem.service_items, later)
    board(b.compound, 2, installed_on=later)
    db.session.add(DirectoryRevision(county=county.county, number=2, effective_on=later))
    db.session.commit()

    assert county_rates(AS_OF, county.campaign) == before
    assert township_rates(AS_OF, county.campaign) == before_townships
    assert {k: behind(county, k, False) for k in before_behind} == before_behind
    # ... while the later date does see the changes
    after = county_rates(later, county.campaign)
    assert after["committee_coverage"] == Rate(2, 3)   # A dissolved; B's term 2; 新交付小区
    assert after["office_space"] == Rate(1, 2)         # B's term 2 has no office
    assert after["contact_reported"] == Rate(3, 4)
    assert after["signboard_current"] == Rate(1, 3)    # only B's new version-2 board


# --- targets ---------------------------------------------------------------------------------

def test_targets_and_status(county):
    campaign = county.campaign
    db.session.add(Target(campaign=campaign, indicator=Indicator.committee_coverage,
                          threshold=Decimal("100"), due_on=D(2021, 12, 31)))
    db.session.add(Target(campaign=campaign, indicator=Indicator.contract_signed,
                          threshold=Decimal("100"), due_on=D(2020, 9, 30)))
    db.session.commit()
    targets = targets_for(campaign)
    assert set(targets) == {"committee_coverage", "contract_signed"}
    coverage = targets["committee_coverage"]
    assert [t.due_on for t in coverage] == [D(2020, 12, 31), D(2021, 12, 31)]
    assert target_on(coverage, D(2020, 9, 1)).due_on == D(2020, 12, 31)
    assert target_on(coverage, D(2020, 12, 31)).due_on == D(2020, 12, 31)
    assert target_on(coverage, D(2021, 1, 1)).due_on == D(2021, 12, 31)
    assert target_on(coverage, D(2022, 6, 1)).due_on == D(2021, 12, 31)
    assert target_on([], AS_OF) is None

    sixty = coverage[0]
    assert status_against_target(Rate(3, 5), sixty, D(2020, 9, 1)) == "met"     # exactly 60%
    assert status_against_target(Rate(2, 5), sixty, D(2020, 12, 30)) == "pending"
    assert status_against_target(Rate(2, 5), sixty, D(2020, 12, 31)) == "not_met"
    assert status_against_target(Rate(599, 1000), sixty, D(2021, 1, 1)) == "not_met"
    assert status_against_target(Rate(0, 0), sixty, D(2021, 1, 1)) == "met"
