"""Issue 11, points 8 and 9: the demo county is alive today, and everyone lands where their
work is.

* seed-demo keeps the 2020 campaign as history and adds a campaign of today's year whose
  indicators are all strictly between 0% and 100% as of today, with tasks overdue by days
  (not years), tasks due within days, and the reminders and notifications of today;
* the dashboard and the statistics return default to the same as-of date (today);
* the bureau can 催办 an overdue task from the board (scoped, CSRF-protected, logged);
* a township clerk / department liaison lands on 我的待办; the bureau and supervisors on the
  dashboard, with figures on the first visit.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from office.demo.seed import seed_demo
from office.indicators import INDICATORS, county_rates
from office.models import (
    Campaign,
    ChangeLog,
    Notification,
    OfficeUser,
    Task,
    TaskReminder,
    TaskStatus,
    TaskUpdate,
    db,
)
from tests.conftest import PASSWORD, _truncate_business_tables

HISTORY = dt.date(2020, 10, 15)


def _user_id(username: str) -> int:
    return db.session.scalar(sa.select(OfficeUser.id).where(OfficeUser.username == username))


def _notes(username: str) -> list[Notification]:
    return db.session.scalars(sa.select(Notification)
                              .where(Notification.user_id == _user_id(username))).all()


@pytest.mark.parametrize("today", [dt.date(2026, 12, 7), dt.date(2023, 3, 15)])
def test_demo_is_alive_today(app, monkeypatch, today):
    from office.services.users import create_user

    monkeypatch.setitem(app.config, "TODAY", today)
    with app.app_context():
        _truncate_business_tables()
        create_user("demo_bureau", "BureauClerk", PASSWORD)  # exists before the seeding
        seed_demo(compounds=300, seed=2020)
        campaigns = db.session.scalars(sa.select(Campaign).order_by(Campaign.year)).all()
        assert [c.year for c in campaigns] == [2020, today.year]
        history, current = campaigns
        assert current.starts_on <= today <= current.ends_on

        for campaign, as_of in ((current, today), (history, HISTORY)):
            rates = county_rates(as_of, campaign)
            assert set(rates) == set(INDICATORS)
            for key, rate in rates.items():
                assert rate.denominator and 0 < rate.numerator < rate.denominator, \
                    (campaign.year, key, rate)

        tasks = db.session.scalars(sa.select(Task).where(Task.campaign_id == current.id)).all()
        open_days = [(t.due_on - today).days for t in tasks if t.status != TaskStatus.done]
        assert any(d < 0 for d in open_days) and all(d > -100 for d in open_days)
        assert any(0 <= d <= 7 for d in open_days)
        assert any(t.status == TaskStatus.done for t in tasks)
        # the 2020 tasks are history: none overdue by years, except phones never reported
        stale = db.session.scalars(sa.select(Task).where(
            Task.campaign_id == history.id, Task.status != TaskStatus.done)).all()
        assert all(t.indicator and t.indicator.name == "contact_reported" for t in stale)

        # reminders were sent once, as of today, for the current campaign only
        reminders = db.session.scalars(sa.select(TaskReminder)).all()
        assert reminders and {r.sent_on for r in reminders} == {today}
        overdue = [t for t in tasks if t.status != TaskStatus.done and t.due_on < today]
        assert {t.id for t in overdue} <= {r.task_id for r in reminders}
        assert len(_notes("demo_bureau")) == len(reminders)
        # a user created after the seeding gets the reminders of their unit still in force
        create_user("demo_town", "TownshipClerk", PASSWORD, township="城关街道")
        theirs = _notes("demo_town")
        assert theirs and all(n.task.township.name == "城关街道" for n in theirs)
        _truncate_business_tables()


def test_seed_is_deterministic_for_a_seed_and_a_day(app, monkeypatch):
    from tests.test_seed import _digest

    with app.app_context():
        _truncate_business_tables()
        seed_demo(compounds=60, seed=7, today=dt.date(2026, 12, 7))
        first = _digest()
        _truncate_business_tables()
        seed_demo(compounds=60, seed=7, today=dt.date(2026, 12, 7))
        assert _digest() == first
        _truncate_business_tables()


# --- the as-of date the dashboard and the return start from --------------------------------

def test_dashboard_and_return_default_to_the_same_date(app, login, monkeypatch):
    today = dt.date(2020, 8, 10)
    monkeypatch.setitem(app.config, "TODAY", today)
    client = login("bureau")
    dashboard = client.get("/dashboard/data").get_json()
    page = client.get("/reportrunview/list/").get_data(as_text=True)
    default = re.search(r'name="as_of"[^>]*value="([0-9-]+)"', page) or re.search(
        r'value="([0-9-]+)"[^>]*name="as_of"', page)
    assert default, "the return's date field"
    assert dashboard["as_of"] == dashboard["default_as_of"] == default.group(1) == "2020-08-10"


# --- 催办 --------------------------------------------------------------------------------

@pytest.fixture()
def overdue(app, county, monkeypatch):
    """town_a's township task is 10 days overdue; the department's is not yet due."""
    monkeypatch.setitem(app.config, "TODAY", dt.date(2020, 8, 10))
    return county


def test_bureau_urges_an_overdue_task(overdue, login):
    bureau = login("bureau")
    task_id = overdue.a.task.id
    overdue.a.task.status, overdue.a.task.progress = TaskStatus.todo, 0  # not started at all
    db.session.commit()
    status, percent = overdue.a.task.status, overdue.a.task.progress
    before = db.session.scalar(sa.select(sa.func.max(ChangeLog.id))) or 0
    resp = bureau.post(f"/taskboard/urge/{task_id}")
    assert resp.status_code == 302 and "/taskboard/" in resp.headers["Location"]
    db.session.expire_all()
    # the bureau's note is not the owner's progress: the task stays as it was
    task = db.session.get(Task, task_id)
    assert (task.status, task.progress) == (status, percent)
    urged = [n for n in _notes("town_a") if "催办" in n.message]
    assert len(urged) == 1 and "已逾期10天" in urged[0].message and urged[0].task_id == task_id
    assert not [n for n in _notes("liaison_a") if "催办" in n.message]
    note = db.session.scalar(sa.select(TaskUpdate).where(TaskUpdate.task_id == task_id)
                             .order_by(TaskUpdate.id.desc()).limit(1))
    assert note.note.startswith("【催办】") and note.author == "bureau"
    logged = db.session.scalars(sa.select(ChangeLog).where(ChangeLog.id > before)).all()
    assert any(r.entity == "TaskUpdate" and r.row_id == note.id and r.username == "bureau"
               for r in logged)
    # once a day
    page = bureau.post(f"/taskboard/urge/{task_id}", follow_redirects=True)
    assert "今天已催办过" in page.get_data(as_text=True)
    db.session.expire_all()
    assert len([n for n in _notes("town_a") if "催办" in n.message]) == 1


def test_urge_refuses_a_task_not_overdue_and_other_roles(overdue, login):
    bureau = login("bureau")
    page = bureau.post(f"/taskboard/urge/{overdue.a.dept_task.id}", follow_redirects=True)
    assert "只有已逾期的任务可以催办" in page.get_data(as_text=True)
    for username in ("town_a", "liaison_a", "supervisor", "reviewer"):
        resp = login(username).post(f"/taskboard/urge/{overdue.a.task.id}")
        assert resp.status_code in (302, 403, 404), username
        if resp.status_code == 302:
            assert "/login" in resp.headers["Location"] or "/taskboard" not in \
                resp.headers["Location"], username
    db.session.expire_all()
    assert not db.session.scalars(sa.select(Notification)
                                  .where(Notification.message.contains("催办"))).all()
    assert bureau.post("/taskboard/urge/999999").status_code == 404


def test_urge_button_only_for_the_bureau_and_needs_csrf(app, overdue, login):
    board = login("bureau").get("/taskboard/").get_data(as_text=True)
    assert f"/taskboard/urge/{overdue.a.task.id}" in board
    assert f"/taskboard/urge/{overdue.a.dept_task.id}" not in board  # not overdue
    assert "/taskboard/urge/" not in login("supervisor").get("/taskboard/").get_data(as_text=True)
    bureau = login("bureau")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        resp = bureau.post(f"/taskboard/urge/{overdue.a.task.id}")
        assert resp.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.expire_all()
    assert not [n for n in _notes("town_a") if "催办" in n.message]


# --- landing pages ---------------------------------------------------------------------------

def test_each_role_lands_where_their_work_is(app, overdue, login, monkeypatch):
    monkeypatch.setitem(app.config, "DASHBOARD_COMPUTE_NOW_MAX", 5000)
    town = login("town_a").get("/").get_data(as_text=True)
    assert "我的待办" in town and f"/taskprogress/{overdue.a.task.id}" in town
    assert f"/taskprogress/{overdue.a.dept_task.id}" not in town
    liaison = login("liaison_a").get("/").get_data(as_text=True)
    assert "我的待办" in liaison and "/taskprogress/" not in liaison.split("到期和逾期")[0]
    for username in ("bureau", "supervisor", "admin"):
        page = login(username).get("/").get_data(as_text=True)
        assert 'id="dash-status"' in page and "我的待办" not in page, username
        assert "已安排后台计算" not in page and "dash-status-fresh" in page, username
