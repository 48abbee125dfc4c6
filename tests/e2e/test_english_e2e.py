"""English in a real browser: what the page shows after its scripts ran (the grid's toolbar
and status, the list's 共 N 条, the dashboard's charts), not only the HTML the server sent.

Signed in as admin with /lang/en, each page's rendered text (document.body.innerText, with the
tooltips and placeholders a user reads) is scanned for CJK characters once every string the
database holds (data, not UI) has been taken out. tests/test_i18n_en.py walks every menu page's
HTML; this walks the pages whose text scripts write.
"""
from __future__ import annotations

from tests.test_i18n_en import chinese_left, stored_strings

PAGES = [
    "/compoundview/list/",       # the list's total (static/office/count.js)
    "/compoundview/grid/",       # the grid: toolbar, header filters, pager, status
    "/findingview/grid/",
    "/dashboard/",               # cards and charts
    "/taskboard/",
]

SHOWN = """() => {
  const attrs = [...document.querySelectorAll('[title],[placeholder]')]
    .filter(e => e.offsetParent !== null)
    .map(e => (e.getAttribute('title') || '') + ' ' + (e.getAttribute('placeholder') || ''));
  // what the charts draw on their canvas: axis labels, target lines, the tooltip of a point
  const charts = [...document.querySelectorAll('.dash-chart')].map(el => {
    const chart = window.echarts && echarts.getInstanceByDom(el);
    if (!chart) { return ''; }
    const o = chart.getOption();
    const marks = (o.series[0].markLine.data || []).map(d => d.label.formatter + ' ' + d.name);
    const tip = o.tooltip[0].formatter([{dataIndex: 0, value: null}]);
    return [...o.xAxis[0].data, ...marks, tip].join(' ');
  });
  return document.body.innerText + '\\n' + attrs.join('\\n') + '\\n' + charts.join('\\n');
}"""


def test_pages_read_in_english_after_their_scripts_ran(app, county, page_as, artifacts):
    data = stored_strings()
    page = page_as("admin")
    page.goto(f"{page.base}/lang/en")
    failures = []
    for url in PAGES:
        page.goto(f"{page.base}{url}")
        page.wait_for_load_state("networkidle")
        name = url.strip("/").replace("/", "-")
        page.screenshot(path=str(artifacts / f"en-{name}.png"))
        left = chinese_left(page.evaluate(SHOWN), data)
        if left:
            failures.append(f"{url}: {sorted(set(left))[:10]}")
    page.goto(f"{page.base}/lang/zh")
    assert not failures, "Chinese UI text on English pages:\n" + "\n".join(failures)


def test_a_township_clerks_landing_page_reads_in_english(app, county, page_as, artifacts):
    """我的待办, where a township clerk lands: headings, badges, deadlines and links."""
    data = stored_strings()
    page = page_as("town_a")
    page.goto(f"{page.base}/lang/en")
    page.goto(f"{page.base}/")
    page.wait_for_selector("#my-todo")
    page.screenshot(path=str(artifacts / "en-todo-town_a.png"), full_page=True)
    assert "My to-do list" in page.inner_text("#my-todo")
    left = chinese_left(page.evaluate(SHOWN), data)
    page.goto(f"{page.base}/lang/zh")
    assert not left, f"Chinese UI text on the English 我的待办: {sorted(set(left))[:10]}"
