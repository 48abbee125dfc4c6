"""Excel export and import in a real browser (CSRF on, as in production).

1. A clerk filters the compound list, exports it, and imports the file back: nothing to save.
2. A clerk uploads a file with mistakes: the result page lists row, column and reason
   (screenshot: artifacts/import_result.png), the error workbook marks the bad cells, and once
   fixed the file imports in one go.
"""
from __future__ import annotations

import io

import openpyxl
import sqlalchemy as sa

from office.models import ChangeLog, Compound, db


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _upload(page, path) -> None:
    page.goto(page.base + "/compoundview/import/")
    page.set_input_files("#io-file", str(path))
    with page.expect_navigation():
        page.click("#io-upload")
    page.wait_for_load_state("networkidle")


def test_export_filtered_list_and_import_it_back_unchanged(page_as, county, tmp_path):
    page = page_as("bureau")
    page.goto(page.base + "/compoundview/list/?_flt_0_name=幸福花园A")
    assert page.locator("#io-export").is_visible()
    with page.expect_download() as info:
        page.click("#io-export")
    download = info.value
    assert download.suggested_filename.startswith("住宅小区_")
    exported = tmp_path / download.suggested_filename
    download.save_as(exported)
    ws = openpyxl.load_workbook(exported).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:2] == ("乡镇（街道、场）", "名称")
    assert [r[1] for r in rows[1:]] == ["幸福花园A"]  # the list's filter, in the file

    before = _count(ChangeLog)
    _upload(page, exported)
    text = page.inner_text("body")
    assert "1 行可导入" in text and "0 行有错误" in text and "无变化 1 行" in text
    assert page.locator("#io-nothing").is_visible()  # nothing to save
    assert _count(ChangeLog) == before
    assert not page.js_errors


def _file_with_mistakes(path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "住宅小区"
    ws.append(["2020年新增住宅小区（城关街道）"])
    ws.merge_cells("A1:F1")
    ws.append(["乡镇（街道、场）*", "名称*", "类型*", "户数*", "管理方式*", "交付日期"])
    ws.append(["城关街道", "阳光家园", "商品房小区", 210, "无物业管理", "2019年3月1日"])
    ws.append(["城关街道", "翠苑小区", "高档小区", "二百", "居民自治", "2019-02-30"])
    ws.append(["东山镇", "滨江花园", "老旧小区", 88, "社区托管", "20180601"])
    wb.save(path)


def test_import_with_errors_shows_them_and_the_error_workbook(page_as, county, artifacts,
                                                              tmp_path):
    page = page_as("town_a")
    source = tmp_path / "城关街道新增小区.xlsx"
    _file_with_mistakes(source)
    before = _count(Compound)
    page.goto(page.base + "/compoundview/list/")
    page.click("#io-import")
    page.wait_for_load_state("networkidle")
    _upload(page, source)

    text = page.inner_text("body")
    assert "1 行可导入" in text and "2 行有错误" in text
    table = page.inner_text("#io-errors")
    assert "第 4 行\t类型\t“高档小区”不是有效的类型" in table
    assert "第 4 行\t户数\t“二百”不是整数，请填写整数" in table
    assert "第 4 行\t交付日期\t日期“2019-02-30”不存在" in table
    assert ("第 5 行\t乡镇（街道、场）\t"
            "乡镇（街道、场）“东山镇”不在您的管辖范围内，不能导入") in table
    assert page.locator("#io-commit-add").count() == 0  # nothing can be saved yet
    # Kept for a human look at the Chinese rendering (fonts-noto-cjk / wqy in the image).
    page.screenshot(path=str(artifacts / "import_result.png"), full_page=True)
    assert _count(Compound) == before

    with page.expect_download() as info:
        page.click("#io-error-file")
    marked = tmp_path / info.value.suggested_filename
    info.value.save_as(marked)
    wb = openpyxl.load_workbook(marked)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[-2:] == ["错误原因", "原行号"]
    kind = ws.cell(row=3, column=header.index("类型*") + 1)
    assert kind.fill.fgColor.rgb.endswith("FFC7CE") and "不是有效的类型" in kind.comment.text
    assert ws.cell(row=4, column=len(header)).value == 5

    # The clerk fixes the file in place and uploads it again.
    ws.cell(row=3, column=header.index("类型*") + 1, value="商品房小区")
    ws.cell(row=3, column=header.index("户数*") + 1, value=200)
    ws.cell(row=3, column=header.index("交付日期") + 1, value="2019-02-28")
    ws.delete_rows(4)  # the other township's row is not theirs to import
    fixed = tmp_path / "改正后.xlsx"
    wb.save(fixed)
    _upload(page, fixed)
    assert "2 行可导入" in page.inner_text("body")
    with page.expect_navigation():
        page.click("#io-commit-add")
    page.wait_for_load_state("networkidle")
    assert "导入完成：新增 2 条" in page.inner_text("body")
    assert "/compoundview/list/" in page.url
    assert _count(Compound) == before + 2
    assert not page.js_errors


def test_template_downloads_in_the_browser(page_as, county, tmp_path):
    page = page_as("town_a")
    page.goto(page.base + "/compoundview/import/")
    with page.expect_download() as info:
        page.click("#io-template")
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    wb = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
    assert wb.sheetnames == ["住宅小区", "填写说明", "下拉选项"]
