"""Lists say how much there is, in a real browser (issue 11, point 7): the list page and the
grid show 共 N 条 and page numbers, fetched after the page is drawn (kit/grid/count.py).
Screenshots: artifacts/list_count.png, artifacts/grid_count.png."""
from __future__ import annotations

from office.models import Compound, CompoundKind, ManagementMode, Township, TownshipKind, db


def _sixty_more(county) -> None:
    town = Township(county=county.county, name="南湖街道", kind=TownshipKind.street)
    db.session.add_all([town] + [
        Compound(township=town, name=f"南湖{i:02d}号院", kind=CompoundKind.commercial,
                 households=50 + i, management_mode=ManagementMode.self) for i in range(60)])
    db.session.commit()


def test_list_and_grid_say_how_many_rows_and_pages(county, page_as, artifacts):
    _sixty_more(county)
    page = page_as("bureau")
    page.goto(page.base + "/compoundview/list/")
    page.wait_for_selector(".office-count-total:has-text('共 62 条')")
    box = page.locator(".office-list-count")
    assert "第 1 页，本页 25 条，共 62 条" in " ".join(box.inner_text().split())
    numbers = page.locator("ul.office-pages li").all_inner_texts()
    assert [n.strip() for n in numbers if n.strip().isdigit()] == ["1", "2", "3"]
    page.screenshot(path=str(artifacts / "list_count.png"), full_page=True)
    page.locator("ul.office-pages li.office-page-number a", has_text="3").click()
    page.wait_for_selector(".office-count-total:has-text('共 62 条')")
    assert "第 3 页，本页 12 条" in " ".join(page.locator(".office-list-count").inner_text()
                                          .split())

    page.goto(page.base + "/compoundview/grid/")
    page.wait_for_selector("#grid-count:has-text('共 62 条')")
    page.wait_for_function("window.officeGrid.getPageMax() === 2")
    page.screenshot(path=str(artifacts / "grid_count.png"), full_page=True)
    # a search is a new query: counted again
    page.fill("#grid-search", "南湖")
    page.click("#grid-search-go")
    page.wait_for_selector("#grid-count:has-text('共 60 条')")
    assert not page.js_errors
