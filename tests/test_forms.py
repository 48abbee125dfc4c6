"""Forms that do not trap (issue 11, point 5): a required dropdown starts at 请选择 and says
which one is missing; a date is read as the import reads it; a member has a 姓名; findings past
their deadline are coloured on the list and the grid."""
from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
import sqlalchemy as sa

from office.kit.base import OfficeModelView
from office.kit.fields import CHOOSE, ClerkDateField, RelationRequired
from office.models import CommitteeMember, Finding, FindingStatus, OwnersCommittee, db
from tests.test_crud import fast_passwords  # noqa: F401  (module fixture)

D = dt.date


def _views(app):
    return {type(v).__name__: v for v in app.appbuilder.baseviews
            if isinstance(v, OfficeModelView)}


def _body(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return unescape(resp.get_data(as_text=True))


def _select(body: str, name: str) -> str:
    match = re.search(rf'<select[^>]*\bname="{name}"[^>]*>(.*?)</select>', body, re.S)
    assert match, f"no <select name={name}>"
    return match.group(1)


def _options(select_html: str) -> list[tuple[str, str, bool]]:
    out = []
    for attrs, text in re.findall(r"<option([^>]*)>(.*?)</option>", select_html, re.S):
        value = re.search(r'value="([^"]*)"', attrs)
        out.append((value.group(1) if value else "", text.strip(), "selected" in attrs))
    return out


def _required_relations(view) -> list[str]:
    form = view.add_form.__dict__
    out = []
    for name, unbound in form.items():
        validators = getattr(unbound, "kwargs", {}).get("validators") or []
        if any(isinstance(v, RelationRequired) for v in validators):
            out.append(name)
    return sorted(out)


# ---------------------------------------------------------------- 请选择


def test_every_required_relation_is_declared_by_the_kit(app):
    """Every add form's NOT NULL dropdown goes through the kit's rule (no per-entity code)."""
    views = _views(app)
    assert _required_relations(views["OwnersCommitteeView"]) == ["compound"]
    assert _required_relations(views["CommitteeMemberView"]) == ["committee"]
    assert _required_relations(views["FindingView"]) == ["compound"]
    assert _required_relations(views["CompoundView"]) == ["township"]


def test_every_add_form_starts_its_required_dropdowns_at_choose(app, login, county):
    client = login("admin")
    checked = 0
    for name, view in sorted(_views(app).items()):
        fields = _required_relations(view)
        if not fields or "can_add" not in view.base_permissions:
            continue
        body = _body(client.get(f"/{name.lower()}/add"))
        for field in fields:
            options = _options(_select(body, field))
            assert options[0] == ("__None", CHOOSE, True), (name, field, options[:2])
            assert not any(selected for _v, _t, selected in options[1:]), (name, field)
            checked += 1
    assert checked >= 10, checked


@pytest.mark.parametrize(("view", "field", "label"), [
    ("OwnersCommitteeView", "compound", "小区"),
    ("CommitteeMemberView", "committee", "业委会"),
])
def test_a_required_dropdown_left_at_choose_is_refused_by_name(login, county, view, field,
                                                               label):
    client = login("admin")
    model = {"OwnersCommitteeView": OwnersCommittee, "CommitteeMemberView": CommitteeMember}[view]
    before = db.session.scalar(sa.select(sa.func.count()).select_from(model))
    data = {
        "OwnersCommitteeView": {"compound": "__None", "kind": "committee", "term_no": "2",
                                "elected_on": "2021-03-01", "term_end": "2024-02-28",
                                "office_space": "dedicated"},
        "CommitteeMemberView": {"committee": "__None", "name": "王五", "role": "member",
                                "joined_on": "2021-03-01"},
    }[view]
    body = _body(client.post(f"/{view.lower()}/add", data=data))
    assert f"必填，请选择{label}" in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == before


# ---------------------------------------------------------------- dates as clerks type them


@pytest.mark.parametrize("typed", ["20261120", "2026/11/20", "2026-11-20", "2026年11月20日",
                                   " 2026.11.20 "])
def test_a_form_date_reads_what_the_import_reads(login, county, typed):
    client = login("admin")
    resp = client.post("/findingview/add", data={
        "compound": str(county.a.compound.id), "source": "bureau", "found_on": "2026-11-01",
        "description": f"消防通道堵塞 {typed}", "deadline": typed, "status": "open"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[-2000:]
    row = db.session.scalar(sa.select(Finding).where(
        Finding.description == f"消防通道堵塞 {typed}"))
    assert row.deadline == D(2026, 11, 20)


@pytest.mark.parametrize(("typed", "message"), [
    ("20261345", "日期“20261345”不存在"),
    ("明天", "日期格式无法识别：“明天”"),
])
def test_a_form_date_that_is_none_is_refused_with_its_reason(login, county, typed, message):
    client = login("admin")
    body = _body(client.post("/findingview/add", data={
        "compound": str(county.a.compound.id), "source": "bureau", "found_on": "2026-11-01",
        "description": "消防通道堵塞", "deadline": typed, "status": "open"}))
    assert message in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Finding).where(
        Finding.description == "消防通道堵塞")) == 0


def test_date_fields_of_every_form_are_the_clerks(app):
    for name, view in _views(app).items():
        for form_cls in (view.add_form, view.edit_form):
            for field in vars(form_cls).values():
                cls = getattr(field, "field_class", None)
                if cls is not None and cls.__name__ == "DateField":
                    pytest.fail(f"{name}: a WTForms DateField left")
    assert vars(_views(app)["FindingView"].add_form)["deadline"].field_class is ClerkDateField


# ---------------------------------------------------------------- labels


def test_a_member_has_a_name_not_a_title(login, county):
    client = login("admin")
    form = _body(client.get("/committeememberview/add"))
    assert re.search(r"<label[^>]*>\s*姓名", form) or "姓名" in form
    assert "名称" not in re.sub(r"<script.*?</script>", "", form, flags=re.S)
    assert "<th>" in _body(client.get("/committeememberview/list/"))
    assert "姓名" in _body(client.get("/committeememberview/list/"))


# ---------------------------------------------------------------- overdue findings


@pytest.fixture()
def findings(app, county, monkeypatch):
    """Three open findings of 城关街道: overdue, due in 3 days, due in a month; one closed
    past its deadline (not overdue: rectified)."""
    monkeypatch.setitem(app.config, "TODAY", D(2020, 10, 15))
    c = county.a.compound
    rows = {
        "overdue": Finding(compound=c, source="bureau", found_on=D(2020, 9, 1),
                           description="逾期未整改", deadline=D(2020, 10, 1),
                           status=FindingStatus.rectifying),
        "due_soon": Finding(compound=c, source="bureau", found_on=D(2020, 9, 2),
                            description="即将到期", deadline=D(2020, 10, 18),
                            status=FindingStatus.open),
        "open": Finding(compound=c, source="bureau", found_on=D(2020, 9, 3),
                        description="尚早", deadline=D(2020, 11, 30), status=FindingStatus.open),
        "done": Finding(compound=c, source="bureau", found_on=D(2020, 9, 4),
                        description="已销号", deadline=D(2020, 10, 1),
                        status=FindingStatus.closed, closed_on=D(2020, 10, 5)),
    }
    db.session.add_all(rows.values())
    db.session.commit()
    return {k: v.id for k, v in rows.items()}


def _row_classes(body: str) -> dict[str, str]:
    """description -> the list row's class."""
    out = {}
    for attrs, row in re.findall(r"<tr([^>]*)>(.*?)</tr>", body, re.S):
        for text in ("逾期未整改", "即将到期", "尚早", "已销号"):
            if text in row:
                cls = re.search(r'class="([^"]*)"', attrs)
                out[text] = cls.group(1) if cls else ""
    return out


def test_overdue_findings_are_red_on_the_list(login, findings):
    body = _body(login("admin").get("/findingview/list/"))
    assert _row_classes(body) == {"逾期未整改": "office-row-overdue",
                                  "即将到期": "office-row-due_soon", "尚早": "office-row-open",
                                  "已销号": "office-row-done"}
    assert 'title="已逾期"' in body
    assert "office/rows.css" in body


def test_overdue_findings_are_red_in_the_grid(login, findings):
    data = login("admin").get("/findingview/grid/data?page=1&size=50").get_json()["data"]
    states = {row["id"]: row["_state"] for row in data}
    assert states[findings["overdue"]] == "overdue"
    assert states[findings["due_soon"]] == "due_soon"
    assert states[findings["open"]] == "open"
    assert states[findings["done"]] == "done"
