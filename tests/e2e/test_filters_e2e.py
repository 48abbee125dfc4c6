"""Filtering a list by a related record, in a real browser (issue 11, point 1).

1. A clerk types 城关 in the 乡镇（街道、场） filter of the compound list: the choices are asked
   for as typed, one is picked, 查询 filters the list, the 查询 panel stays open showing the
   filter, and 导出 Excel with it holds the filtered rows only
   (screenshots: artifacts/filters_typed.png, artifacts/filters_compound_list.png).
2. Every list page whose search form has a relation filter: adding it and opening it loads
   choices from the server.
"""
from __future__ import annotations

import openpyxl

from office.kit.grid.views import GridMixin


def _open_search(page) -> None:
    if not page.locator("#accordion1_href.in").count():
        page.click("a.accordion-toggle")
        page.wait_for_selector("#accordion1_href.in")


def _add_filter(page, field: str):
    """Add the filter; returns the select2 box of its value."""
    page.click("#filter_form .dropdown-toggle")
    page.click(f"#filter_form a.filter[name={field}]")
    row = page.locator("#filter_form table.filters tr").last
    return row.locator("td.filter").last.locator(".select2-selection")


def test_filter_by_township_lists_and_exports_the_filtered_rows(page_as, county, artifacts,
                                                               tmp_path):
    page = page_as("bureau")
    page.goto(page.base + "/compoundview/list/")
    assert "幸福花园B" in page.inner_text(".table-responsive table")  # both, unfiltered
    _open_search(page)
    box = _add_filter(page, "township")
    box.click()
    with page.expect_request(lambda r: "/compoundview/grid/options/township" in r.url
                             and "q=%E5%9F%8E%E5%85%B3" in r.url) as asked:
        page.keyboard.type("城关")
    assert "for=filter" in asked.value.url
    option = page.locator(".select2-results__option", has_text="城关街道")
    option.wait_for()
    # select2 draws each answer as it comes (the one to the empty query of opening may land
    # after): wait until the choices are those of 城关 - a timeout if they never are.
    page.wait_for_function("""() => {
        const shown = [...document.querySelectorAll('.select2-results__option')];
        return shown.length === 1 && shown[0].innerText.trim() === '城关街道'; }""")
    assert page.locator(".select2-results__option").all_inner_texts() == ["城关街道"]
    page.screenshot(path=str(artifacts / "filters_typed.png"))
    option.click()
    with page.expect_navigation():
        page.click("#filter_form button[type=submit]")
    page.wait_for_load_state("networkidle")

    assert f"_flt_0_township={county.a.township.id}" in page.url
    listed = page.inner_text(".table-responsive table")
    assert "幸福花园A" in listed and "幸福花园B" not in listed
    # the 查询 panel is open and shows the filter in force
    assert page.locator("#accordion1_href.in").is_visible()
    shown = page.locator("#filter_form table.filters tr")
    assert shown.count() == 1 and "乡镇（街道、场）" in shown.inner_text()
    assert "城关街道" in shown.locator(".select2-selection__rendered").last.inner_text()
    page.screenshot(path=str(artifacts / "filters_compound_list.png"), full_page=True)

    with page.expect_download() as info:
        page.click("#io-export")
    exported = tmp_path / "export.xlsx"
    info.value.save_as(exported)
    rows = list(openpyxl.load_workbook(exported).worksheets[0].iter_rows(values_only=True))
    assert rows[0][:2] == ("乡镇（街道、场）", "名称")
    assert [(r[0], r[1]) for r in rows[1:]] == [("城关街道", "幸福花园A")]
    assert not page.js_errors


def _relation_filters(app):
    from flask_appbuilder.fields import QuerySelectField
    from wtforms.fields.core import UnboundField

    for view in app.appbuilder.baseviews:
        if not isinstance(view, GridMixin):
            continue
        for field in view.search_columns or []:
            unbound = getattr(view.search_form, field, None)
            if isinstance(unbound, UnboundField) and unbound.field_class is QuerySelectField:
                yield view.route_base, field


def test_every_relation_filter_gets_its_choices(app, page_as, county):
    page = page_as("bureau")
    walked = []
    for base, field in _relation_filters(app):
        page.goto(page.base + base + "/list/")
        _open_search(page)
        box = _add_filter(page, field)
        with page.expect_response(lambda r, u=f"{base}/grid/options/{field}": u in r.url) as got:
            box.click()
        assert got.value.ok and got.value.json(), (base, field)
        options = page.locator(".select2-results__option:not(.loading-results)")
        options.first.wait_for()
        texts = options.all_inner_texts()
        assert texts and "未找到结果" not in texts, (base, field, texts)
        page.keyboard.press("Escape")
        walked.append((base, field))
    assert ("/compoundview", "township") in walked and len(walked) >= 15, walked
    assert not page.js_errors
