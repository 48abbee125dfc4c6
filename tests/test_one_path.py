"""Every path writes a row through the same rules (kit/rowform.py, kit/refs.py):

- the version check: the edit page, the grid and the REST API (session or bearer token) refuse
  a write without a version, or at a stale one, with the same message naming who changed the
  row - and leave the row as it was;
- the one naming rule: the same text typed into the grid and into an import names the same
  related row, or is refused with the same message.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from office.models import ChangeLog, Compound, CompoundKind, Dispute, ManagementMode, db
from tests.test_api_tokens import _token_client
from tests.test_import import book, errors, plan, upload
from tests.test_scope import parse_form

CONFLICT = "该行已被他人修改，请刷新后重试"


def _fresh(pk: int) -> Compound:
    db.session.expire_all()
    return db.session.get(Compound, pk)


def _clients(login, app, user="bureau"):
    return {"session": login(user), "token": _token_client(app, user)}


# ------------------------------------------------------------------ the REST API


@pytest.mark.parametrize("how", ["session", "token"])
def test_api_get_returns_the_version(login, county, app, how):
    client = _clients(login, app)[how]
    compound = county.a.compound
    shown = client.get(f"/api/v1/compound/{compound.id}")
    assert shown.status_code == 200
    assert shown.get_json()["result"]["version"] == compound.version == 1
    listed = client.get("/api/v1/compound/").get_json()["result"]
    assert {r["version"] for r in listed} == {1}


@pytest.mark.parametrize("how", ["session", "token"])
def test_api_put_without_a_version_is_refused(login, county, app, how):
    client = _clients(login, app)[how]
    pk = county.a.compound.id
    resp = client.put(f"/api/v1/compound/{pk}", json={"households": 999})
    assert resp.status_code == 409
    assert "版本号" in resp.get_json()["message"]
    assert _fresh(pk).households == 320 and _fresh(pk).version == 1


@pytest.mark.parametrize("how", ["session", "token"])
def test_api_put_at_a_stale_version_names_who_changed_the_row(login, county, app, how):
    pk = county.a.compound.id
    first = login("admin")
    # admin changes the row through the edit page: version 1 → 2
    form = parse_form(first.get(f"/compoundview/edit/{pk}").get_data(as_text=True)).values
    assert first.post(f"/compoundview/edit/{pk}",
                      data={**form, "households": "401"}).status_code == 302
    client = _clients(login, app)[how]
    logged = db.session.scalar(sa.select(sa.func.count()).select_from(ChangeLog))
    resp = client.put(f"/api/v1/compound/{pk}", json={"households": 999, "version": 1})
    assert resp.status_code == 409
    message = resp.get_json()["message"]
    assert message.startswith(CONFLICT) and "admin" in message and "第 1 版" in message
    row = _fresh(pk)
    assert (row.households, row.version) == (401, 2)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChangeLog)) == logged

    # at the version it now reads, the same PUT is saved and answers the next version
    resp = client.put(f"/api/v1/compound/{pk}", json={"households": 999, "version": 2})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["result"]["version"] == 3
    assert _fresh(pk).households == 999


@pytest.mark.parametrize("body", [[1, 2], "text", 7, None])
def test_api_put_of_something_else_than_an_object_is_a_400(login, county, body):
    client = login("bureau")
    pk = county.a.compound.id
    resp = client.put(f"/api/v1/compound/{pk}", json=body)
    assert resp.status_code == 400
    assert _fresh(pk).version == 1


# ------------------------------------------------------------------ the edit page and the grid


def test_edit_page_post_without_a_version_is_refused(login, county):
    client = login("bureau")
    pk = county.a.compound.id
    form = parse_form(client.get(f"/compoundview/edit/{pk}").get_data(as_text=True)).values
    form.pop("version")
    resp = client.post(f"/compoundview/edit/{pk}", data={**form, "households": "777"},
                       follow_redirects=True)
    assert "版本号" in resp.get_data(as_text=True)
    assert (_fresh(pk).households, _fresh(pk).version) == (320, 1)


def test_grid_and_api_say_a_conflict_alike(login, county, app):
    pk = county.a.compound.id
    api = login("bureau")
    assert api.put(f"/api/v1/compound/{pk}", json={"households": 401, "version": 1}
                   ).status_code == 200
    grid = login("admin").post("/compoundview/grid/save", json={"rows": [
        {"key": str(pk), "id": pk, "version": 1, "values": {"households": 999}}]})
    stale = login("admin").put(f"/api/v1/compound/{pk}",
                               json={"households": 999, "version": 1})
    assert grid.status_code == stale.status_code == 409
    grid_message = grid.get_json()["errors"][str(pk)]["_row"]
    api_message = stale.get_json()["message"]
    assert grid_message == api_message and "bureau" in api_message
    assert (_fresh(pk).households, _fresh(pk).version) == (401, 2)


# ------------------------------------------------------------------ one naming rule


@pytest.fixture()
def namesakes(county):
    """A compound of the same name in each township: only "乡镇/名称" names one of them."""
    rows = [Compound(township=t, name="同名花园", kind=CompoundKind.old,
                     management_mode=ManagementMode.none, households=10)
            for t in (county.a.township, county.b.township)]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def _grid_dispute(client, compound_text):
    return client.post("/disputeview/grid/save", json={"rows": [{"key": "new-0", "values": {
        "compound": compound_text, "received_on": "2020-06-01", "parties": "业主之间",
        "summary": "噪音", "status": "已受理"}}]})


def _import_dispute(client, app, compound_text):
    head = ["小区*", "受理日期*", "纠纷当事方*", "纠纷概况*", "状态*"]
    token, _ = upload(client, book([[compound_text, "2020-06-01", "业主之间", "噪音", "已受理"]],
                                   head=head), view="disputeview")
    return token


@pytest.mark.parametrize("text, which", [
    ("城关街道/同名花园", "a"), ("东山镇/同名花园", "b"), ("幸福花园A", "county_a"),
    ("  城关街道/同名花园 ", "a"),  # blanks around it, as pasted
])
def test_the_same_text_names_the_same_row_in_grid_and_import(login, county, app, namesakes,
                                                             text, which):
    expected = {"a": namesakes[0].id, "b": namesakes[1].id,
                "county_a": county.a.compound.id}[which]
    client = login("admin")
    token = _import_dispute(client, app, text)
    assert errors(app, token) == []
    (outcome,) = plan(app, token)["outcomes"]
    assert outcome["values"]["compound"] == expected

    resp = _grid_dispute(client, text)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    (saved,) = resp.get_json()["rows"].values()
    assert saved["compound"] == expected
    assert db.session.get(Dispute, saved["id"]).compound_id == expected


@pytest.mark.parametrize("text", ["同名花园", "不存在的花园"])
def test_the_same_text_is_refused_alike_in_grid_and_import(login, county, app, namesakes, text):
    client = login("admin")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Dispute))
    token = _import_dispute(client, app, text)
    ((_, column, import_message),) = errors(app, token)
    assert column == "小区"
    resp = _grid_dispute(client, text)
    assert resp.status_code == 422
    assert resp.get_json()["errors"]["new-0"]["compound"] == import_message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Dispute)) == before


# ------------------------------------------------------------------ the same Chinese messages


@pytest.mark.parametrize("body, field, message", [
    ({"kind": "bogus"}, "kind", "不是有效的选项"),
    ({"households": "x"}, "households", "不是整数"),
    ({"delivered_on": "2020-13-45"}, "delivered_on", "不是有效的日期"),
    ({"name": "长" * 200}, "name", "不能超过 80 个字"),
    ({"name": None}, "name", "必填，不能为空"),
    ({"township": 99_999}, "township", "不是有效的选项"),  # no such township
])
def test_api_refusals_are_said_as_the_form_says_them(login, county, body, field, message):
    pk = county.a.compound.id
    resp = login("bureau").put(f"/api/v1/compound/{pk}", json={**body, "version": 1})
    assert resp.status_code == 422
    assert resp.get_json()["message"][field] == [message]
    assert (_fresh(pk).households, _fresh(pk).version) == (320, 1)


def test_api_post_names_the_missing_fields_in_chinese(login, county):
    resp = login("bureau").post("/api/v1/compound/", json={"name": "新城花园"})
    assert resp.status_code == 422
    assert resp.get_json()["message"]["township"] == ["必填，不能为空"]


# ------------------------------------------------------------------ one length rule


def test_a_too_long_value_is_refused_alike_in_grid_and_import(login, county, app):
    """300 characters where 200 fit: refused with the row and the column named, never cut -
    the grid's save and the import say it by the same rule (kit/values.TooLong)."""
    client = login("bureau")
    pk = county.a.compound.id
    long_address = "长" * 300
    grid = client.post("/compoundview/grid/save", json={"rows": [
        {"key": str(pk), "id": pk, "version": 1, "row": 3,
         "values": {"address": long_address}}]})
    assert grid.status_code == 422
    assert grid.get_json()["errors"][str(pk)] == {
        "address": "第3行「地址」最多200个字符，现有300个"}
    assert _fresh(pk).address != long_address and _fresh(pk).version == 1
    # a row without its grid number: its place in the batch
    grid = client.post("/compoundview/grid/save", json={"rows": [
        {"key": "new-1", "values": {"name": "新城花园", "township": "城关街道",
                                    "kind": "商品房小区", "households": 10,
                                    "management_mode": "无物业管理"}},
        {"key": "new-2", "values": {"name": "名" * 81}}]})
    assert grid.status_code == 422
    assert grid.get_json()["errors"]["new-2"]["name"] == "第2行「名称」最多80个字符，现有81个"
    assert db.session.scalar(sa.select(Compound).where(Compound.name == "新城花园")) is None

    head = ["乡镇（街道、场）*", "名称*", "类型*", "户数*", "管理方式*", "地址"]
    token, _ = upload(client, book([["城关街道", "新城花园", "商品房小区", 10, "无物业管理",
                                     long_address]], head=head))
    assert errors(app, token) == [(2, "地址", "第2行「地址」最多200个字符，现有300个")]
    assert db.session.scalar(sa.select(Compound).where(Compound.name == "新城花园")) is None
