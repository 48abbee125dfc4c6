"""CRUD through the HTML screens, for every entity screen of the menu, as Admin.

One table row per screen: the form data a clerk would post (related fields by id, enums by
member name, dates YYYY-MM-DD, booleans "y"), what must then be in the database, and the one
field an edit changes. Bad input must come back as a Chinese message on the form, with
nothing saved.
"""
from __future__ import annotations

import datetime as dt
import enum
import re
from decimal import Decimal
from html import unescape

import pytest
import sqlalchemy as sa

from office.kit.base import OfficeModelView
from office.kit.validation import ModelValidationMixin, item_errors
from office.models import (
    ArchiveItem,
    ArchiveKind,
    Campaign,
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
    Dispute,
    DisputeParties,
    DisputeStatus,
    FeeModel,
    Finding,
    FindingSource,
    FindingStatus,
    Indicator,
    ManagementMode,
    MemberRole,
    OfficeSpace,
    OwnersCommittee,
    PrepGroup,
    PrepGroupStatus,
    PriceRegime,
    PriceReviewStatus,
    PropertyCompany,
    ServiceContract,
    ServiceGrade,
    Signboard,
    SupervisionKind,
    SupervisionRecord,
    Target,
    Task,
    TaskStatus,
    TaskUpdate,
    Township,
    TownshipKind,
    db,
)
from office.services.uscc import complete
from office.views.menu import MENU
from tests.conftest import count

D = dt.date


# ---------------------------------------------------------------- shared hook (pending)


def _views(app):
    return {type(v).__name__: v for v in app.appbuilder.baseviews
            if isinstance(v, OfficeModelView)}




@pytest.fixture(scope="module", autouse=True)
def fast_passwords(app):
    """The users of every test are hashed with scrypt (~0.35 s each); these tests are about
    screens, not password storage."""
    before = app.config.get("FAB_PASSWORD_HASH_METHOD")
    app.config["FAB_PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"
    yield
    if before is None:
        app.config.pop("FAB_PASSWORD_HASH_METHOD")
    else:
        app.config["FAB_PASSWORD_HASH_METHOD"] = before


def test_model_validation_is_wired():
    """Every entity screen's forms come from the model's rules through the base view itself
    (no fixture puts them back at test time)."""
    assert issubclass(OfficeModelView, ModelValidationMixin)


# ---------------------------------------------------------------- the table


def _route(view_name: str) -> str:
    return "/" + view_name.lower()


ENTITIES = {
    "CompoundView": dict(
        model=Compound,
        shows=lambda c: ["幸福花园A", "幸福花园B", "城关街道", "安居物业服务有限公司"],
        add=lambda c: {
            "township": c.a.township.id, "name": "和平小区", "community": "和平社区",
            "address": "和平路2号", "kind": "old", "households": "150", "buildings": "5",
            "built_year": "1998", "delivered_on": "1999-06-01", "developer": "县房地产公司",
            "management_mode": "self", "company": "",
        },
        expect=lambda c: {
            "township_id": c.a.township.id, "name": "和平小区", "kind": CompoundKind.old,
            "households": 150, "built_year": 1998, "delivered_on": D(1999, 6, 1),
            "management_mode": ManagementMode.self, "company_id": None,
        },
        edit=("households", "160", 160),
    ),
    "PrepGroupView": dict(
        model=PrepGroup,
        shows=lambda c: ["李组长", "幸福花园A", "已召开业主大会"],
        add=lambda c: {
            "compound": c.b.compound.id, "formed_on": "2021-04-01", "leader": "周组长",
            "members_count": "7", "status": "preparing", "assembly_on": "", "note": "首次筹备",
        },
        expect=lambda c: {
            "compound_id": c.b.compound.id, "formed_on": D(2021, 4, 1), "leader": "周组长",
            "members_count": 7, "status": PrepGroupStatus.preparing, "assembly_on": None,
        },
        edit=("status", "assembled", PrepGroupStatus.assembled),
    ),
    "OwnersCommitteeView": dict(
        model=OwnersCommittee,
        shows=lambda c: ["幸福花园A", "幸福花园B", "业主委员会", "2019-03-01"],
        add=lambda c: {
            "compound": c.a.compound.id, "kind": "interim", "term_no": "2",
            "elected_on": "2024-03-01", "term_end": "2029-02-28", "filed_on": "2024-03-20",
            "dissolved_on": "", "office_space": "temporary", "office_address": "社区活动室",
            "note": "",
        },
        expect=lambda c: {
            "compound_id": c.a.compound.id, "kind": CommitteeKind.interim, "term_no": 2,
            "elected_on": D(2024, 3, 1), "term_end": D(2029, 2, 28),
            "office_space": OfficeSpace.temporary, "dissolved_on": None,
        },
        edit=("office_space", "dedicated", OfficeSpace.dedicated),
    ),
    "CommitteeMemberView": dict(
        model=CommitteeMember,
        shows=lambda c: ["张A", "张B", "主任"],
        add=lambda c: {
            "committee": c.a.committee.id, "name": "钱委员", "role": "member",
            "phone": "13900000001", "joined_on": "2019-03-01", "left_on": "",
        },
        expect=lambda c: {
            "committee_id": c.a.committee.id, "name": "钱委员", "role": MemberRole.member,
            "joined_on": D(2019, 3, 1), "left_on": None,
        },
        edit=("left_on", "2021-12-31", D(2021, 12, 31)),
    ),
    "SupervisionRecordView": dict(
        model=SupervisionRecord,
        shows=lambda c: ["张A", "培训", "2020-06-01"],
        add=lambda c: {
            "member": c.a.member.id, "kind": "guidance", "held_on": "2020-09-01",
            "held_by": "城关街道", "note": "换届指导",
        },
        expect=lambda c: {
            "member_id": c.a.member.id, "kind": SupervisionKind.guidance,
            "held_on": D(2020, 9, 1), "held_by": "城关街道",
        },
        edit=("held_by", "县住建局", "县住建局"),
    ),
    "ArchiveItemView": dict(
        model=ArchiveItem,
        shows=lambda c: ["会议记录", "幸福花园A", "2020-06-01"],
        add=lambda c: {
            "committee": c.a.committee.id, "kind": "rules", "present": "y",
            "checked_on": "2020-10-01", "note": "",
        },
        expect=lambda c: {
            "committee_id": c.a.committee.id, "kind": ArchiveKind.rules, "present": True,
            "checked_on": D(2020, 10, 1),
        },
        edit=("present", None, False),  # an unticked checkbox is simply not posted
    ),
    "DisputeView": dict(
        model=Dispute,
        shows=lambda c: ["幸福花园A", "业主与物业服务企业", "调解中"],
        add=lambda c: {
            "compound": c.a.compound.id, "received_on": "2020-10-08", "parties": "owner_owner",
            "summary": "楼上漏水", "status": "open", "resolved_on": "", "mediator": "调解员甲",
        },
        expect=lambda c: {
            "compound_id": c.a.compound.id, "received_on": D(2020, 10, 8),
            "parties": DisputeParties.owner_owner, "status": DisputeStatus.open,
            "summary": "楼上漏水", "resolved_on": None,
        },
        edit=("status", "resolved", DisputeStatus.resolved),
    ),
    "FindingView": dict(
        model=Finding,
        shows=lambda c: ["幸福花园B", "自查自检", "待整改", "2020-09-30"],
        add=lambda c: {
            "compound": c.b.compound.id, "source": "city", "found_on": "2020-10-15",
            "description": "公示牌未更新", "deadline": "2020-11-15", "status": "open",
            "closed_on": "",
        },
        expect=lambda c: {
            "compound_id": c.b.compound.id, "source": FindingSource.city,
            "found_on": D(2020, 10, 15), "deadline": D(2020, 11, 15),
            "status": FindingStatus.open, "closed_on": None,
        },
        edit=("status", "closed", FindingStatus.closed),
    ),
    "PropertyCompanyView": dict(
        model=PropertyCompany,
        shows=lambda c: ["安居物业服务有限公司", c.company.uscc, "孙经理"],
        add=lambda c: {
            "name": "惠民物业有限公司", "uscc": complete("91341122MA2N00002"),
            "legal_person": "吴经理", "phone": "0551-5550002", "address": "人民路8号",
        },
        expect=lambda c: {
            "name": "惠民物业有限公司", "uscc": complete("91341122MA2N00002"),
            "legal_person": "吴经理",
        },
        edit=("phone", "0551-5550003", "0551-5550003"),
    ),
    "ServiceContractView": dict(
        model=ServiceContract,
        shows=lambda c: ["幸福花园A", "安居物业服务有限公司", "物业服务合同", "1.20"],
        add=lambda c: {
            "compound": c.b.compound.id, "company": c.company.id, "kind": "preliminary",
            "signed_on": "2012-12-01", "starts_on": "2013-05-01", "ends_on": "2016-04-30",
            "terminated_on": "", "service_grade": "grade3", "price_regime": "market",
            "fee_model": "remuneration", "fee": "0.85",
        },
        expect=lambda c: {
            "compound_id": c.b.compound.id, "company_id": c.company.id,
            "kind": ContractKind.preliminary, "starts_on": D(2013, 5, 1),
            "service_grade": ServiceGrade.grade3, "price_regime": PriceRegime.market,
            "fee_model": FeeModel.remuneration, "fee": Decimal("0.85"),
            "price_review_status": PriceReviewStatus.none,
        },
        edit=("fee", "0.90", Decimal("0.90")),
    ),
    "PriceReviewView": dict(
        model=ServiceContract,
        shows=lambda c: ["幸福花园A", "幸福花园B", "政府指导价", "未核定"],
        existing=lambda c: c.a.contract,
        edit_data=lambda c: {"price_review_status": "reset", "approved_fee": "1.00",
                             "reviewed_on": "2020-09-20", "review_note": "超出指导价上限"},
        expect=lambda c: {"price_review_status": PriceReviewStatus.reset,
                          "approved_fee": Decimal("1.00"), "reviewed_on": D(2020, 9, 20),
                          "fee": Decimal("1.20")},
        edit=("approved_fee", "1.05", Decimal("1.05")),
    ),
    "DisclosureView": dict(
        model=Disclosure,
        shows=lambda c: ["2020上半年", "物业费收支情况", "公告栏"],
        add=lambda c: {
            "compound": c.a.compound.id, "company": c.company.id, "item": "service_items",
            "period": "2020下半年", "published_on": "2021-01-10", "channel": "微信群",
        },
        expect=lambda c: {
            "compound_id": c.a.compound.id, "company_id": c.company.id,
            "item": DisclosureItem.service_items, "published_on": D(2021, 1, 10),
        },
        edit=("channel", "公告栏", "公告栏"),
    ),
    "DepartmentView": dict(
        model=Department,
        shows=lambda c: ["县公安局", "县民政局", "民政"],
        add=lambda c: {"county": c.county.id, "name": "县市场监督管理局", "short_name": "市场监管",
                       "duties": "检查前期物业企业"},
        expect=lambda c: {"county_id": c.county.id, "name": "县市场监督管理局",
                          "short_name": "市场监管"},
        edit=("duties", "收费检查", "收费检查"),
    ),
    "ContactPointView": dict(
        model=ContactPoint,
        shows=lambda c: ["王A", "赵B", "0551-1234567", "县公安局", "城关街道"],
        add=lambda c: {
            "department": c.a.department.id, "township": "", "person": "钱联络",
            "service_phone": "0551-6660001", "complaint_phone": "0551-6660110",
            "hours": "24小时", "reported_on": "2020-08-15",
        },
        expect=lambda c: {
            "department_id": c.a.department.id, "township_id": None, "person": "钱联络",
            "complaint_phone": "0551-6660110", "reported_on": D(2020, 8, 15),
        },
        edit=("complaint_phone", "0551-6660119", "0551-6660119"),
    ),
    "DirectoryRevisionView": dict(
        model=DirectoryRevision,
        shows=lambda c: ["2020-07-01"],
        add=lambda c: {"county": c.county.id, "number": "2", "effective_on": "2020-09-01",
                       "note": "公安投诉电话变更"},
        expect=lambda c: {"county_id": c.county.id, "number": 2,
                          "effective_on": D(2020, 9, 1)},
        edit=("note", "公安、民政电话变更", "公安、民政电话变更"),
    ),
    "SignboardView": dict(
        model=Signboard,
        shows=lambda c: ["幸福花园A", "幸福花园B", "2020-08-01"],
        add=lambda c: {"compound": c.a.compound.id, "installed_on": "2020-09-10",
                       "directory_version": "2", "location": "小区大门", "removed_on": ""},
        expect=lambda c: {"compound_id": c.a.compound.id, "installed_on": D(2020, 9, 10),
                          "directory_version": 2, "removed_on": None},
        edit=("location", "东门", "东门"),
    ),
    "CampaignView": dict(
        model=Campaign,
        shows=lambda c: ["2020年住宅小区管理工作实施方案", "2020-06-01"],
        add=lambda c: {
            "county": c.county.id, "name": "2021年巩固提升方案", "year": "2021",
            "starts_on": "2021-01-01", "ends_on": "2021-12-31", "interim_counts": "y",
            "disclosure_interval_days": "90", "reelection_warning_days": "180",
            "filing_days": "30", "term_max_years": "3", "committee_min_size": "5",
            "committee_max_size": "9",
        },
        expect=lambda c: {
            "county_id": c.county.id, "year": 2021, "interim_counts": True,
            "starts_on": D(2021, 1, 1), "term_max_years": 3, "committee_max_size": 9,
        },
        edit=("name", "2021年巩固提升实施方案", "2021年巩固提升实施方案"),
    ),
    "TargetView": dict(
        model=Target,
        shows=lambda c: ["业委会组建率", "2020-12-31"],
        add=lambda c: {"campaign": c.campaign.id, "indicator": "office_space",
                       "threshold": "100", "due_on": "2021-12-31"},
        expect=lambda c: {"campaign_id": c.campaign.id, "indicator": Indicator.office_space,
                          "threshold": Decimal("100"), "due_on": D(2021, 12, 31)},
        edit=("threshold", "95.5", Decimal("95.5")),
    ),
    "TaskView": dict(
        model=Task,
        shows=lambda c: ["自查自检和整改", "报送投诉电话", "城关街道", "县公安局", "未开始"],
        add=lambda c: {
            "campaign": c.campaign.id, "step_no": "2", "title": "报送目标完成情况",
            "township": c.a.township.id, "department": "", "indicator": "committee_coverage",
            "due_on": "2020-09-30", "status": "doing", "progress": "30", "done_on": "",
        },
        expect=lambda c: {
            "campaign_id": c.campaign.id, "township_id": c.a.township.id,
            "department_id": None, "indicator": Indicator.committee_coverage,
            "due_on": D(2020, 9, 30), "status": TaskStatus.doing, "progress": 30,
        },
        edit=("progress", "60", 60),
    ),
    "TaskUpdateView": dict(
        model=TaskUpdate,
        shows=lambda c: ["已完成一半", "2020-07-15"],
        add=lambda c: {"task": c.b.task.id, "noted_on": "2020-07-20", "progress": "80",
                       "note": "整改基本完成"},
        expect=lambda c: {"task_id": c.b.task.id, "noted_on": D(2020, 7, 20), "progress": 80},
        edit=("note", "整改完成，待验收", "整改完成，待验收"),
    ),
    "CountyView": dict(
        model=County,
        shows=lambda c: ["示例县", "341122"],
        add=lambda c: {"name": "邻县", "code": "341123"},
        expect=lambda c: {"name": "邻县", "code": "341123"},
        edit=("code", "341124", "341124"),
    ),
    "TownshipView": dict(
        model=Township,
        shows=lambda c: ["城关街道", "东山镇", "街道", "乡镇"],
        add=lambda c: {"county": c.county.id, "name": "西湖乡", "kind": "township"},
        expect=lambda c: {"county_id": c.county.id, "name": "西湖乡",
                          "kind": TownshipKind.township},
        edit=("kind", "farm", TownshipKind.farm),
    ),
}
READ_ONLY = {"ReportRunView", "ChangeLogView"}
ADDABLE = [name for name, spec in ENTITIES.items() if "add" in spec]


def test_every_menu_screen_is_covered():
    menu = {view.__name__ for view, *_ in MENU}
    assert menu == set(ENTITIES) | READ_ONLY


def test_read_only_screens_offer_no_writes(login, county):
    client = login("admin")
    for name in READ_ONLY:
        assert client.get(_route(name) + "/list/").status_code == 200
        assert client.get(_route(name) + "/add").status_code in (302, 403, 404)


# ---------------------------------------------------------------- helpers


def _body(resp) -> str:
    return unescape(resp.get_data(as_text=True))


def _display(value) -> str:
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (dt.date, Decimal, int)):
        return str(value)
    return value


def _form_errors(body: str) -> list[str]:
    """The messages FAB prints under invalid fields, and flashed alerts."""
    found = re.findall(r'<div class="alert alert-[a-z]+">(.*?)</div>', body, re.S)
    found = [re.sub(r"<[^>]+>|&times;|×", " ", f) for f in found]
    return [re.sub(r"\s+", " ", f).strip() for f in found]


def _ids(model) -> set[int]:
    return set(db.session.scalars(sa.select(model.id)))


def _fresh(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk)


def _check(row, expected: dict):
    for attr, value in expected.items():
        assert getattr(row, attr) == value, attr


# ---------------------------------------------------------------- CRUD


@pytest.mark.parametrize("view", list(ENTITIES))
def test_list_shows_factory_rows(login, county, view):
    spec = ENTITIES[view]
    resp = login("admin").get(_route(view) + "/list/")
    assert resp.status_code == 200
    body = _body(resp)
    for text in spec["shows"](county):
        assert text in body, text
    assert ">None<" not in body


@pytest.mark.parametrize("view", ADDABLE)
def test_add_show_edit_delete(login, county, view):
    spec, client = ENTITIES[view], login("admin")
    model, data = spec["model"], {k: str(v) for k, v in spec["add"](county).items()}
    before = _ids(model)

    # add
    resp = client.post(_route(view) + "/add", data=data)
    assert resp.status_code == 302, _form_errors(_body(resp))
    (pk,) = _ids(model) - before
    row = _fresh(model, pk)
    _check(row, spec["expect"](county))
    assert row.version == 1

    # show
    resp = client.get(f"{_route(view)}/show/{pk}")
    assert resp.status_code == 200
    body = _body(resp)
    for attr, value in spec["expect"](county).items():
        if value is not None and not attr.endswith("_id"):
            assert _display(value) in body, attr

    # edit one field; the rest of the form is posted as it stands
    field, posted, stored = spec["edit"]
    changed = {k: v for k, v in data.items() if k != field}
    if posted is not None:
        changed[field] = posted
    changed["version"] = "1"  # the version the edit page was opened at
    resp = client.post(f"{_route(view)}/edit/{pk}", data=changed)
    assert resp.status_code == 302, _form_errors(_body(resp))
    row = _fresh(model, pk)
    assert getattr(row, field) == stored
    assert row.version == 2

    # delete
    resp = client.post(f"{_route(view)}/delete/{pk}")
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(model, pk) is None
    assert _ids(model) == before


def test_price_review_edits_only_the_review(login, county):
    spec, client = ENTITIES["PriceReviewView"], login("admin")
    contract = spec["existing"](county)
    pk, fee = contract.id, contract.fee
    route = _route("PriceReviewView")
    assert client.get(f"{route}/show/{pk}").status_code == 200

    resp = client.post(f"{route}/edit/{pk}",
                       data={**spec["edit_data"](county), "version": str(contract.version)})
    assert resp.status_code == 302, _form_errors(_body(resp))
    row = _fresh(ServiceContract, pk)
    _check(row, spec["expect"](county))
    assert row.fee == fee and row.version == 2

    body = _body(client.get(f"{route}/show/{pk}"))
    assert "已重新核定" in body and "超出指导价上限" in body and "2020-09-20" in body

    # the queue neither adds nor deletes contracts
    n = count(ServiceContract)
    client.post(f"{route}/add", data={})
    client.post(f"{route}/delete/{pk}")
    assert count(ServiceContract) == n


# ---------------------------------------------------------------- bad input


def _with(view, **changes):
    def build(c):
        data = ENTITIES[view]["add"](c)
        data.update({k: (v(c) if callable(v) else v) for k, v in changes.items()})
        return data
    return build


BAD_ADDS = [
    pytest.param("CompoundView", _with("CompoundView", name="幸福花园A"),
                 "本乡镇（街道、场）已有同名小区「幸福花园A」", id="compound-duplicate-name"),
    pytest.param("CompoundView", _with("CompoundView", households="-5"), "户数不能为负数",
                 id="compound-negative-households"),
    pytest.param("CompoundView", _with("CompoundView", households="很多"), None,
                 id="compound-households-not-a-number"),
    pytest.param("CompoundView", _with("CompoundView", name=""), None,
                 id="compound-name-missing"),
    pytest.param("PropertyCompanyView",
                 _with("PropertyCompanyView", uscc="91341122MA2N000020"),
                 "统一社会信用代码无效", id="company-uscc-checksum"),
    pytest.param("PropertyCompanyView", _with("PropertyCompanyView", uscc="12345"),
                 "统一社会信用代码无效", id="company-uscc-length"),
    pytest.param("PropertyCompanyView",
                 _with("PropertyCompanyView", uscc=lambda c: c.company.uscc), "已登记",
                 id="company-uscc-taken"),
    pytest.param("PropertyCompanyView",
                 _with("PropertyCompanyView", uscc=lambda c: " " + c.company.uscc.lower()),
                 "已登记", id="company-uscc-taken-spelt-differently"),
    pytest.param("OwnersCommitteeView",
                 _with("OwnersCommitteeView", elected_on="2024-03-01", term_end="2023-03-01"),
                 "任期届满日期须晚于选举日期", id="committee-term-before-election"),
    pytest.param("OwnersCommitteeView", _with("OwnersCommitteeView", term_no="1"),
                 "该小区第1届业委会已登记", id="committee-duplicate-term"),
    pytest.param("ArchiveItemView", _with("ArchiveItemView", kind="minutes"),
                 "该业委会已有「会议记录」档案记录", id="archive-duplicate-kind"),
    pytest.param("ServiceContractView",
                 _with("ServiceContractView", starts_on="2016-05-01", ends_on="2016-04-30"),
                 "截止日期不能早于起始日期", id="contract-ends-before-start"),
    pytest.param("ServiceContractView", _with("ServiceContractView", fee="-0.1"),
                 "收费标准不能为负数", id="contract-negative-fee"),
    pytest.param("TaskView", _with("TaskView", department=lambda c: c.a.department.id),
                 "乡镇（街道、场）与部门须填写且只填写其中一个", id="task-two-owners"),
    pytest.param("TaskView", _with("TaskView", township=""),
                 "乡镇（街道、场）与部门须填写且只填写其中一个", id="task-no-owner"),
    pytest.param("TaskView", _with("TaskView", progress="120"), "进度须在0到100之间",
                 id="task-progress-over-100"),
    pytest.param("ContactPointView", _with("ContactPointView", department=""),
                 "乡镇（街道、场）与部门须填写且只填写其中一个", id="contact-no-owner"),
    pytest.param("TargetView", _with("TargetView", threshold="150"), "目标值须大于0且不超过100",
                 id="target-over-100"),
    pytest.param("TargetView", _with("TargetView", indicator="committee_coverage",
                                     due_on="2020-12-31"),
                 "该工作方案已有同一考核指标、同一完成时限的目标", id="target-duplicate"),
    pytest.param("CampaignView", _with("CampaignView", committee_min_size="2"),
                 "业委会最少人数不少于3人", id="campaign-committee-too-small"),
    pytest.param("CampaignView", _with("CampaignView", year="2020"),
                 "本县（区）2020年度已有工作方案", id="campaign-duplicate-year"),
    pytest.param("CampaignView", _with("CampaignView", ends_on="2020-12-31"),
                 "截止日期不能早于起始日期", id="campaign-ends-before-start"),
    pytest.param("SignboardView", _with("SignboardView", directory_version="0"),
                 "通讯录版本须为正整数", id="signboard-version-zero"),
    pytest.param("TownshipView", _with("TownshipView", name="东山镇"),
                 "本县（区）已有同名乡镇（街道、场）「东山镇」", id="township-duplicate"),
    pytest.param("DepartmentView", _with("DepartmentView", name="县公安局"),
                 "本县（区）已有同名部门「县公安局」", id="department-duplicate"),
    pytest.param("DirectoryRevisionView", _with("DirectoryRevisionView", number="1"),
                 "本县（区）已有第1版通讯录", id="directory-duplicate-number"),
    pytest.param("CountyView", _with("CountyView", name="示例县"), "已有名为「示例县」的县（区）",
                 id="county-duplicate-name"),
    pytest.param("CountyView", _with("CountyView", code="341122"),
                 "代码「341122」已被其他县（区）使用", id="county-duplicate-code"),
]

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("view, build, message", BAD_ADDS)
def test_bad_input_is_refused_on_the_form(login, county, view, build, message):
    model = ENTITIES[view]["model"]
    data = {k: str(v) for k, v in build(county).items()}
    n = count(model)
    resp = login("admin").post(_route(view) + "/add", data=data)
    assert resp.status_code == 200  # the form again, with the clerk's input - not a redirect
    errors = _form_errors(_body(resp))
    assert errors, "no message on the form"
    assert all(CJK.search(e) for e in errors), errors
    if message:
        assert any(message in e for e in errors), errors
    db.session.rollback()
    assert count(model) == n


def test_same_compound_name_is_fine_in_another_township(login, county):
    data = ENTITIES["CompoundView"]["add"](county)
    data.update(township=county.b.township.id, name="幸福花园A")
    resp = login("admin").post("/compoundview/add", data=data)
    assert resp.status_code == 302
    assert db.session.scalar(
        sa.select(sa.func.count()).where(Compound.name == "幸福花园A")) == 2


def test_edit_keeps_own_unique_key_and_checks_the_rest(login, county):
    client, compound = login("admin"), county.a.compound
    data = {
        "township": compound.township_id, "name": compound.name, "kind": "commercial",
        "households": "330", "management_mode": "company", "company": county.company.id,
        "delivered_on": "2013-05-01", "version": "1",
    }
    # unchanged name: not a clash with itself
    resp = client.post(f"/compoundview/edit/{compound.id}", data=data)
    assert resp.status_code == 302, _form_errors(_body(resp))
    assert _fresh(Compound, compound.id).households == 330

    # renamed onto a neighbour in the same township: refused, nothing changed
    db.session.add(Compound(township_id=compound.township_id, name="和平小区",
                            kind=CompoundKind.old, management_mode=ManagementMode.none))
    db.session.commit()
    resp = client.post(f"/compoundview/edit/{compound.id}",
                       data={**data, "name": "和平小区", "version": "2"})
    assert resp.status_code == 200
    assert any("已有同名小区「和平小区」" in e for e in _form_errors(_body(resp)))
    row = _fresh(Compound, compound.id)
    assert row.name == "幸福花园A" and row.version == 2


def test_edit_committee_term_end_before_election_is_refused(login, county):
    committee = county.a.committee
    data = {
        "compound": committee.compound_id, "kind": "committee", "term_no": "1",
        "elected_on": "2019-03-01", "term_end": "2019-02-28", "office_space": "dedicated",
    }
    resp = login("admin").post(f"/ownerscommitteeview/edit/{committee.id}", data=data)
    assert resp.status_code == 200
    assert any("任期届满日期须晚于选举日期" in e for e in _form_errors(_body(resp)))
    row = _fresh(OwnersCommittee, committee.id)
    assert row.term_end == D(2024, 2, 28) and row.version == 1


def test_item_errors_for_rows_written_outside_the_forms(county):
    """The REST API and services can ask the same rules of an ORM object before writing."""
    clash = Compound(township=county.a.township, name="幸福花园A", kind=CompoundKind.old,
                     households=-1, management_mode=ManagementMode.none)
    assert item_errors(clash) == {"name": "本乡镇（街道、场）已有同名小区「幸福花园A」",
                                  "households": "户数不能为负数"}
    assert item_errors(county.a.compound) == {}  # a stored row is no clash with itself
    two_owners = Task(campaign=county.campaign, step_no=1, title="x", due_on=D(2020, 1, 1),
                      township=county.a.township, department=county.a.department)
    assert item_errors(two_owners) == {
        "township": "乡镇（街道、场）与部门须填写且只填写其中一个"}
    db.session.rollback()


def test_edit_form_refuses_to_overwrite_a_newer_version(login, county):
    """Two clerks open the same compound; the second to save gets a message, not a silent
    overwrite of the first one's change."""
    from tests.test_scope import parse_form

    compound = county.a.compound
    url = f"/compoundview/edit/{compound.id}"
    first, second = login("admin"), login("bureau")
    first_form = parse_form(_body(first.get(url))).values
    second_form = parse_form(_body(second.get(url))).values
    assert first_form["version"] == second_form["version"] == "1"

    resp = first.post(url, data={**first_form, "households": "401"})
    assert resp.status_code == 302
    assert _fresh(Compound, compound.id).households == 401

    resp = second.post(url, data={**second_form, "households": "999"}, follow_redirects=True)
    assert "已被他人修改" in _body(resp) and "第 1 版" in _body(resp)
    row = _fresh(Compound, compound.id)
    assert row.households == 401 and row.version == 2

    # reopened at the current version, the same change is saved
    again = parse_form(_body(second.get(url))).values
    assert again["version"] == "2"
    assert second.post(url, data={**again, "households": "999"}).status_code == 302
    assert _fresh(Compound, compound.id).households == 999
