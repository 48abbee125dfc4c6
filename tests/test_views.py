"""The screens read well: related records on show pages, search, default orders, Chinese
labels and titles, values printed as a clerk expects - and list pages that do not issue a
query per row."""
from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager
from decimal import Decimal
from html import unescape

import pytest
import sqlalchemy as sa

from office.kit.labels import label as model_label
from office.models import (
    ArchiveItem,
    ArchiveKind,
    Campaign,
    ChangeAction,
    ChangeLog,
    ChangeSource,
    CommitteeKind,
    CommitteeMember,
    Compound,
    CompoundKind,
    ContactPoint,
    ContractKind,
    Department,
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
    ReportRun,
    ReportStatus,
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
from office.views.menu import MENU
from tests.test_crud import fast_passwords  # noqa: F401  (module fixture)

D = dt.date
VIEWS = {view.__name__: (view, name) for view, name, *_ in MENU}


def _route(view_name: str) -> str:
    return "/" + view_name.lower()


def _body(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return unescape(resp.get_data(as_text=True))


def _tab(body: str, view_name: str) -> str:
    """The HTML of one related-records tab of a show page."""
    pane = rf'<div id="{view_name}" class="tab-pane">(.*?)(?=<div id="\w+" class="tab-pane|\Z)'
    match = re.search(pane, body, re.S)
    assert match, f"no related tab {view_name}"
    return match.group(1)


def _tabs(body: str) -> list[str]:
    return re.findall(r'data-toggle="tab">(.*?)</a>', body)


def _rows(body: str) -> list[str]:
    """The list table's rows, as text."""
    table = body[body.index("<tbody") if "<tbody" in body else 0:]
    rows = re.findall(r"<tr(?:\s[^>]*)?>(.*?)</tr>", table, re.S)  # a row may carry a class
    return [re.sub(r"<[^>]+>|\s+", " ", r) for r in rows]


# ---------------------------------------------------------------- related records


def test_compound_show_page_lists_its_records(login, county):
    a, b = county.a, county.b
    body = _body(login("admin").get(f"/compoundview/show/{a.compound.id}"))
    assert "幸福花园A" in body and "2013-05-01" in body and "商品房小区" in body
    assert _tabs(body)[1:] == [
        "业主大会筹备组列表", "业主委员会列表", "纠纷调处列表", "检查整改列表", "物业服务合同列表",
        "收费与服务公示列表", "公示牌列表",
    ]  # the price-review queue is not a second contracts tab
    expect = {
        "OwnersCommitteeView": ["业主委员会", "2019-03-01", "2024-02-28", "专用办公用房"],
        "PrepGroupView": ["李组长", "已召开业主大会"],
        "ServiceContractView": ["安居物业服务有限公司", "物业服务合同", "1.20"],
        "DisclosureView": ["2020上半年", "物业费收支情况", "公告栏"],
        "SignboardView": ["2020-08-01"],
        "DisputeView": ["2020-05-01", "业主与物业服务企业", "调解中"],
        "FindingView": ["自查自检", "2020-09-30", "待整改"],
    }
    for view, texts in expect.items():
        tab = _tab(body, view)
        for text in texts:
            assert text in tab, (view, text)
        assert "幸福花园B" not in tab, view
    assert f"/ownerscommitteeview/show/{a.committee.id}" in body
    assert f"/ownerscommitteeview/show/{b.committee.id}" not in body


@pytest.mark.parametrize("parent, row, tabs", [
    ("OwnersCommitteeView", lambda c: c.a.committee,
     {"CommitteeMemberView": ["张A", "主任"], "ArchiveItemView": ["会议记录", "是"]}),
    ("CommitteeMemberView", lambda c: c.a.member,
     {"SupervisionRecordView": ["培训", "2020-06-01", "城关街道"]}),
    ("PropertyCompanyView", lambda c: c.company,
     {"ServiceContractView": ["幸福花园A", "幸福花园B"], "DisclosureView": ["2020上半年"]}),
    ("TownshipView", lambda c: c.a.township,
     {"CompoundView": ["幸福花园A"], "ContactPointView": ["王A", "0551-1234567"],
      "TaskView": ["自查自检和整改"]}),
    ("DepartmentView", lambda c: c.a.department,
     {"ContactPointView": ["赵A", "12345"], "TaskView": ["报送投诉电话"]}),
    ("CampaignView", lambda c: c.campaign,
     {"TargetView": ["业委会组建率", "60.00", "2020-12-31"],
      "TaskView": ["自查自检和整改", "报送投诉电话"]}),
    ("TaskView", lambda c: c.a.task, {"TaskUpdateView": ["已完成一半", "2020-07-15", "50"]}),
    ("CountyView", lambda c: c.county,
     {"TownshipView": ["城关街道", "东山镇"], "DepartmentView": ["县公安局", "县民政局"]}),
])
def test_show_pages_list_related_records(login, county, parent, row, tabs):
    body = _body(login("admin").get(f"{_route(parent)}/show/{row(county).id}"))
    for view, texts in tabs.items():
        tab = _tab(body, view)
        for text in texts:
            assert text in tab, (view, text)


def test_related_lists_hold_only_the_parents_rows(login, county):
    body = _body(login("admin").get(f"/townshipview/show/{county.a.township.id}"))
    assert "幸福花园B" not in _tab(body, "CompoundView")
    assert "王B" not in _tab(body, "ContactPointView")
    body = _body(login("admin").get(f"/ownerscommitteeview/show/{county.a.committee.id}"))
    assert "张B" not in _tab(body, "CommitteeMemberView")


# ---------------------------------------------------------------- search


def _more_compounds(county):
    db.session.add_all([
        Compound(township=county.a.township, name="和平小区", kind=CompoundKind.old,
                 households=80, management_mode=ManagementMode.none),
        Compound(township=county.b.township, name="东山花园", kind=CompoundKind.resettlement,
                 households=200, management_mode=ManagementMode.entrusted),
    ])
    db.session.commit()


@pytest.mark.parametrize("query, shown, hidden", [
    ("_flt_0_name=幸福", ["幸福花园A", "幸福花园B"], ["和平小区", "东山花园"]),  # starts with
    ("_flt_2_name=花园", ["幸福花园A", "幸福花园B", "东山花园"], ["和平小区"]),  # contains
    ("_flt_3_name=和平小区", ["和平小区"], ["幸福花园A", "东山花园"]),  # equal
    ("_flt_0_kind=old", ["和平小区"], ["幸福花园A", "东山花园"]),  # enum by member name
    ("_flt_0_township={b}", ["幸福花园B", "东山花园"], ["幸福花园A", "和平小区"]),  # relation
    ("_flt_2_name=花园&_flt_0_township={a}", ["幸福花园A"], ["幸福花园B", "东山花园", "和平小区"]),
    ("_flt_1_households=100", ["幸福花园A", "东山花园"], ["和平小区"]),  # greater than
])
def test_search_filters(login, county, query, shown, hidden):
    _more_compounds(county)
    query = query.format(a=county.a.township.id, b=county.b.township.id)
    rows = " | ".join(_rows(_body(login("admin").get(f"/compoundview/list/?{query}"))))
    for name in shown:
        assert name in rows, name
    for name in hidden:
        assert name not in rows, name


def test_search_on_a_column_not_offered_is_ignored(login, county):
    rows = _rows(_body(login("admin").get("/compoundview/list/?_flt_0_developer=不存在")))
    assert any("幸福花园A" in r for r in rows)


@pytest.mark.parametrize("view", list(VIEWS))
def test_search_columns_and_order_are_declared(view):
    cls = VIEWS[view][0]
    declared = {k for klass in cls.__mro__[:-1] if klass.__module__.startswith("office.views.")
                and klass.__name__ != "OfficeModelView" for k in vars(klass)}
    assert {"search_columns", "base_order", "list_columns"} <= declared, view
    model = cls.datamodel.obj
    assert 0 < len(cls.search_columns) < len(model.__table__.columns), view
    order_column, direction = cls.base_order
    assert direction in ("asc", "desc") and order_column in model.__table__.c, view
    for name in cls.search_columns:
        assert name in model.__table__.c or name in sa.inspect(model).relationships, (view, name)


# ---------------------------------------------------------------- default orders


def test_default_orders_apply(login, county):
    client = login("admin")
    _more_compounds(county)
    rows = _rows(_body(client.get("/compoundview/list/")))
    names = [n for r in rows for n in re.findall(r"(幸福花园A|幸福花园B|和平小区|东山花园)", r)[:1]]
    assert names == sorted(names)  # by name

    db.session.add_all([
        Dispute(compound=county.a.compound, received_on=D(2021, 3, 1), summary="新纠纷",
                parties=DisputeParties.owner_owner, status=DisputeStatus.open),
        Dispute(compound=county.a.compound, received_on=D(2019, 1, 1), summary="旧纠纷",
                parties=DisputeParties.owner_owner, status=DisputeStatus.resolved),
    ])
    db.session.commit()
    rows = _rows(_body(client.get("/disputeview/list/")))
    dates = [d for r in rows for d in re.findall(r"\d{4}-\d{2}-\d{2}", r)[:1]]
    assert dates == sorted(dates, reverse=True) and len(dates) == 4  # newest first

    rows = _rows(_body(client.get("/taskview/list/")))
    dues = [d for r in rows for d in re.findall(r"\d{4}-\d{2}-\d{2}", r)[:1]]
    assert dues == sorted(dues) and dues  # soonest deadline first

    # a clerk's click on a column header still wins
    by_households = "/compoundview/list/?_oc_CompoundView=households&_od_CompoundView=asc"
    rows = _rows(_body(client.get(by_households)))
    households = [int(h) for r in rows for h in re.findall(r"\b(80|200|320)\b", r)[:1]]
    assert households == sorted(households)


# ---------------------------------------------------------------- labels, titles, values


@pytest.mark.parametrize("view", list(VIEWS))
def test_list_page_speaks_chinese(login, county, view):
    cls, name = VIEWS[view]
    db.session.add(ReportRun(as_of=D(2020, 9, 30), status=ReportStatus.queued))  # none in factory
    db.session.commit()
    body = _body(login("admin").get(_route(view) + "/list/"))
    assert f"{name}列表" in body
    headers = re.findall(r"<th>(?:<a [^>]*>)?\s*([^<]+?)\s*(?:<i |</a>|</th>)", body)
    for column in cls.list_columns:
        label = cls.label_columns.get(column) if cls.label_columns else None
        label = label or model_label(cls.datamodel.obj, column)
        assert label != column, (view, column)  # the model (or the view) names it
        assert label in headers, (view, column, label)
    assert not re.search(r"<th>[^<]*[a-z]_[a-z]", body)  # no raw column names


@pytest.mark.parametrize("view, row", [
    ("CompoundView", lambda c: c.a.compound),
    ("OwnersCommitteeView", lambda c: c.a.committee),
    ("TaskView", lambda c: c.a.task),
    ("PropertyCompanyView", lambda c: c.company),
])
def test_page_titles_come_from_the_menu_name(login, county, view, row):
    client, name, pk = login("admin"), VIEWS[view][1], row(county).id
    assert f"查看{name}" in _body(client.get(f"{_route(view)}/show/{pk}"))
    assert f"编辑{name}" in _body(client.get(f"{_route(view)}/edit/{pk}"))
    assert f"添加{name}" in _body(client.get(f"{_route(view)}/add"))


def test_values_read_as_a_clerk_expects(login, county):
    client = login("admin")
    body = _body(client.get(f"/compoundview/show/{county.a.compound.id}"))
    assert "2013-05-01" in body and "物业服务企业" in body and "商品房小区" in body
    assert "ManagementMode" not in body and "commercial" not in body

    body = _body(client.get("/disputeview/list/"))
    assert "调解中" in body and ">None<" not in body and "2020-05-01" in body

    body = _body(client.get("/archiveitemview/list/"))
    assert "<td>是</td>" in body and "True" not in body

    db.session.add(ChangeLog(at=dt.datetime(2020, 9, 30, 17, 5, 42, 123456), username="admin",
                             source=ChangeSource.form, entity="Compound", row_id=1,
                             action=ChangeAction.update, field="households", old="320",
                             new="330"))
    db.session.add(ReportRun(as_of=D(2020, 9, 30), status=ReportStatus.done, requested_by="admin",
                             finished_at=dt.datetime(2020, 10, 1, 8, 0, 1, 5)))
    db.session.commit()
    body = _body(client.get("/changelogview/list/"))
    assert "2020-09-30 17:05" in body and "17:05:42" not in body and "表单" in body
    body = _body(client.get("/reportrunview/list/"))
    assert "2020-10-01 08:00" in body and "已完成" in body and "08:00:01" not in body


def test_form_dropdowns_show_readable_labels(login, county):
    body = _body(login("admin").get("/committeememberview/add"))
    assert "幸福花园A 第1届业主委员会" in body
    body = _body(login("admin").get("/taskupdateview/add"))
    assert "城关街道 · 自查自检和整改" in body and "县公安局 · 报送投诉电话" in body
    body = _body(login("admin").get("/compoundview/add"))
    assert ">商品房小区<" in body and 'value="commercial"' in body


# ---------------------------------------------------------------- no query per row


@contextmanager
def statements():
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def _wide_county(county_id: int, n: int = 30) -> None:
    """n of everything, each hanging off a *different* parent row, so a lazy load per row
    cannot hide behind the session's identity map."""
    rows = []
    for i in range(n):
        town = Township(county_id=county_id, name=f"第{i}镇", kind=TownshipKind.township)
        dept = Department(county_id=county_id, name=f"第{i}局", short_name=f"局{i}")
        company = PropertyCompany(name=f"第{i}物业", uscc=complete(f"91341122MA3X{i:05d}"))
        compound = Compound(township=town, name=f"第{i}小区", kind=CompoundKind.commercial,
                            households=100 + i, management_mode=ManagementMode.company,
                            company=company)
        committee = OwnersCommittee(compound=compound, kind=CommitteeKind.committee, term_no=1,
                                    elected_on=D(2020, 1, 1), term_end=D(2024, 12, 31),
                                    office_space=OfficeSpace.temporary)
        member = CommitteeMember(committee=committee, name=f"成员{i}", role=MemberRole.member,
                                 joined_on=D(2020, 1, 1))
        campaign = Campaign(county_id=county_id, name=f"{1990 + i}年方案", year=1990 + i,
                            starts_on=D(1990 + i, 1, 1), ends_on=D(1990 + i, 12, 31))
        task = Task(campaign=campaign, step_no=i, title=f"任务{i}", township=town,
                    due_on=D(2020, 9, 1))
        rows += [
            town, dept, company, compound, committee, member, campaign, task,
            SupervisionRecord(member=member, kind=SupervisionKind.inspection,
                              held_on=D(2020, 9, 1)),
            ArchiveItem(committee=committee, kind=ArchiveKind.accounts, present=False),
            PrepGroup(compound=compound, formed_on=D(2019, 1, 1), leader=f"组长{i}",
                      status=PrepGroupStatus.assembled),
            ServiceContract(compound=compound, company=company, kind=ContractKind.assembly,
                            signed_on=D(2020, 1, 1), starts_on=D(2020, 1, 1),
                            ends_on=D(2022, 12, 31), service_grade=ServiceGrade.grade1,
                            price_regime=PriceRegime.market, fee_model=FeeModel.lump_sum,
                            fee=Decimal("2.00")),
            Disclosure(compound=compound, company=company, item=DisclosureItem.common_income,
                       published_on=D(2020, 7, 1)),
            Signboard(compound=compound, installed_on=D(2020, 8, 1), directory_version=1),
            Dispute(compound=compound, received_on=D(2020, 6, 1), summary="噪音",
                    parties=DisputeParties.owner_owner, status=DisputeStatus.open),
            Finding(compound=compound, source=FindingSource.bureau, found_on=D(2020, 7, 1),
                    description="台账缺失", status=FindingStatus.rectifying),
            ContactPoint(department=dept, person=f"联系人{i}", complaint_phone="12345"),
            ContactPoint(township=town, person=f"镇联系人{i}", complaint_phone="12345"),
            Task(campaign=campaign, step_no=i, title=f"部门任务{i}", department=dept,
                 due_on=D(2020, 8, 31)),
            TaskUpdate(task=task, noted_on=D(2020, 8, 1), progress=20, note=f"进展{i}"),
            Target(campaign=campaign, indicator=Indicator.contract_signed,
                   threshold=Decimal("100"), due_on=D(2020, 9, 30)),
        ]
    db.session.add_all(rows)
    db.session.commit()


def _count(client, url: str) -> int:
    """Statements one request issues (each in its own session: conftest's IsolatedClient)."""
    client.get(url)  # warm: once-per-process work (compiled statement caches) is not counted
    with statements() as seen:
        resp = client.get(url)
    assert resp.status_code == 200, url
    return len(seen)


LIST_BOUND = 12  # user, roles, groups, count, page, a count/select pair per search dropdown



def test_list_pages_do_not_query_per_row(login, county):
    county_id, client = county.county.id, login("admin")
    views = list(VIEWS)
    urls = {view: _route(view) + "/list/" for view in views}
    few = {view: _count(client, url) for view, url in urls.items()}
    _wide_county(county_id)
    many = {view: _count(client, url) for view, url in urls.items()}
    report = {view: (few[view], many[view]) for view in views}
    print("\nstatements per list page (2 rows -> 25-row page):", report)
    for view in views:
        assert many[view] <= few[view], (view, report[view])
        assert many[view] <= LIST_BOUND, (view, report[view])


def test_compound_list_page_statement_bound(login, county):
    """The N+1 check of record: 30+ compounds, each with its own township and company."""
    _wide_county(county.county.id)
    client = login("admin")
    n = _count(client, "/compoundview/list/")
    print(f"\ncompound list, 25 of 32 rows: {n} statements")
    assert n <= 12, n
    # The page's rows come with their township and company in the same SELECT (the search
    # form's dropdowns happen to load every township and company too, which would hide a
    # lazy load per row here; the related lists on show pages have no such cover).
    with statements() as seen:
        body = _body(client.get("/compoundview/list/"))
    (page,) = [q for q in seen if "FROM compound" in q and "LIMIT" in q]
    assert "JOIN township" in page and "JOIN property_company" in page
    assert "第0镇" in body and "第0物业" in body


def test_scoped_list_is_one_query_too(login, county):
    _wide_county(county.county.id)
    client = login("town_a")
    assert _count(client, "/compoundview/list/") <= 12
    assert _count(client, "/committeememberview/list/") <= 12


def test_show_and_form_pages_do_not_query_per_row(login, county):
    client = login("admin")
    county_id, compound_id = county.county.id, county.a.compound.id
    township_id, campaign_id = county.a.township.id, county.campaign.id
    pages = [
        f"/compoundview/show/{compound_id}", f"/townshipview/show/{township_id}",
        f"/campaignview/show/{campaign_id}",
        "/committeememberview/add", "/archiveitemview/add", "/taskupdateview/add",
        "/supervisionrecordview/add", "/disputeview/add", "/compoundview/add",
    ]
    few = {url: _count(client, url) for url in pages}
    _wide_county(county_id)
    # give the one compound, township and campaign many children, each with its own parents
    companies = db.session.scalars(
        sa.select(PropertyCompany.id).where(PropertyCompany.name.like("第%物业"))).all()
    towns = db.session.scalars(sa.select(Township.id).where(Township.name.like("第%镇"))).all()
    for i, (company_id, town_id) in enumerate(zip(companies, towns)):
        db.session.add_all([
            Dispute(compound_id=compound_id, received_on=D(2020, 6, 1), summary=f"纠纷{i}",
                    parties=DisputeParties.owner_owner, status=DisputeStatus.open),
            ServiceContract(compound_id=compound_id, company_id=company_id,
                            kind=ContractKind.assembly, signed_on=D(2020, 1, 1),
                            starts_on=D(2020, 1, 1), ends_on=D(2022, 12, 31),
                            service_grade=ServiceGrade.grade1, price_regime=PriceRegime.market,
                            fee_model=FeeModel.lump_sum, fee=Decimal("2.00")),
            Compound(township_id=township_id, name=f"城关{i}小区", kind=CompoundKind.old,
                     management_mode=ManagementMode.company, company_id=company_id),
            Task(campaign_id=campaign_id, step_no=9, title=f"城关任务{i}", township_id=town_id,
                 due_on=D(2020, 9, 1)),
        ])
    db.session.commit()
    many = {url: _count(client, url) for url in pages}
    print("\nstatements per page (few -> many rows):", {u: (few[u], many[u]) for u in pages})
    for url in pages:
        assert many[url] <= few[url], (url, few[url], many[url])
