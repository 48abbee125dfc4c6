"""修改记录: a record's change history in the clerk's words, and undoing one change."""
import re

import sqlalchemy as sa

from office.kit.audit.log import audit_context
from office.models import ChangeAction, ChangeLog, ChangeSource, Compound, PropertyCompany, db
from office.services.uscc import complete


def _edit_compound(client, compound, **changes):
    db.session.refresh(compound)
    data = {"township": compound.township_id, "name": compound.name,
            "kind": compound.kind.name, "households": str(compound.households),
            "management_mode": compound.management_mode.name,
            "company": compound.company_id or "", "community": compound.community or "",
            "address": compound.address or "", "developer": compound.developer or "",
            "delivered_on": compound.delivered_on.isoformat() if compound.delivered_on else "",
            "buildings": compound.buildings or "", "built_year": compound.built_year or "",
            "version": str(compound.version)}
    data.update(changes)
    resp = client.post(f"/compoundview/edit/{compound.id}", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[-3000:]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _log(compound_id, action=None):
    stmt = sa.select(ChangeLog).where(ChangeLog.entity == "Compound",
                                      ChangeLog.row_id == compound_id).order_by(ChangeLog.id)
    if action:
        stmt = stmt.where(ChangeLog.action == action)
    db.session.expire_all()
    return db.session.scalars(stmt).all()


def test_history_lists_changes_with_labels(login, county):
    client = login("bureau")
    compound = county.a.compound
    other = PropertyCompany(name="宜居物业有限公司", uscc=complete("91341122MA2N00009"))
    db.session.add(other)
    db.session.commit()
    _edit_compound(client, compound, households="321", kind="old", company=str(other.id))
    page = client.get(f"/compoundview/history/{compound.id}")
    assert page.status_code == 200
    text = _text(page.get_data(as_text=True))
    assert "户数 320 321" in text
    assert "类型 商品房小区 老旧小区" in text                      # enum labels, not names
    assert "物业服务企业 安居物业服务有限公司 宜居物业有限公司" in text  # related rows by name
    assert "bureau 表单 修改" in text
    # the insert (made by the test fixture) shows its values with labels
    assert "新增" in text and "名称：幸福花园A" in text and "交付日期：2013-05-01" in text


def test_show_page_links_to_history(login, county):
    page = login("bureau").get(f"/compoundview/show/{county.a.compound.id}")
    assert f"/compoundview/history/{county.a.compound.id}" in page.get_data(as_text=True)


def test_history_is_row_scoped(login, county):
    client = login("town_a")
    assert client.get(f"/compoundview/history/{county.a.compound.id}").status_code == 200
    assert client.get(f"/compoundview/history/{county.b.compound.id}").status_code == 404
    assert client.get("/compoundview/history/999999").status_code == 404
    assert client.get("/compoundview/history/abc").status_code == 404
    assert client.get(f"/disputeview/history/{county.b.dispute.id}").status_code == 404


def test_history_needs_read_permission(login, county):
    assert login("liaison_a").get(
        f"/compoundview/history/{county.a.compound.id}").status_code in (302, 403)


def test_revert_sets_the_old_value_and_is_itself_logged(login, county):
    client = login("bureau")
    compound = county.a.compound
    _edit_compound(client, compound, households="400")
    entry = next(e for e in _log(compound.id, ChangeAction.update) if e.field == "households")
    resp = client.post(f"/compoundview/history/{compound.id}/revert/{entry.id}")
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(Compound, compound.id).households == 320
    last = _log(compound.id)[-1]
    assert (last.action, last.field, last.old, last.new, last.username) == (
        ChangeAction.revert, "households", "400", "320", "bureau")
    page = _text(client.get(resp.headers["Location"]).get_data(as_text=True))
    assert "已撤销：“户数”由“400”恢复为“320”" in page
    assert "撤销 户数 400 320" in page


def test_revert_of_enum_date_and_relation_fields(login, county):
    client = login("bureau")
    compound = county.a.compound
    _edit_compound(client, compound, kind="old", delivered_on="2014-06-01", company="")
    for field in ("kind", "delivered_on", "company_id"):
        entry = next(e for e in _log(compound.id, ChangeAction.update) if e.field == field)
        assert client.post(f"/compoundview/history/{compound.id}/revert/{entry.id}"
                           ).status_code == 303
    db.session.expire_all()
    c = db.session.get(Compound, compound.id)
    assert c.kind.name == "commercial" and str(c.delivered_on) == "2013-05-01"
    assert c.company_id == county.company.id


def test_revert_is_refused_when_the_value_changed_since(login, county):
    client = login("bureau")
    compound = county.a.compound
    _edit_compound(client, compound, households="400")
    _edit_compound(client, compound, households="500")
    first = next(e for e in _log(compound.id, ChangeAction.update) if e.new == "400")
    resp = client.post(f"/compoundview/history/{compound.id}/revert/{first.id}")
    page = _text(client.get(resp.headers["Location"]).get_data(as_text=True))
    assert "不能撤销：“户数”现在是“500”，已不是这条记录中的“400”（之后又被修改过）" in page
    db.session.expire_all()
    assert db.session.get(Compound, compound.id).households == 500


def test_revert_needs_edit_permission_and_write_scope(login, county):
    compound = county.b.compound
    with audit_context(ChangeSource.job, username="worker"):
        compound.households = 330
        db.session.commit()
    entry = _log(compound.id, ChangeAction.update)[-1]
    url = f"/compoundview/history/{compound.id}/revert/{entry.id}"
    assert login("supervisor").post(url).status_code == 403      # reads, never edits
    assert login("town_a").post(url).status_code == 404          # another township's row
    # no revert button for a reader
    page = login("supervisor").get(f"/compoundview/history/{compound.id}").get_data(as_text=True)
    assert "history_revert" not in page and "/revert/" not in page
    resp = login("admin").post(url)
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(Compound, compound.id).households == 320


def test_revert_entry_must_belong_to_the_row(login, county):
    client = login("bureau")
    _edit_compound(client, county.a.compound, households="400")
    entry = _log(county.a.compound.id, ChangeAction.update)[-1]
    assert client.post(f"/compoundview/history/{county.b.compound.id}/revert/{entry.id}"
                       ).status_code == 404
    insert = _log(county.a.compound.id, ChangeAction.insert)[0]
    resp = client.post(f"/compoundview/history/{county.a.compound.id}/revert/{insert.id}")
    page = _text(client.get(resp.headers["Location"]).get_data(as_text=True))
    assert "只能撤销对单个字段的修改" in page


def test_change_log_screen_shows_labels(login, county):
    client = login("bureau")
    _edit_compound(client, county.a.compound, households="400", kind="old")
    text = _text(login("admin").get("/changelogview/list/").get_data(as_text=True))
    assert "住宅小区" in text and "户数" in text and "老旧小区" in text
