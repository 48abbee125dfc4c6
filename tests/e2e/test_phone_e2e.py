"""我的任务 on a phone (issue 11, point 10): a township clerk or a department liaison opens it
at 390×844 - the tasks are cards, nothing is wider than the screen
(screenshot: artifacts/my_tasks_390.png)."""
from __future__ import annotations

import datetime as dt

import pytest

from office.models import Task, db

PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("username", ["town_a", "liaison_a"])
def test_my_tasks_fits_a_390px_phone(app, county, page_as, artifacts, monkeypatch, username):
    monkeypatch.setitem(app.config, "TODAY", dt.date(2020, 8, 5))
    db.session.add(Task(campaign=county.campaign, step_no=2,
                        title="各部门公布服务、投诉电话并在小区显著位置长期公示（公示牌）",
                        due_on=dt.date(2020, 8, 10), township=county.a.township,
                        department=None))
    db.session.commit()
    page = page_as(username)
    page.set_viewport_size(PHONE)
    failed = []
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    page.goto(page.base + "/mytasks/")
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=str(artifacts / f"my_tasks_390_{username}.png"), full_page=True)
    assert width <= PHONE["width"], width
    rows = page.locator("#my-tasks tr[data-task-id]")
    assert rows.count() >= 1
    for i in range(rows.count()):
        card = rows.nth(i)
        box = card.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        button = card.locator("a.btn")
        assert button.is_visible()
        bbox = button.bounding_box()
        assert bbox["x"] + bbox["width"] <= PHONE["width"], bbox
    assert not failed  # the icon too: /static/favicon.ico, named by the layout
    assert not page.js_errors
