"""Signboards (二.3, 四.2): a directory change makes the boards stale, they are listed for
replacement, replacing one is one action (list bulk action, grid action), and the print pages
show the directory as it is now.

The tiny county has one board per compound (幸福花园A in 城关街道, 幸福花园B in 东山镇), both
showing version 1 of the directory, which is in effect since 2020-07-01.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import sqlalchemy as sa

from office import indicators
from office.indicators import Rate
from office.models import (
    ChangeLog,
    ChangeSource,
    Compound,
    CompoundKind,
    County,
    DirectoryRevision,
    ManagementMode,
    Signboard,
    Township,
    TownshipKind,
    db,
)
from office.services import signboards as service
from tests.factories import put_versioned

STALE_LIST = "/stalesignboardview/list/"
GRID_ACTION = "/stalesignboardview/grid/action/mark_replaced"
STATIC = Path(__file__).resolve().parents[1] / "office" / "static" / "signboards"


def today() -> dt.date:
    return dt.date.today()


def change_directory(login, county, phone="0551-6668888") -> None:
    """The liaison of 县公安局 gives a new complaint phone (through the API)."""
    resp = put_versioned(login("liaison_a"), f"/api/v1/contact_point/{county.a.dept_contact.id}",
                         json={"complaint_phone": phone})
    assert resp.status_code == 200, resp.get_data(as_text=True)


def boards() -> list[tuple[str, int, dt.date, dt.date | None]]:
    db.session.rollback()
    db.session.expire_all()
    return [(b.compound.name, b.directory_version, b.installed_on, b.removed_on)
            for b in db.session.scalars(sa.select(Signboard).order_by(Signboard.id))]


def stale_ids(client) -> set[int]:
    body = client.get(STALE_LIST).get_data(as_text=True)
    return {int(i) for i in re.findall(r"/stalesignboardview/show/(\d+)", body)}


def signboard_rate(county, as_of=None) -> Rate:
    db.session.rollback()
    return indicators.county_rates(as_of or today(), county.campaign,
                                   ["signboard_current"])["signboard_current"]


def behind(county, as_of=None) -> set[int]:
    query = indicators.compounds_behind("signboard_current", as_of or today(), county.campaign,
                                        met=False)
    return set(db.session.scalars(query))


# ---------------------------------------------------------------- staleness


def test_a_directory_change_makes_every_board_stale(login, county):
    a, b = county.a.signboard, county.b.signboard
    bureau = login("bureau")
    assert stale_ids(bureau) == set()
    assert signboard_rate(county) == Rate(2, 2)

    change_directory(login, county)

    assert stale_ids(bureau) == {a.id, b.id}
    assert stale_ids(login("town_a")) == {a.id}  # a township clerk: their own boards
    assert stale_ids(login("supervisor")) == {a.id, b.id}
    body = bureau.get(STALE_LIST).get_data(as_text=True)
    assert "待更换公示牌" in body and "现行通讯录：第2版" in body and "城关街道" in body
    # the indicator agrees: as of today no compound shows the current directory ...
    assert signboard_rate(county) == Rate(0, 2)
    assert behind(county) == {county.a.compound.id, county.b.compound.id}
    assert {s.id for s in db.session.scalars(service.stale_boards())} == {a.id, b.id}
    # ... and yesterday's figure stays what it was (the new version is effective today)
    assert signboard_rate(county, today() - dt.timedelta(days=1)) == Rate(2, 2)
    # a liaison has no business with boards
    assert login("liaison_a").get(STALE_LIST).status_code in (302, 403)


def test_stale_list_agrees_with_the_indicator_on_any_board_history(county):
    """Boards removed, installed later, newer than the directory: the list and the indicator
    count the same compounds."""
    a, b = county.a, county.b
    db.session.add(Compound(township=a.township, name="无牌小区", kind=CompoundKind.commercial,
                            households=10, management_mode=ManagementMode.none))
    extra = Compound(township=b.township, name="新牌小区", kind=CompoundKind.commercial,
                     households=10, management_mode=ManagementMode.none)
    db.session.add_all([extra, Signboard(compound=extra, installed_on=today(),
                                         directory_version=2)])
    a.signboard.removed_on = dt.date(2020, 9, 1)
    db.session.add(Signboard(compound=a.compound, installed_on=dt.date(2020, 9, 1),
                             directory_version=1, location="南门"))
    db.session.commit()
    change_directory_now(county)  # version 2, effective today
    stale_compounds = {s.compound_id for s in db.session.scalars(service.stale_boards())}
    no_board = set(db.session.scalars(sa.select(Compound.id).where(
        ~Compound.id.in_(sa.select(Signboard.compound_id).where(service.in_place(today()))))))
    assert stale_compounds == behind(county) - no_board == {a.compound.id, b.compound.id}
    assert signboard_rate(county) == Rate(1, 4)  # only 新牌小区 shows version 2


def test_each_county_is_judged_by_its_own_directory(login, county):
    """A city deployment: another county at another version does not make ours stale."""
    other = County(name="邻县", code="341199")
    town = Township(county=other, name="邻镇", kind=TownshipKind.township)
    compound = Compound(township=town, name="邻县小区", kind=CompoundKind.commercial,
                        households=10, management_mode=ManagementMode.none)
    theirs = Signboard(compound=compound, installed_on=dt.date(2020, 8, 1), directory_version=3)
    revision = DirectoryRevision(county=other, number=3, effective_on=dt.date(2020, 1, 1))
    db.session.add_all([other, town, compound, theirs, revision])
    db.session.commit()
    assert {s.id for s in db.session.scalars(service.stale_boards())} == set()
    change_directory(login, county)  # our county: version 2; theirs stays at 3
    stale = {s.id for s in db.session.scalars(service.stale_boards())}
    assert stale == {county.a.signboard.id, county.b.signboard.id}
    assert stale_ids(login("bureau")) == stale


def change_directory_now(county) -> None:
    county.b.dept_contact.hours = "工作日"
    db.session.commit()


# ---------------------------------------------------------------- replacing


def test_mark_replaced_in_the_list(login, county):
    change_directory(login, county)
    a, b = county.a.signboard, county.b.signboard
    bureau = login("bureau")
    resp = bureau.post("/stalesignboardview/action_post",
                       data={"action": "mark_replaced", "rowid": [str(a.id)]})
    assert resp.status_code == 302
    assert boards() == [
        ("幸福花园A", 1, dt.date(2020, 8, 1), today()),
        ("幸福花园B", 1, dt.date(2020, 8, 1), None),
        ("幸福花园A", 2, today(), None),
    ]
    assert stale_ids(bureau) == {b.id}
    assert behind(county) == {county.b.compound.id}
    assert signboard_rate(county) == Rate(1, 2)
    # history holds: as of yesterday both old boards were in place and current
    assert signboard_rate(county, today() - dt.timedelta(days=1)) == Rate(2, 2)
    # a township clerk reads the list but does not replace boards (the bureau makes them)
    town = login("town_a")
    resp = town.post("/stalesignboardview/action_post",
                     data={"action": "mark_replaced", "rowid": [str(b.id)]})
    assert resp.status_code in (302, 403, 404)
    assert len(boards()) == 3


def test_mark_replaced_in_the_grid(login, county):
    change_directory(login, county)
    a, b = county.a.signboard, county.b.signboard
    bureau = login("bureau")
    page = bureau.get("/stalesignboardview/grid/").get_data(as_text=True)
    config = json.loads(page.split('id="grid-config">')[1].split("</script>")[0])
    assert [a["name"] for a in config["actions"]] == ["mark_replaced"]
    assert config["actions"][0]["url"] == GRID_ACTION
    assert "signboards/grid_actions.js" in page
    data = bureau.get("/stalesignboardview/grid/data").get_json()["data"]
    assert {row["id"] for row in data} == {a.id, b.id}
    found = bureau.get("/stalesignboardview/grid/data", query_string={"q": "花园A"})
    assert found.status_code == 200, found.get_data(as_text=True)
    assert [row["id"] for row in found.get_json()["data"]] == [a.id]

    resp = bureau.post(GRID_ACTION, json={"ids": [a.id, b.id]})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert "已将 2 块公示牌标记为已更换" in resp.get_json()["message"]
    assert [(name, v, removed) for name, v, _, removed in boards()] == [
        ("幸福花园A", 1, today()), ("幸福花园B", 1, today()),
        ("幸福花园A", 2, None), ("幸福花园B", 2, None)]
    assert bureau.get("/stalesignboardview/grid/data").get_json()["data"] == []
    assert signboard_rate(county) == Rate(2, 2) and behind(county) == set()
    sources = set(db.session.scalars(sa.select(ChangeLog.source).where(
        ChangeLog.entity == "Signboard", ChangeLog.username == "bureau")))
    assert sources == {ChangeSource.grid}
    # a board no longer on the list cannot be replaced again from it
    assert bureau.post(GRID_ACTION, json={"ids": [a.id]}).status_code == 404


def test_grid_action_is_refused_without_permission_or_scope(login, county):
    change_directory(login, county)
    a, b = county.a.signboard, county.b.signboard
    town = login("town_a")
    page = town.get("/stalesignboardview/grid/").get_data(as_text=True)
    config = json.loads(page.split('id="grid-config">')[1].split("</script>")[0])
    assert "actions" not in config  # read-only: no button
    assert town.post(GRID_ACTION, json={"ids": [a.id]}).status_code == 403
    assert login("supervisor").post(GRID_ACTION, json={"ids": [b.id]}).status_code == 403
    bureau = login("bureau")
    assert bureau.post(GRID_ACTION, json={"ids": []}).status_code == 400
    assert bureau.post(GRID_ACTION, json={"ids": [a.id, 987654]}).status_code == 404
    assert bureau.post("/stalesignboardview/grid/action/muldelete",
                       json={"ids": [a.id]}).status_code == 404
    assert len(boards()) == 2


def test_a_removed_board_is_not_replaced(login, county):
    board = county.a.signboard
    board.removed_on = dt.date(2020, 9, 1)
    db.session.commit()
    resp = login("bureau").post("/signboardview/grid/action/mark_replaced",
                                json={"ids": [board.id]})
    assert resp.status_code == 422
    assert "已于2020-09-01拆除" in resp.get_json()["message"]
    assert len(boards()) == 2


def test_replacing_a_current_board_remakes_it(login, county):
    """From the full list a damaged board may be re-made: same version, history kept."""
    board = county.b.signboard
    board.location = "北门"
    db.session.commit()
    resp = login("bureau").post("/signboardview/action_post",
                                data={"action": "mark_replaced", "rowid": [str(board.id)]})
    assert resp.status_code == 302
    new = db.session.scalars(sa.select(Signboard).order_by(Signboard.id.desc())).first()
    assert (new.compound_id, new.directory_version, new.installed_on, new.location) == (
        county.b.compound.id, 1, today(), "北门")


# ---------------------------------------------------------------- printing


def test_print_page_shows_the_new_number(login, county):
    bureau = login("bureau")
    url = f"/signboards/compound/{county.a.compound.id}"
    before = bureau.get(url).get_data(as_text=True)
    assert "住宅小区服务投诉电话公示牌" in before and "幸福花园A" in before
    assert "通讯录第1版" in before and "2020年7月1日起执行" in before
    assert before.count('class="signboard"') == 1

    change_directory(login, county, phone="0551 6668888")

    after = bureau.get(url).get_data(as_text=True)
    assert "0551-6668888" in after and "通讯录第2版" in after
    assert f"{today().year}年{today().month}月{today().day}日起执行" in after
    table = after.split('<table class="sb-table">')[1].split("</table>")[0]
    for text in ("县公安局", "赵A", "县民政局", "赵B", "0551-7654321",  # every department
                 "城关街道", "王A", "0551-1234567", "工作日 8:30-17:30"):  # and its township
        assert text in table, text
    assert "东山镇" not in table and "王B" not in table  # not another township's
    assert ">12345<" in after and "政务服务便民热线" in after
    assert "示例县住房和城乡建设局监制" in after
    assert "signboards/signboard.css" in after
    assert not re.search(r"""(src|href)=["']https?://""", after)  # offline intranet


def test_print_stylesheet_is_a3_portrait():
    css = (STATIC / "signboard.css").read_text(encoding="utf-8")
    assert re.search(r"@page\s*{[^}]*size:\s*A3 portrait", css)
    assert "break-after: page" in css and "@media print" in css
    assert "url(" not in css  # no web fonts, no images from anywhere


def test_batch_print_has_every_compound_of_the_township_once(login, county):
    town_a = county.a.township
    for name in ("阳光花园", "桥东小区", "翠湖名邸"):
        db.session.add(Compound(township=town_a, name=name, kind=CompoundKind.commercial,
                                households=10, management_mode=ManagementMode.none))
    db.session.commit()
    expected = set(db.session.scalars(sa.select(Compound.id).where(
        Compound.township_id == town_a.id)))
    assert len(expected) == 4
    for user in ("bureau", "town_a"):
        body = login(user).get(f"/signboards/township/{town_a.id}").get_data(as_text=True)
        shown = [int(i) for i in re.findall(r'data-compound="(\d+)"', body)]
        assert sorted(shown) == sorted(expected) and len(shown) == len(set(shown)), user
        assert body.count('class="signboard"') == 4
        assert body.count("住宅小区服务投诉电话公示牌") >= 4
        assert "幸福花园B" not in body


def test_printing_is_row_scoped(login, county):
    town = login("town_a")
    assert town.get(f"/signboards/compound/{county.b.compound.id}").status_code == 404
    assert town.get(f"/signboards/township/{county.b.township.id}").status_code == 404
    assert town.get("/signboards/compound/987654").status_code == 404
    index = town.get("/signboards/").get_data(as_text=True)
    assert "城关街道" in index and "东山镇" not in index
    found = town.get("/signboards/?q=幸福").get_data(as_text=True)
    assert f"/signboards/compound/{county.a.compound.id}" in found
    assert f"/signboards/compound/{county.b.compound.id}" not in found
    assert login("liaison_a").get("/signboards/").status_code in (302, 403)
    bureau = login("bureau").get("/signboards/").get_data(as_text=True)
    assert "城关街道" in bureau and "东山镇" in bureau


def test_the_lists_link_to_the_print_page(login, county):
    body = login("bureau").get("/signboardview/list/").get_data(as_text=True)
    assert f"/signboards/compound/{county.a.compound.id}" in body
    assert "标记为已更换" in body


def test_the_list_of_boards_to_replace_exports_to_excel(login, county):
    import io

    import openpyxl

    change_directory(login, county)
    county.b.signboard.removed_on = dt.date(2020, 9, 1)  # gone: nothing to replace there
    db.session.commit()
    resp = login("bureau").get("/stalesignboardview/export/")
    assert resp.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(resp.data)).worksheets[0]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "幸福花园A" in text and "幸福花园B" not in text
