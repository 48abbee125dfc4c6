"""The grid's Excel habits in a real browser (static/grid/keys.js, history.js, grid.js):
typing on a selected cell edits it, Enter/Tab commit and move, Ctrl+Z/Ctrl+Y over unsaved
edits, capped column widths with the whole text as tooltip, a too-long text said (never cut)
and not sent, a paste without console errors, and 导出 of the grid's own filter and sort.

Every test fails on any console error or uncaught exception of the page.
"""
from __future__ import annotations

import io

import openpyxl
import pytest
import sqlalchemy as sa

from office.models import Compound, CompoundKind, ManagementMode, db
from tests.e2e.test_grid_browser import cell, fresh, more_compounds, open_grid, paste, status

WIDTH_CAP = 280  # grid.js WIDTH_CAP


@pytest.fixture()
def grid_page(page_as):
    """page_as, collecting the page's console errors (page.console_errors)."""

    def _open(username):
        page = page_as(username)
        page.console_errors = []
        page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(
            msg.text))
        open_grid(page)
        return page

    return _open


def no_errors(page):
    assert not page.console_errors, page.console_errors
    assert not page.js_errors, page.js_errors


def active(page):
    """(row position, field) of the active cell (the range module's)."""
    return tuple(page.evaluate("""() => {
        const c = window.officeGrid.modules.selectRange.getActiveCell();
        return [c.row.getComponent().getPosition(), c.column.getField()];
    }"""))


def names_in_order(page):
    return page.evaluate("() => window.officeGrid.getData().map(r => r.name)")


def editor(page, name, field):
    return cell(page, name, field).locator("input, textarea")


def test_typing_on_a_selected_cell_edits_it_enter_moves_down(grid_page, county, artifacts):
    more_compounds(county, "阳光小区", "月亮小区")
    page = grid_page("town_a")
    first, second = names_in_order(page)[:2]
    cell(page, first, "community").click()
    page.keyboard.type("Road 9")
    box = editor(page, first, "community")
    assert box.input_value() == "Road 9"  # the old value is replaced by what is typed
    page.screenshot(path=str(artifacts / "grid-type-to-edit.png"), full_page=True)
    page.keyboard.press("Enter")
    assert cell(page, first, "community").inner_text() == "Road 9"
    assert "grid-cell-dirty" in cell(page, first, "community").get_attribute("class")
    assert active(page) == (2, "community")  # Enter committed and moved down
    # typing there edits the row below; Escape gives the old value back
    old = cell(page, second, "community").inner_text()
    page.keyboard.type("X")
    assert editor(page, second, "community").input_value() == "X"
    page.keyboard.press("Escape")
    assert cell(page, second, "community").inner_text() == old
    # F2 edits the value as it is
    page.keyboard.press("F2")
    assert editor(page, second, "community").input_value() == old
    page.keyboard.press("Escape")
    no_errors(page)


def test_tab_commits_and_moves_right_shift_tab_left(grid_page, county):
    page = grid_page("town_a")
    cell(page, "幸福花园A", "community").click()
    page.keyboard.type("Xinfeng")
    page.keyboard.press("Tab")  # commits and moves right
    assert cell(page, "幸福花园A", "community").inner_text() == "Xinfeng"
    assert active(page) == (1, "kind")
    page.keyboard.press("Tab")  # not editing: moves right as well
    assert active(page) == (1, "households")
    page.keyboard.type("5")
    page.keyboard.type("55")
    page.keyboard.press("Shift+Tab")  # commits and moves left
    assert cell(page, "幸福花园A", "households").inner_text() == "555"
    assert active(page) == (1, "kind")
    page.keyboard.press("Control+s")
    status(page, "已保存")
    compound = fresh(county.a.compound.id)
    assert (compound.community, compound.households) == ("Xinfeng", 555)
    no_errors(page)


def test_ctrl_z_undoes_and_ctrl_y_redoes_unsaved_edits(grid_page, county, artifacts):
    more_compounds(county, "阳光小区", "月亮小区")
    page = grid_page("town_a")
    first, second, third = names_in_order(page)
    community = cell(page, first, "community")
    old = community.inner_text()
    community.click()
    page.keyboard.type("Road 9")
    page.keyboard.press("Enter")
    assert community.inner_text() == "Road 9"
    assert page.is_enabled("#grid-save")

    page.keyboard.press("Control+z")
    assert community.inner_text() == old
    assert "grid-cell-dirty" not in community.get_attribute("class")
    assert page.is_disabled("#grid-save")  # back to what is stored: nothing to save
    page.keyboard.press("Control+y")
    assert community.inner_text() == "Road 9"
    assert "grid-cell-dirty" in community.get_attribute("class")
    page.keyboard.press("Control+Shift+z")  # nothing more to redo: no change
    assert community.inner_text() == "Road 9"

    # a pasted block is one step
    households = [cell(page, n, "households").inner_text() for n in (first, second, third)]
    cell(page, first, "households").click()
    paste(page, "11\r\n22\r\n33\r\n")
    status(page, "已粘贴 3 行")
    assert [cell(page, n, "households").inner_text() for n in (first, second, third)] == [
        "11", "22", "33"]
    page.keyboard.press("Control+z")
    assert [cell(page, n, "households").inner_text() for n in (first, second, third)] == \
        households
    assert community.inner_text() == "Road 9"  # the step before is still there
    page.keyboard.press("Control+y")
    assert cell(page, third, "households").inner_text() == "33"
    page.screenshot(path=str(artifacts / "grid-undo-redo.png"), full_page=True)

    page.keyboard.press("Control+s")
    status(page, "已保存")
    saved = db.session.scalar(sa.select(Compound).where(Compound.name == first))
    db.session.refresh(saved)
    assert (saved.community, saved.households) == ("Road 9", 11)
    page.keyboard.press("Control+z")  # saved edits are the server's undo, not Ctrl+Z's
    assert community.inner_text() == "Road 9"
    no_errors(page)


def test_a_long_address_keeps_its_column_capped_with_the_text_as_tooltip(grid_page, county,
                                                                         artifacts):
    address = "城关街道建设路" + "幸福家园东区" * 32 + "一号"
    address = address[:200]
    compound = county.a.compound
    compound.address = address
    db.session.commit()
    page = grid_page("town_a")
    width = "f => window.officeGrid.getColumn(f).getWidth()"
    assert page.evaluate(width, "address") <= WIDTH_CAP
    the_cell = cell(page, "幸福花园A", "address")
    assert the_cell.get_attribute("title") == address
    shown = the_cell.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert shown[0] > shown[1]  # cut, with an ellipsis (Tabulator's text-overflow)
    # the headers stay in view: the whole grid fits far better than 2,617 px of one column
    total = page.evaluate("() => window.officeGrid.getColumns().reduce((s, c) => "
                          "s + c.getWidth(), 0)")
    assert total < 3000
    page.screenshot(path=str(artifacts / "grid-capped-column.png"), full_page=False)

    # the user drags the column wider than the cap
    handle = page.locator(".tabulator-col[tabulator-field=address] + .tabulator-col-resize-handle")
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 200, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    assert page.evaluate(width, "address") > WIDTH_CAP + 100
    page.screenshot(path=str(artifacts / "grid-resized-column.png"), full_page=False)
    no_errors(page)


def test_a_too_long_address_is_said_with_its_row_and_column_and_not_sent(grid_page, county,
                                                                         artifacts):
    page = grid_page("town_a")
    saves = []
    page.on("request", lambda r: "/grid/save" in r.url and saves.append(r.url))
    stored = fresh(county.a.compound.id).address
    address = cell(page, "幸福花园A", "address")
    address.dblclick()
    editor(page, "幸福花园A", "address").fill("长" * 300)  # typed: no maxlength cuts it
    page.keyboard.press("Enter")
    message = "第1行「地址」最多200个字符，现有300个"
    status(page, message)
    assert "grid-cell-invalid" in address.get_attribute("class")
    assert address.get_attribute("title") == message
    assert page.evaluate("() => window.officeGrid.getData()[0].address.length") == 300
    page.click("#grid-save")
    text = status(page, "未保存")
    assert text == "有错误，未保存：" + message
    page.screenshot(path=str(artifacts / "grid-too-long.png"), full_page=True)
    assert saves == []  # said before sending: nothing went to the server
    assert fresh(county.a.compound.id).address == stored

    # pasted, it is said the same way; a fitting text then saves
    address.click()
    paste(page, "长" * 201)
    status(page, "第1行「地址」最多200个字符，现有201个")
    paste(page, "长" * 200)
    page.click("#grid-save")
    status(page, "已保存")
    assert fresh(county.a.compound.id).address == "长" * 200
    no_errors(page)


def test_paste_logs_no_console_error(grid_page, county):
    more_compounds(county, "阳光小区")
    page = grid_page("town_a")
    names = names_in_order(page)
    cell(page, names[0], "community").click()
    paste(page, "一社区\r\n二社区\r\n三社区\r\n")  # two rows updated, one appended
    status(page, "已粘贴 3 行")
    page.wait_for_timeout(300)
    assert page.locator("#office-grid .tabulator-row").count() == 3
    no_errors(page)


def test_export_from_the_grid_has_its_filter_and_sort(grid_page, county, artifacts):
    more_compounds(county, *[f"导出花园{i}" for i in range(6)])
    # another township's rows of the same name: never in a township clerk's export
    db.session.add_all([Compound(township=county.b.township, name=f"导出花园{i}乙",
                                 kind=CompoundKind.old, households=900 + i,
                                 management_mode=ManagementMode.none) for i in range(3)])
    for i, households in enumerate([30, 10, 50, 20, 40, 10]):
        db.session.scalar(sa.select(Compound).where(Compound.name == f"导出花园{i}")
                          ).households = households
    db.session.commit()
    page = grid_page("town_a")
    name_filter = page.locator(
        ".tabulator-col[tabulator-field=name] .tabulator-header-filter input")
    name_filter.fill("导出")
    name_filter.press("Enter")
    page.wait_for_function("() => window.officeGrid.getDataCount() === 6")
    page.evaluate("() => window.officeGrid.setSort('households', 'desc')")
    page.wait_for_function(
        "() => window.officeGrid.getData().map(r => r.households).join() === '50,40,30,20,10,10'")
    page.wait_for_load_state("networkidle")
    shown = names_in_order(page)
    with page.expect_download() as info:
        page.click("#grid-export")
    download = info.value
    assert "sort=households" in download.url and "grid=1" in download.url
    book = openpyxl.load_workbook(io.BytesIO(open(download.path(), "rb").read()))
    ws = book.active
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[0])
    name_at, households_at = head.index("名称"), head.index("户数")
    exported = [r[name_at] for r in rows[1:] if r[name_at]]
    assert exported == shown  # exactly the rows shown, in that order
    expected = list(db.session.scalars(
        sa.select(Compound.name).where(Compound.name.like("导出%"),
                                       Compound.township_id == county.a.township.id)
        .order_by(Compound.households.desc(), Compound.id.desc())))
    assert exported == expected
    assert [r[households_at] for r in rows[1:]] == [50, 40, 30, 20, 10, 10]
    page.screenshot(path=str(artifacts / "grid-export.png"), full_page=False)
    no_errors(page)
