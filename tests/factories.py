"""A tiny, hand-built county: two townships, two departments, one of every entity in each.

Tests that need rows "in scope" use township A / department A, and "out of scope" rows are
their twins in township B / department B.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

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
    PropertyCompany,
    ServiceContract,
    ServiceGrade,
    Signboard,
    SupervisionKind,
    SupervisionRecord,
    Target,
    Task,
    TaskUpdate,
    Township,
    TownshipKind,
    db,
)
from office.services.uscc import complete

D = dt.date


def _township_block(county, campaign, company, name, kind, dept, suffix):
    t = Township(county=county, name=name, kind=kind)
    c = Compound(township=t, name=f"幸福花园{suffix}", community="幸福社区", address="幸福路1号",
                 kind=CompoundKind.commercial, households=320, buildings=8, built_year=2012,
                 delivered_on=D(2013, 5, 1), developer="某置业公司",
                 management_mode=ManagementMode.company, company=company)
    committee = OwnersCommittee(compound=c, kind=CommitteeKind.committee, term_no=1,
                                elected_on=D(2019, 3, 1), term_end=D(2024, 2, 28),
                                filed_on=D(2019, 3, 20), office_space=OfficeSpace.dedicated)
    member = CommitteeMember(committee=committee, name=f"张{suffix}", role=MemberRole.chair,
                             phone="13800000000", joined_on=D(2019, 3, 1))
    rows = SimpleNamespace(
        township=t, compound=c, committee=committee, member=member,
        prep_group=PrepGroup(compound=c, formed_on=D(2018, 10, 1), leader="李组长",
                             status=PrepGroupStatus.assembled, assembly_on=D(2019, 3, 1)),
        supervision=SupervisionRecord(member=member, kind=SupervisionKind.training,
                                      held_on=D(2020, 6, 1), held_by=name),
        archive=ArchiveItem(committee=committee, kind=ArchiveKind.minutes, present=True,
                            checked_on=D(2020, 6, 1)),
        contract=ServiceContract(compound=c, company=company, kind=ContractKind.assembly,
                                 signed_on=D(2019, 6, 1), starts_on=D(2019, 7, 1),
                                 ends_on=D(2022, 6, 30), service_grade=ServiceGrade.grade2,
                                 price_regime=PriceRegime.guided, fee_model=FeeModel.lump_sum,
                                 fee=Decimal("1.20")),
        disclosure=Disclosure(compound=c, company=company, item=DisclosureItem.fee_accounts,
                              period="2020上半年", published_on=D(2020, 7, 10), channel="公告栏"),
        signboard=Signboard(compound=c, installed_on=D(2020, 8, 1), directory_version=1),
        dispute=Dispute(compound=c, received_on=D(2020, 5, 1), parties=DisputeParties.owner_company,
                        summary="停车收费争议", status=DisputeStatus.mediating),
        finding=Finding(compound=c, source=FindingSource.self_inspection, found_on=D(2020, 7, 1),
                        description="档案不全", deadline=D(2020, 9, 30), status=FindingStatus.open),
        contact=ContactPoint(township=t, person=f"王{suffix}", complaint_phone="0551-1234567",
                             service_phone="0551-1234568", hours="工作日 8:30-17:30"),
        task=Task(campaign=campaign, step_no=1, title="自查自检和整改", township=t,
                  due_on=D(2020, 7, 31)),
        department=dept,
        dept_contact=ContactPoint(department=dept, person=f"赵{suffix}",
                                  complaint_phone="12345", service_phone="0551-7654321"),
        dept_task=Task(campaign=campaign, step_no=3, title="报送投诉电话", department=dept,
                       due_on=D(2020, 8, 31)),
    )
    rows.task_update = TaskUpdate(task=rows.task, noted_on=D(2020, 7, 15), progress=50,
                                  note="已完成一半")
    return rows


def build_county() -> SimpleNamespace:
    county = County(name="示例县", code="341122")
    campaign = Campaign(county=county, name="2020年住宅小区管理工作实施方案", year=2020,
                        starts_on=D(2020, 6, 1), ends_on=D(2021, 12, 31))
    target = Target(campaign=campaign, indicator=Indicator.committee_coverage,
                    threshold=Decimal("60"), due_on=D(2020, 12, 31))
    company = PropertyCompany(name="安居物业服务有限公司", uscc=complete("91341122MA2N00001"),
                              legal_person="孙经理", phone="0551-5550001")
    revision = DirectoryRevision(county=county, number=1, effective_on=D(2020, 7, 1))
    dept_a = Department(county=county, name="县公安局", short_name="公安")
    dept_b = Department(county=county, name="县民政局", short_name="民政")
    a = _township_block(county, campaign, company, "城关街道", TownshipKind.street, dept_a, "A")
    b = _township_block(county, campaign, company, "东山镇", TownshipKind.township, dept_b, "B")
    db.session.add_all([county, campaign, target, company, revision])
    for block in (a, b):
        db.session.add_all(vars(block).values())
    db.session.commit()
    return SimpleNamespace(county=county, campaign=campaign, target=target, company=company,
                           revision=revision, a=a, b=b)


def put_versioned(client, url: str, json: dict, **kwargs):
    """An API PUT as a client makes it: GET the row, then PUT naming the version it read
    (a PUT without one is refused, see test_api_tokens). A row the client cannot read is
    PUT without a version: the scope answers first."""
    read = client.get(url)
    payload = dict(json)
    if read.status_code == 200 and "version" in (read.get_json() or {}).get("result", {}):
        payload.setdefault("version", read.get_json()["result"]["version"])
    return client.put(url, json=payload, **kwargs)
