"""Deadline reminders (office/jobs/reminders.py, office/services/notifications.py) and the
in-app notifications: 7/3/1-day and overdue thresholds, each sent once per task, threshold and
deadline, to the owner's users and the bureau; the notifications page and the navbar's bell.
"""
from __future__ import annotations

import datetime as dt
import re
import time
from html import unescape

import pytest
import sqlalchemy as sa
from flask import g, render_template
from flask_login import login_user

from office.jobs.reminders import REMINDER_CRON, daily_reminders
from office.models import (
    Notification,
    OfficeUser,
    ReminderThreshold,
    Task,
    TaskReminder,
    TaskStatus,
    db,
)
from office.services import notifications
from tests.conftest import PASSWORD, count

D = dt.date
DAY = D(2020, 7, 24)


def _task(county, title, due, township=None, department=None, status=TaskStatus.todo):
    task = Task(campaign=county.campaign, step_no=1, title=title, due_on=due, status=status,
                township=township if township is not None or department is not None
                else county.a.township, department=department)
    db.session.add(task)
    db.session.commit()
    return task


@pytest.fixture()
def scenario(county, users):
    """Township A's tasks at each distance from DAY; county.a.task (due 7-31) is 7 days out."""
    a = county.a.township
    county.a.task.title = "自查自检和整改（7天）"
    db.session.commit()
    return {
        "b7": county.b.task,  # township B's, also 7 days out
        "d7": county.a.task,
        "d3": _task(county, "三天后到期", DAY + dt.timedelta(days=3), a),
        "d1": _task(county, "明天到期", DAY + dt.timedelta(days=1), a),
        "d0": _task(county, "今天到期", DAY, a),
        "late": _task(county, "已逾期任务", DAY - dt.timedelta(days=2), a),
        "far": _task(county, "十天后到期", DAY + dt.timedelta(days=10), a),
        "done": _task(county, "已完成任务", DAY - dt.timedelta(days=2), a,
                      status=TaskStatus.done),
    }


def _sent() -> dict[int, set[ReminderThreshold]]:
    result: dict[int, set] = {}
    for task_id, threshold in db.session.execute(
            sa.select(TaskReminder.task_id, TaskReminder.threshold)):
        result.setdefault(task_id, set()).add(threshold)
    return result


def _user_id(username) -> int:
    return db.session.scalar(sa.select(OfficeUser.id).where(OfficeUser.username == username))


def _inbox(username) -> list[Notification]:
    return db.session.scalars(sa.select(Notification).where(
        Notification.user_id == _user_id(username)).order_by(Notification.id)).all()


def test_thresholds_7_3_1_and_overdue_once_each(county, scenario):
    s = scenario
    result = notifications.send_reminders(DAY)
    assert _sent() == {
        s["b7"].id: {ReminderThreshold.days_7},
        s["d7"].id: {ReminderThreshold.days_7}, s["d3"].id: {ReminderThreshold.days_3},
        s["d1"].id: {ReminderThreshold.days_1}, s["d0"].id: {ReminderThreshold.days_1},
        s["late"].id: {ReminderThreshold.overdue},
    }
    assert result["reminders"] == 6
    # the owner (town_a) and the bureau's side (BureauClerk, Admin) get one notification per
    # reminder; nobody else does
    assert len(_inbox("town_a")) == 5 and len(_inbox("bureau")) == len(_inbox("admin")) == 6
    for username in ("liaison_a", "supervisor", "reviewer"):
        assert _inbox(username) == [], username
    assert any("已逾期任务" in n.message and "已逾期2天" in n.message for n in _inbox("town_a"))
    owners = sorted(n.message.split("：")[0] for n in _inbox("bureau"))
    assert owners == ["东山镇"] + ["城关街道"] * 5

    # the same day again: nothing new
    notifications_before = count(Notification)
    again = notifications.send_reminders(DAY)
    assert again["reminders"] == 0 and count(Notification) == notifications_before

    # four days later each task has reached its next threshold, and only that one is sent
    notifications.send_reminders(DAY + dt.timedelta(days=4))
    assert _sent() == {
        s["b7"].id: {ReminderThreshold.days_7, ReminderThreshold.days_3},
        s["d7"].id: {ReminderThreshold.days_7, ReminderThreshold.days_3},
        s["d3"].id: {ReminderThreshold.days_3, ReminderThreshold.overdue},
        s["d1"].id: {ReminderThreshold.days_1, ReminderThreshold.overdue},
        s["d0"].id: {ReminderThreshold.days_1, ReminderThreshold.overdue},
        s["late"].id: {ReminderThreshold.overdue},
        s["far"].id: {ReminderThreshold.days_7},
    }
    total = count(TaskReminder)
    notifications.send_reminders(DAY + dt.timedelta(days=4))
    assert count(TaskReminder) == total


def test_department_tasks_go_to_the_liaison_and_the_bureau(county, users):
    task = county.a.dept_task  # 县公安局, due 8-31
    notifications.send_reminders(task.due_on - dt.timedelta(days=1))
    assert [n.task_id for n in _inbox("liaison_a")] == [task.id]
    assert task.id in {n.task_id for n in _inbox("bureau")}
    # the townships' 7-31 tasks are overdue by then: township A's clerk gets A's only
    assert {n.task_id for n in _inbox("town_a")} == {county.a.task.id}


def test_a_moved_deadline_is_reminded_again_and_ended_campaigns_are_quiet(county, scenario):
    task = scenario["d3"]
    notifications.send_reminders(DAY)
    task.due_on = DAY + dt.timedelta(days=30)
    db.session.commit()
    notifications.send_reminders(DAY + dt.timedelta(days=24))  # 6 days before the new date
    assert _sent()[task.id] == {ReminderThreshold.days_3, ReminderThreshold.days_7}

    county.campaign.ends_on = DAY + dt.timedelta(days=40)
    db.session.commit()
    before = count(TaskReminder)
    notifications.send_reminders(DAY + dt.timedelta(days=41))  # the campaign has ended
    assert count(TaskReminder) == before


def test_job_function_and_the_embedded_queue_add_no_duplicates(app, county, scenario,
                                                               monkeypatch):
    from office import queue
    from office.queue import get_queue, start_embedded_worker

    queue.bind(app)  # the job's app: this test app (as the embedded worker binds it)
    assert daily_reminders(DAY.isoformat())["reminders"] == 6
    assert daily_reminders(DAY.isoformat())["reminders"] == 0
    db.session.commit()  # end the test's read transaction before the worker writes

    monkeypatch.setitem(app.config, "REDIS_URL", "")
    start_embedded_worker(app)
    later = (DAY + dt.timedelta(days=4)).isoformat()
    job = get_queue(app).enqueue(daily_reminders, later, job_timeout=120)
    deadline = time.time() + 60
    while job.get_status(refresh=True) not in ("finished", "failed") and time.time() < deadline:
        time.sleep(0.1)
    assert job.get_status() == "finished", job.latest_result()
    assert job.return_value()["reminders"] == 6
    job = get_queue(app).enqueue(daily_reminders, later, job_timeout=120)
    deadline = time.time() + 60
    while job.get_status(refresh=True) not in ("finished", "failed") and time.time() < deadline:
        time.sleep(0.1)
    assert job.return_value()["reminders"] == 0
    db.session.expire_all()
    assert count(TaskReminder) == 12
    pairs = db.session.execute(sa.select(TaskReminder.task_id, TaskReminder.threshold,
                                         TaskReminder.due_on)).all()
    assert len(pairs) == len(set(pairs))


def test_cron_line_is_daily_at_seven_beijing_time():
    assert REMINDER_CRON == "0 23 * * *"  # UTC


# ------------------------------------------------------------------ the user's side


def _bell(app, username) -> str:
    with app.test_request_context("/"):
        user = db.session.scalar(sa.select(OfficeUser).where(OfficeUser.username == username))
        db.session.refresh(user)
        login_user(user)
        g.user = user  # what FAB's before_request sets
        return render_template("tasks/_bell.html", appbuilder=app.appbuilder)


def test_overdue_task_appears_in_the_owners_notifications_and_bell(app, county, login,
                                                                   scenario):
    notifications.send_reminders(DAY)
    town = login("town_a")
    body = unescape(town.get("/notifications/").get_data(as_text=True))
    assert "已逾期任务」已逾期2天" in body and "未读 5 条" in body
    assert body.count('class="tk-notice-unread"') == 5
    assert re.search(r'id="bell-count"[^>]*>5<', _bell(app, "town_a"))
    assert 'id="bell-count"' not in _bell(app, "liaison_a")  # nothing for the liaison

    # mark one read: the count drops; another user's ids are ignored
    mine = _inbox("town_a")
    theirs = _inbox("bureau")
    town.post("/notifications/read", data={"id": [str(mine[0].id), str(theirs[0].id)]})
    db.session.expire_all()
    assert mine[0].read_at is not None and theirs[0].read_at is None
    assert re.search(r'id="bell-count"[^>]*>4<', _bell(app, "town_a"))
    # the bureau's page shows its own rows only
    bureau_page = unescape(login("bureau").get("/notifications/").get_data(as_text=True))
    assert set(map(int, re.findall(r'data-notification-id="(\d+)"', bureau_page))) == {
        n.id for n in theirs}
    town.post("/notifications/read-all")
    db.session.expire_all()
    assert all(n.read_at for n in _inbox("town_a"))
    assert 'id="bell-count"' not in _bell(app, "town_a")
    assert "未读 0 条" in unescape(town.get("/notifications/").get_data(as_text=True))


def test_notifications_need_a_signed_in_user(app, county):
    resp = app.test_client().get("/notifications/")
    assert resp.status_code == 302 and "/login/" in resp.headers["Location"]
    assert app.test_client().post("/notifications/read-all").status_code in (302, 400)


def test_bell_is_in_every_pages_navbar(app, county, login, scenario):
    notifications.send_reminders(DAY)
    town = login("town_a")
    for url in ("/", "/mytasks/", "/compoundview/list/"):
        body = town.get(url).get_data(as_text=True)
        nav = body[body.index('<header class="top"'):body.index("</header>")]
        assert re.search(r'id="bell-count"[^>]*>5<', nav), url


def test_bell_costs_no_statement(app, county, login, scenario):
    """The unread count comes with the user's own row (OfficeUser.unread_notifications)."""
    notifications.send_reminders(DAY)
    with app.test_request_context():
        user = db.session.get(OfficeUser, _user_id("town_a"))
        assert user.unread_notifications == notifications.unread_count(user) == 5
    assert PASSWORD  # (the conftest users are what the scenario notifies)
