"""工作看板 in a real browser (Playwright + Debian's chromium, tests/e2e/conftest.py).

* The charts render (an ECharts canvas per indicator, with pixels drawn on it), the page has
  no script error, and every request it makes goes to 127.0.0.1: ECharts is served locally.
  Screenshot: artifacts/dashboard.png.
* A township clerk follows a figure of their table to the compounds behind it: their own.
* With nothing stored for the date, the page says so, the embedded worker computes it, and
  the page reloads itself with the figures.
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from office import indicators as ind
from office.models import Compound, CompoundKind, IndicatorSnapshot, ManagementMode, db
from office.services import snapshot

pytestmark = pytest.mark.e2e

AS_OF = dt.date(2020, 10, 15)


def more_compounds(county, n: int = 6) -> None:
    for i in range(n):
        db.session.add(Compound(township=county.a.township if i % 2 else county.b.township,
                                name=f"新建小区{i}", kind=CompoundKind.commercial,
                                households=200 + i, delivered_on=dt.date(2016, 1, 1),
                                management_mode=ManagementMode.company))
    db.session.commit()


def fill(campaign, as_of=AS_OF) -> None:
    for day in snapshot.trend_dates(campaign, as_of):
        snapshot.refresh(campaign.id, day, force=True)


def record_hosts(page) -> list[str]:
    """Every request's host; the conftest's guard (context route) still gets each one."""
    hosts: list[str] = []

    def record(route):
        hosts.append(urlsplit(route.request.url).hostname or route.request.url)
        route.fallback()

    page.route("**/*", record)
    return hosts


def drawn_pixels(page, selector: str) -> int:
    """Non-transparent pixels on the chart's canvas."""
    return page.evaluate("""sel => {
        const c = document.querySelector(sel);
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) { if (d[i] !== 0) n++; }
        return n;
    }""", selector)


def test_dashboard_renders_its_charts_from_the_loopback_only(page_as, county, artifacts):
    more_compounds(county)
    fill(county.campaign)
    page = page_as("bureau")
    hosts = record_hosts(page)
    page.goto(f"{page.base}/dashboard/?as_of={AS_OF}")
    page.wait_for_load_state("networkidle")
    for key in ind.INDICATORS:
        canvas = f"#dash-chart-{key} canvas"
        page.wait_for_selector(canvas)
        assert drawn_pixels(page, canvas) > 2000, f"{key}: empty chart"
    assert page.evaluate("typeof echarts") == "object"
    assert page.evaluate("echarts.version").startswith("5.")
    assert "数据更新于" in page.inner_text("#dash-status")
    assert "全县指标完成情况" in page.inner_text("body")
    assert page.locator("#dash-townships tbody tr").count() == 3  # 全县 + two townships
    page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)

    assert hosts, "no request was seen"
    assert set(hosts) == {"127.0.0.1"}, sorted(set(hosts))
    assert any(h for h in hosts)
    assert not page.js_errors, page.js_errors


def test_township_clerk_follows_a_figure_to_their_compounds(page_as, county, artifacts):
    more_compounds(county)
    fill(county.campaign)
    page = page_as("town_a")
    hosts = record_hosts(page)
    page.goto(f"{page.base}/dashboard/?as_of={AS_OF}")  # "/" is their 我的待办
    page.wait_for_selector("#dash-chart-committee_coverage canvas")
    rows = page.locator("#dash-townships tbody tr")
    assert rows.count() == 1 and county.a.township.name in rows.first.inner_text()
    assert county.b.township.name not in page.inner_text("body")

    page.click('#dash-townships td[data-key="signboard_current"] a')
    page.wait_for_selector("#dash-behind")
    listed = {int(i) for i in page.locator("#dash-behind tbody tr[data-compound]")
              .evaluate_all("rows => rows.map(r => r.dataset.compound)")}
    expected = set(db.session.scalars(
        ind.compounds_behind("signboard_current", AS_OF, county.campaign, met=False)
        .where(Compound.township_id == county.a.township.id)))
    assert listed == expected and listed
    assert set(hosts) == {"127.0.0.1"}
    assert not page.js_errors, page.js_errors


def test_page_reloads_itself_once_the_worker_has_computed(page_as, county, app, monkeypatch):
    # The real embedded worker (office.queue) computes what the page queues.
    monkeypatch.setitem(app.config, "DASHBOARD_REFRESH_ON_VIEW", True)
    page = page_as("bureau")
    page.goto(f"{page.base}/dashboard/?as_of={AS_OF}")
    status = page.inner_text("#dash-status")
    if "数据更新于" not in status:  # the embedded worker may already have been quicker
        assert "已安排后台计算" in status
        page.wait_for_function(
            "() => { const s = document.getElementById('dash-status');"
            "        return !!s && s.textContent.includes('数据更新于'); }",
            timeout=60_000)
    page.wait_for_selector("#dash-chart-committee_coverage canvas")
    db.session.rollback()
    assert db.session.scalar(sa.select(IndicatorSnapshot.change_mark).where(
        IndicatorSnapshot.as_of == AS_OF)) == snapshot.current_mark()
    assert not page.js_errors, page.js_errors
