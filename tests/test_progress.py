"""A task's progress (issue 11, point 2; office/services/progress.py).

- a finished task stays finished: its progress page shows it done, and a note or a file keeps
  it done with its date; reopening is a separate, explicit choice, logged (【重新打开任务】);
- one rule for a new progress update, whatever the path (progress page, 任务进展 form, grid,
  xlsx import, REST API, a job): it moves its task;
- a unit's indicator task measures that unit's own part (a department its own phones).
"""
from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
import sqlalchemy as sa

from office import indicators
from office.models import (
    ChangeLog,
    ContactPoint,
    Indicator,
    Task,
    TaskEvidence,
    TaskStatus,
    TaskUpdate,
    db,
)
from office.services import progress
from tests.test_import import book, errors, upload
from tests.test_tasks import PDF, TODAY, _post, _task

D = dt.date
DONE_ON = D(2020, 7, 20)


@pytest.fixture(autouse=True)
def pinned_today(app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", TODAY)


@pytest.fixture()
def uploads(app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", tmp_path / "uploads")


def _done(task: Task) -> Task:
    task.status, task.done_on, task.progress = TaskStatus.done, DONE_ON, 100
    db.session.commit()
    return task


def _state(task: Task) -> tuple:
    db.session.expire_all()
    row = db.session.get(Task, task.id)
    return row.status, row.done_on, row.progress


def _page(client, task) -> str:
    resp = client.get(f"/taskprogress/{task.id}")
    assert resp.status_code == 200
    return unescape(resp.get_data(as_text=True))


# ------------------------------------------------------------------ a finished task stays finished


def test_done_task_page_shows_it_done_and_a_note_with_a_file_keeps_it_done(county, login,
                                                                           uploads):
    task = _done(county.a.task)
    town = login("town_a")
    page = _page(town, task)
    box = re.search(r'<input[^>]*id="progress-done"[^>]*>', page).group(0)
    assert "checked" in box
    assert 'id="progress-reopen"' in page and "重新打开任务" in page
    assert "2020-07-20 完成" in page

    # what the browser posts: the (disabled) box's hidden done=1, the note, a file
    resp = _post(town, task, note="补充整改照片", progress="100", done=True,
                 files=[("整改照片.pdf", PDF)])
    assert resp.status_code == 302, resp.get_data(as_text=True)[-600:]
    assert _state(task) == (TaskStatus.done, DONE_ON, 100)
    # … and what an old form (no done box at all) posts: still done
    assert _post(town, task, note="再补一份", progress="").status_code == 302
    assert _state(task) == (TaskStatus.done, DONE_ON, 100)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TaskEvidence)) == 1
    page = _page(town, task)
    assert "逾期" not in re.search(r'<td id="task-status">.*?</td>', page, re.S).group(0)
    # a typed percentage below 100 on a done task is refused, not silently dropped
    resp = _post(town, task, note="改进度", progress="80")
    assert resp.status_code == 400 and "重新打开任务" in unescape(resp.get_data(as_text=True))
    assert _state(task) == (TaskStatus.done, DONE_ON, 100)


def test_reopening_is_an_explicit_choice_and_is_logged(county, login):
    task = _done(county.a.task)
    town = login("town_a")
    resp = town.post(f"/taskprogress/{task.id}", data={
        "note": "市检查组指出台账不全", "progress": "80", "done": "1", "reopen": "1"})
    assert resp.status_code == 302
    assert _state(task) == (TaskStatus.doing, None, 80)
    update = db.session.scalars(sa.select(TaskUpdate).where(TaskUpdate.task_id == task.id)
                                .order_by(TaskUpdate.id.desc())).first()
    assert update.note == "【重新打开任务】市检查组指出台账不全"
    logged = db.session.scalars(sa.select(ChangeLog).where(
        ChangeLog.entity.in_(["Task", "TaskUpdate"]))).all()
    assert any(r.entity == "Task" and r.field == "status" and r.old == "done"
               and r.new == "doing" for r in logged), [(r.field, r.old, r.new) for r in logged]
    assert any(r.entity == "TaskUpdate" and "【重新打开任务】" in (r.new or "") for r in logged)
    # reopening a task that is not done is refused
    resp = town.post(f"/taskprogress/{task.id}", data={"note": "再开", "progress": "80",
                                                        "reopen": "1"})
    assert resp.status_code == 400 and "尚未完成" in unescape(resp.get_data(as_text=True))


def test_an_unfinished_task_is_marked_done_from_its_page(county, login):
    task = county.a.task
    page = _page(login("town_a"), task)
    box = re.search(r'<input[^>]*id="progress-done"[^>]*>', page).group(0)
    assert "checked" not in box and 'id="progress-reopen"' not in page
    assert _post(login("town_a"), task, note="全部完成", progress="", done=True).status_code == 302
    assert _state(task) == (TaskStatus.done, TODAY, 100)


# ------------------------------------------------------------------ one rule, every path


def _task_text(task) -> str:
    return str(task)


def _via_form(client, task, progress_value, noted_on):
    return client.post("/taskupdateview/add", data={
        "task": task.id, "noted_on": noted_on, "progress": progress_value, "note": "表单填报"})


def _via_api(client, task, progress_value, noted_on):
    return client.post("/api/v1/task_update/", json={
        "task": task.id, "noted_on": noted_on, "progress": progress_value, "note": "接口填报"})


def _via_grid(client, task, progress_value, noted_on):
    return client.post("/taskupdateview/grid/save", json={"rows": [{"key": "new-0", "values": {
        "task": _task_text(task), "noted_on": noted_on, "progress": progress_value,
        "note": "表格填报"}}]})


def _via_import(client, task, progress_value, noted_on, app=None):
    head = ["任务*", "日期*", "进度(%)", "备注"]
    token, page = upload(client, book([[_task_text(task), noted_on, progress_value, "导入"]],
                                      head=head, sheet="任务进展"), view="taskupdateview")
    assert token, page[-800:]
    assert errors(app, token) == []
    return client.post(f"/taskupdateview/import/{token}/commit", data={"mode": "add"})


def _via_orm(client, task, progress_value, noted_on):
    db.session.add(TaskUpdate(task=db.session.get(Task, task.id), progress=progress_value,
                              noted_on=dt.date.fromisoformat(noted_on), note="后台任务"))
    db.session.commit()


PATHS = {"form": _via_form, "api": _via_api, "grid": _via_grid, "import": _via_import,
         "orm": _via_orm}


@pytest.mark.parametrize("path", list(PATHS))
def test_a_new_update_moves_its_task_on_every_path(app, county, login, path):
    task, done = county.a.task, _done(county.b.task)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(TaskUpdate))
    add = PATHS[path]
    kwargs = {"app": app} if path == "import" else {}

    resp = add(login("bureau"), task, 70, "2020-07-27", **kwargs)
    assert resp is None or resp.status_code in (200, 201, 302, 303), resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TaskUpdate)) == before + 1
    assert _state(task) == (TaskStatus.doing, None, 70)  # was 未开始, 0%
    # an older update (a history row) does not set the task back
    add(login("bureau"), task, 20, "2020-07-01", **kwargs)
    assert _state(task) == (TaskStatus.doing, None, 70)
    # a finished task stays finished
    add(login("bureau"), done, 40, "2020-07-28", **kwargs)
    assert _state(done) == (TaskStatus.done, DONE_ON, 100)


def test_an_update_of_an_indicator_task_keeps_the_figure_of_its_day(county, login):
    task = _task(county, "组织符合条件的小区成立业委会", D(2020, 9, 30),
                 township=county.a.township, indicator=Indicator.committee_coverage)
    resp = _via_api(login("bureau"), task, 5, "2020-07-28")
    assert resp.status_code == 201, resp.get_data(as_text=True)
    update = db.session.get(TaskUpdate, resp.get_json()["id"])
    assert update.progress == 100  # 1/1 compounds of 城关街道 with a committee, not the 5 typed
    assert _state(task) == (TaskStatus.doing, None, 0)  # nothing typed into the task


def test_an_owner_cannot_move_the_bureaus_columns_through_an_update(county, login):
    """The update moves status and progress only, through the rule, never the deadline."""
    task = county.a.task
    resp = _via_api(login("town_a"), task, 50, "2020-07-28")
    assert resp.status_code == 201
    db.session.expire_all()
    assert db.session.get(Task, task.id).due_on == D(2020, 7, 31)


# ------------------------------------------------------------------ a unit's own part


def _report(contact: ContactPoint, day: dt.date | None) -> None:
    contact.reported_on = day
    if day is None:
        contact.complaint_phone = None
    db.session.commit()


def test_department_rates_count_each_departments_own_phone(county):
    _report(county.a.dept_contact, D(2020, 7, 1))   # 县公安局: reported
    _report(county.b.dept_contact, None)            # 县民政局: not yet
    for contact in (county.a.contact, county.b.contact):
        _report(contact, D(2020, 7, 1))
    rates = indicators.department_rates(TODAY, county.campaign)["contact_reported"]
    a, b = county.a.department.id, county.b.department.id
    assert {k: (r.numerator, r.denominator) for k, r in rates.items()} == {a: (1, 1), b: (0, 1)}
    # the county's figure is still every township and department together: 3 of 4
    county_rate = indicators.county_rates(TODAY, county.campaign, ["contact_reported"])
    assert (county_rate["contact_reported"].numerator,
            county_rate["contact_reported"].denominator) == (3, 4)
    with pytest.raises(ValueError):
        indicators.department_rates(TODAY, county.campaign, ["committee_coverage"])


def test_a_units_indicator_task_measures_its_own_part(county, login):
    _report(county.a.dept_contact, D(2020, 7, 1))
    _report(county.b.dept_contact, None)
    _report(county.a.contact, None)
    _report(county.b.contact, D(2020, 7, 1))
    mine = _task(county, "报送投诉电话", D(2020, 8, 31), department=county.a.department,
                 indicator=Indicator.contact_reported, step_no=3)
    theirs = _task(county, "报送投诉电话", D(2020, 8, 31), department=county.b.department,
                   indicator=Indicator.contact_reported, step_no=3)
    town = _task(county, "报送投诉电话", D(2020, 8, 31), township=county.a.township,
                 indicator=Indicator.contact_reported, step_no=3)
    signs = _task(county, "制作统一公示牌", D(2020, 8, 31), department=county.a.department,
                  indicator=Indicator.signboard_current, step_no=2)
    figures = progress.live_figures([mine, theirs, town, signs], TODAY)
    assert (figures[mine.id].where, figures[mine.id].text) == ("县公安局", "100.0%（1/1）")
    assert (figures[theirs.id].where, figures[theirs.id].text) == ("县民政局", "0.0%（0/1）")
    assert (figures[town.id].where, figures[town.id].text) == ("城关街道", "0.0%（0/1）")
    assert figures[signs.id].where == "全县"  # the bureau's county-wide indicator
    page = unescape(login("liaison_a").get(f"/taskprogress/{mine.id}").get_data(as_text=True))
    assert "投诉电话报送率：100.0%（1/1）" in page and "县公安局截至" in page

