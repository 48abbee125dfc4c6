"""Spreadsheet mode in a real browser: edit, keyboard, paste from Excel, errors, conflicts."""
from __future__ import annotations

import sqlalchemy as sa

from office.models import Compound, CompoundKind, ManagementMode, db

GRID = "/compoundview/grid/"


def open_grid(page, path=GRID):
    page.goto(page.base + path)
    page.wait_for_selector("#office-grid .tabulator-row .tabulator-cell[tabulator-field=name]")
    page.wait_for_load_state("networkidle")


def row_of(page, name):
    name_cell = page.locator(".tabulator-cell[tabulator-field=name]", has_text=name)
    return page.locator("#office-grid .tabulator-row", has=name_cell)


def cell(page, name, field):
    return row_of(page, name).locator(f".tabulator-cell[tabulator-field={field}]")


def status(page, text, timeout=10_000):
    page.wait_for_function(
        "t => document.getElementById('grid-status').textContent.includes(t)", arg=text,
        timeout=timeout)
    return page.inner_text("#grid-status")


def paste(page, tsv: str):
    """What Excel/WPS put on the clipboard, delivered as a real paste event to the grid."""
    page.evaluate("""tsv => {
        const data = new DataTransfer();
        data.setData('text/plain', tsv);
        const event = new ClipboardEvent('paste', {clipboardData: data, bubbles: true,
                                                   cancelable: true});
        document.querySelector('#office-grid .tabulator-tableholder').dispatchEvent(event);
    }""", tsv)


def fresh(compound_id):
    db.session.expire_all()
    return db.session.get(Compound, compound_id)


def more_compounds(county, *names):
    rows = [Compound(township=county.a.township, name=n, kind=CompoundKind.commercial,
                     households=100 + i, management_mode=ManagementMode.company)
            for i, n in enumerate(names)]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_clerk_edits_cells_with_the_keyboard_and_saves(page_as, county, artifacts):
    page = page_as("town_a")
    page.goto(page.base + "/compoundview/list/")
    page.click("a.office-grid-link")  # the list page's 表格模式 button
    page.wait_for_selector("#office-grid .tabulator-row")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts / "grid.png"), full_page=True)
    assert "幸福花园B" not in page.inner_text("#office-grid")  # scope

    # arrows move the active cell, Enter edits, Enter commits
    cell(page, "幸福花园A", "community").click()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    editor = cell(page, "幸福花园A", "households").locator("input")
    editor.wait_for()
    editor.fill("555")
    page.keyboard.press("Enter")
    households = cell(page, "幸福花园A", "households")
    assert households.inner_text() == "555"
    assert "grid-cell-dirty" in households.get_attribute("class")

    # Esc abandons an edit
    households.dblclick()
    editor.wait_for()
    editor.fill("999")
    page.keyboard.press("Escape")
    assert households.inner_text() == "555"

    # Tab leaves the cell for the next one
    community = cell(page, "幸福花园A", "community")
    community.dblclick()
    community.locator("input").fill("新风社区")
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    assert community.inner_text() == "新风社区"

    page.keyboard.press("Control+s")
    assert "已保存 1 行" in status(page, "已保存")
    compound = fresh(county.a.compound.id)
    assert (compound.households, compound.community) == (555, "新风社区")
    page.screenshot(path=str(artifacts / "grid-saved.png"), full_page=True)

    # 撤销上次保存 reverts that save
    page.click("#grid-undo")
    status(page, "已撤销")
    compound = fresh(county.a.compound.id)
    assert (compound.households, compound.community) == (320, "幸福社区")
    assert households.inner_text() == "320"
    assert not page.js_errors, page.js_errors


def test_pasting_a_block_from_excel_updates_and_appends(page_as, county, artifacts):
    more_compounds(county, "阳光小区", "月亮小区")
    page = page_as("town_a")
    open_grid(page)
    names = page.locator("#office-grid .tabulator-row .tabulator-cell[tabulator-field=name]")
    assert names.count() == 3
    second, third = (db.session.scalar(sa.select(Compound).where(Compound.name == names.nth(i)
                                                                 .inner_text()))
                     for i in (1, 2))
    names.nth(1).click()
    paste(page, "甲花园\t城关街道\r\n乙花园\t城关街道\r\n丙花园\t城关街道\r\n")
    status(page, "已粘贴 3 行")
    assert "新增 1 行" in page.inner_text("#grid-status")
    assert page.locator("#office-grid .tabulator-row").count() == 4
    # the appended row still needs its other required cells: paste them too
    cell(page, "丙花园", "kind").click()
    paste(page, "商品房小区\t1,200\t物业服务企业")
    page.screenshot(path=str(artifacts / "grid-pasted.png"), full_page=True)
    page.click("#grid-save")
    assert "已保存 3 行" in status(page, "已保存")
    assert (fresh(second.id).name, fresh(third.id).name) == ("甲花园", "乙花园")
    made = db.session.scalar(sa.select(Compound).where(Compound.name == "丙花园"))
    assert made is not None and made.township_id == county.a.township.id
    assert (made.kind, made.households, made.management_mode) == (
        CompoundKind.commercial, 1200, ManagementMode.company)
    assert cell(page, "丙花园", "township").inner_text() == "城关街道"
    assert not page.js_errors, page.js_errors


def test_invalid_value_is_shown_on_the_cell_and_nothing_is_saved(page_as, county, artifacts):
    page = page_as("town_a")
    open_grid(page)
    cell(page, "幸福花园A", "households").click()
    paste(page, "很多")
    cell(page, "幸福花园A", "delivered_on").click()
    paste(page, "2020年5月1日")
    page.click("#grid-save")
    assert "未保存" in status(page, "有错误")
    bad = cell(page, "幸福花园A", "households")
    assert "grid-cell-invalid" in bad.get_attribute("class")
    assert "整数" in bad.get_attribute("title")
    good = cell(page, "幸福花园A", "delivered_on")
    assert "grid-cell-invalid" not in good.get_attribute("class")
    page.screenshot(path=str(artifacts / "grid-error.png"), full_page=True)
    compound = fresh(county.a.compound.id)
    assert (compound.households, str(compound.delivered_on)) == (320, "2013-05-01")
    # fixing the cell clears the mark, and the batch then saves
    bad.click()
    paste(page, "321")
    assert "grid-cell-invalid" not in bad.get_attribute("class")
    page.click("#grid-save")
    status(page, "已保存")
    compound = fresh(county.a.compound.id)
    assert (compound.households, str(compound.delivered_on)) == (321, "2020-05-01")
    assert not page.js_errors, page.js_errors


def test_conflict_when_another_session_saved_first(page_as, county, artifacts):
    clerk = page_as("town_a")
    open_grid(clerk)
    boss = page_as("bureau")
    open_grid(boss)
    cell(boss, "幸福花园A", "households").click()
    paste(boss, "400")
    boss.click("#grid-save")
    status(boss, "已保存")

    cell(clerk, "幸福花园A", "households").click()
    paste(clerk, "500")
    clerk.click("#grid-save")
    status(clerk, "有错误")
    row = row_of(clerk, "幸福花园A")
    assert "grid-row-invalid" in row.get_attribute("class")
    message = row.get_attribute("title")
    assert message.startswith("该行已被他人修改，请刷新后重试") and "bureau" in message
    clerk.screenshot(path=str(artifacts / "grid-conflict.png"), full_page=True)
    assert fresh(county.a.compound.id).households == 400
    assert not clerk.js_errors and not boss.js_errors


def test_search_filter_and_paging_in_the_browser(page_as, county):
    more_compounds(county, *[f"测试花园{i:02d}" for i in range(60)])
    page = page_as("bureau")
    open_grid(page)
    rows = "() => window.officeGrid.getDataCount()"
    assert page.evaluate(rows) == 50
    page.click(".tabulator-page[data-page=next]")
    page.wait_for_function(rows + " === 12")  # 2 + 60 rows
    assert "after=" in page.evaluate("() => performance.getEntriesByType('resource')"
                                     ".map(e => e.name).filter(n => n.includes('page=2'))"
                                     ".join(' ')")  # next page by keyset cursor
    page.fill("#grid-search", "测试花园05")
    page.keyboard.press("Enter")
    page.wait_for_function(rows + " === 1")
    assert "测试花园05" in page.inner_text("#office-grid")
    page.fill("#grid-search", "")
    page.keyboard.press("Enter")
    page.wait_for_function(rows + " === 50")
    # a header filter: text contains
    name_filter = page.locator(
        ".tabulator-col[tabulator-field=name] .tabulator-header-filter input")
    name_filter.fill("花园B")
    name_filter.press("Enter")
    page.wait_for_function(rows + " === 1")
    assert not page.js_errors, page.js_errors


def test_bulk_set_one_column_on_selected_rows(page_as, county):
    rows = more_compounds(county, "阳光小区", "月亮小区")
    page = page_as("town_a")
    open_grid(page)
    kinds = page.locator("#office-grid .tabulator-cell[tabulator-field=kind]")
    kinds.nth(0).click()
    kinds.nth(2).click(modifiers=["Shift"])  # a block of three rows in one column
    page.select_option("#grid-bulk-field", "kind")
    page.fill("#grid-bulk-value", "老旧小区")
    page.click("#grid-bulk-apply")
    assert "已将 3 行" in status(page, "已将")
    page.click("#grid-save")
    assert "已保存 3 行" in status(page, "已保存")
    for compound_id in [county.a.compound.id] + [r.id for r in rows]:
        assert fresh(compound_id).kind == CompoundKind.old
    assert not page.js_errors, page.js_errors


def test_page_buttons_jump_by_keyset_from_the_page_shown(page_as, county):
    """Next, the numbered buttons and previous send the page shown and its edge rows' keys
    (from / after / before): the server seeks from there instead of counting from the top."""
    more_compounds(county, *[f"翻页小区{i:03d}" for i in range(160)])  # 162 rows: 4 pages
    page = page_as("bureau")
    open_grid(page)
    names = "() => window.officeGrid.getData().map(r => r.name)"
    requests = ("p => performance.getEntriesByType('resource').map(e => e.name)"
                ".filter(n => n.includes('/grid/data') && n.includes('page=' + p + '&'))")

    def go(button, number):
        before = len(page.evaluate(requests, number))
        page.click(f'.tabulator-page[data-page="{button}"]')
        page.wait_for_function(f"p => ({requests})(p).length > {before}", arg=number)
        page.wait_for_function(f"() => window.officeGrid.getPage() === {number}")
        page.wait_for_load_state("networkidle")
        return page.evaluate(requests, number)[-1]

    everything = sorted([f"翻页小区{i:03d}" for i in range(160)] + ["幸福花园A", "幸福花园B"])
    go("next", 2)
    url = go("next", 3)
    assert "from=2" in url and "after=" in url and "before=" in url
    assert page.evaluate(names) == everything[100:150]
    go("next", 4)
    assert page.evaluate(names) == everything[150:162]
    url = go(2, 2)  # a numbered button, two pages back: one page skipped before page 4's first
    assert "from=4" in url and "before=" in url
    assert page.evaluate(names) == everything[50:100]
    url = go("next", 3)
    assert page.evaluate(names) == everything[100:150]
    url = go("prev", 2)
    assert "from=3" in url and "before=" in url
    assert page.evaluate(names) == everything[50:100]
    assert not page.js_errors, page.js_errors
