"""Issue 11, points 8 and 9 in a real browser, on the demo county seeded "today" (2026-12-07).

* The bureau signs in and lands on the dashboard of the current campaign as of today, with
  figures on the first visit, none of them 0% or 100%; screenshot artifacts/landing-bureau.png.
* The supervisor lands on the same dashboard (artifacts/landing-supervisor.png).
* A township clerk and a department liaison land on 我的待办 with their own items, each a link
  to the row (artifacts/landing-town.png, artifacts/landing-liaison.png).
* The bureau 催办s an overdue task from the board; the township clerk finds it in 站内提醒
  (artifacts/board-urge.png).
"""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from office.services.users import create_user
from tests.conftest import PASSWORD, seeded_county

pytestmark = pytest.mark.e2e

TODAY = dt.date(2026, 12, 7)


@pytest.fixture()
def county(app, monkeypatch):
    """The demo county as seeded on TODAY, in place of the factory county (the role users of
    tests/conftest.py are created after it: 城关街道 and 县公安局 exist in the demo too)."""
    monkeypatch.setitem(app.config, "TODAY", TODAY)
    monkeypatch.setitem(app.config, "DASHBOARD_COMPUTE_NOW_MAX", 5000)
    with seeded_county(app, compounds=300, seed=2020, today=TODAY) as campaign:
        yield campaign


def _figures(page) -> dict[str, str]:
    return {card.get_attribute("data-key"): card.locator(".dash-figure").inner_text().strip()
            for card in page.locator(".dash-cards .dash-card").all()}


@pytest.mark.parametrize("username", ["bureau", "supervisor"])
def test_bureau_lands_on_todays_dashboard_with_figures(page_as, artifacts, username):
    page = page_as(username)  # the login form sends them to "/"
    assert page.locator("#dashboard-data").count() == 1, "lands on the dashboard"
    assert page.locator("#dash-as-of").input_value() == TODAY.isoformat()
    assert "2026年住宅小区管理工作实施方案" in page.inner_text(".dash-head, body")
    status = page.locator("#dash-status")
    assert status.get_attribute("data-state") == "fresh"
    assert "已安排后台计算" not in status.inner_text()
    figures = _figures(page)
    assert len(figures) == 7, figures
    for key, text in figures.items():
        assert text.endswith("%") and text not in ("0.0%", "100.0%"), (key, text)
    page.screenshot(path=str(artifacts / f"landing-{username}.png"), full_page=True)
    assert page.js_errors == []


def test_township_clerk_and_liaison_land_on_their_todo(page_as, artifacts):
    page = page_as("town_a")
    assert page.locator("#my-todo").count() == 1 and page.locator("#dashboard-data").count() == 0
    assert "城关街道" in page.inner_text("#my-todo .tk-title")
    tasks = page.locator("#todo-tasks .todo-row a")
    assert tasks.count() > 0
    assert "逾期" in page.inner_text("#todo-tasks")
    assert page.locator("#todo-boards .todo-row").count() > 0
    page.screenshot(path=str(artifacts / "landing-town.png"), full_page=True)
    tasks.first.click()
    page.wait_for_load_state("networkidle")
    assert "/taskprogress/" in page.url and page.locator("body").inner_text().count("城关街道")

    # the liaison of a department with an overdue task (in the demo: one whose phone is
    # still not reported)
    department = _department_with_overdue_task()
    create_user("liaison_x", "DepartmentLiaison", PASSWORD, department=department)
    page = page_as("liaison_x")
    assert page.locator("#my-todo").count() == 1
    assert department in page.inner_text("#my-todo .tk-title")
    assert page.locator("#todo-findings").count() == 0  # findings and boards are townships'
    assert "逾期" in page.inner_text("#todo-tasks")
    assert page.locator("#todo-contacts .todo-row a").count() > 0
    page.screenshot(path=str(artifacts / "landing-liaison.png"), full_page=True)
    assert page.js_errors == []


def _department_with_overdue_task() -> str:
    from office.models import ContactPoint, Department, Task, TaskStatus, db

    return db.session.scalar(
        sa.select(Department.name).join(Task, Task.department_id == Department.id)
        .join(ContactPoint, ContactPoint.department_id == Department.id)
        .where(Task.status != TaskStatus.done, Task.due_on < TODAY,
               ContactPoint.complaint_phone.is_(None),
               Task.campaign.has(year=TODAY.year))
        .order_by(Department.id).limit(1))


def test_bureau_urges_from_the_board(page_as, artifacts):
    page = page_as("bureau")
    page.goto(f"{page.base}/taskboard/")
    row = page.locator('tr[data-unit="城关街道"]')
    button = row.locator("form.tk-urge button").first
    assert button.count() == 1, "an overdue task of 城关街道 to urge"
    button.click()
    page.wait_for_load_state("networkidle")
    assert "已向城关街道的 1 位用户发送催办提醒" in page.inner_text("body")
    page.screenshot(path=str(artifacts / "board-urge.png"), full_page=False)

    town = page_as("town_a")
    town.goto(f"{town.base}/notifications/")
    assert "县住建局物业办催办" in town.inner_text("body")
