"""任务督办 in a real browser (CSRF on, as in production).

1. An overdue task is red on the bureau's county board and reaches its owner: 我的任务 lists it
   under 已逾期, the daily reminder puts it in the township clerk's notifications and the
   navbar's bell counts it. Screenshots:
   artifacts/county_board.png, artifacts/my_tasks.png.
2. The owner records progress with an evidence file and downloads it again.
3. The bureau loads the plan's steps and generates the tasks with the show page's actions.
4. A done task stays done when a note and a file are added; reopening is its own, confirmed
   choice.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from office.models import Step, Task, TaskEvidence, TaskStatus, db
from office.services import notifications

TODAY = dt.date(2020, 8, 5)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _county_on(app, county, monkeypatch):
    """county.a.task (due 7-31) is overdue on 8-05; township B finished theirs."""
    monkeypatch.setitem(app.config, "TODAY", TODAY)
    county.b.task.status, county.b.task.done_on = TaskStatus.done, dt.date(2020, 7, 30)
    soon = Task(campaign=county.campaign, step_no=1, title="整改台账报送",
                due_on=dt.date(2020, 8, 10), township=county.a.township)
    db.session.add(soon)
    db.session.commit()
    notifications.send_reminders(TODAY)
    return soon


def test_overdue_task_is_red_on_the_board_and_in_the_owners_notifications(
        app, county, page_as, artifacts, monkeypatch):
    soon = _county_on(app, county, monkeypatch)
    late = county.a.task

    page = page_as("bureau")
    page.goto(page.base + "/taskboard/")
    page.wait_for_load_state("networkidle")
    cell = page.locator(f"td.tk-cell[data-task-id='{late.id}']")
    assert "tk-red" in cell.get_attribute("class")
    assert "逾期5天" in cell.inner_text()
    assert cell.evaluate("td => getComputedStyle(td).backgroundColor") == "rgb(246, 211, 210)"
    assert "tk-green" in page.locator(
        f"td.tk-cell[data-task-id='{county.b.task.id}']").get_attribute("class")
    assert "tk-amber" in page.locator(f"td.tk-cell[data-task-id='{soon.id}']").get_attribute(
        "class")
    row = page.locator("tr[data-unit='城关街道']")
    assert row.get_attribute("data-overdue") == "1"
    assert row.locator("td.tk-overdue-count").inner_text() == "1"
    assert page.locator("tr[data-unit='东山镇'] td.tk-overdue-count").inner_text() == "0"
    page.screenshot(path=str(artifacts / "county_board.png"), full_page=True)
    assert not page.js_errors

    owner = page_as("town_a")
    owner.goto(owner.base + "/mytasks/")
    owner.wait_for_load_state("networkidle")
    overdue = owner.locator(f"#group-overdue tr[data-task-id='{late.id}']")
    assert overdue.is_visible() and "逾期5天" in overdue.inner_text()
    assert owner.locator(f"#group-due_soon tr[data-task-id='{soon.id}']").is_visible()
    assert owner.locator(f"tr[data-task-id='{county.b.task.id}']").count() == 0  # not theirs
    owner.screenshot(path=str(artifacts / "my_tasks.png"), full_page=True)

    assert owner.inner_text("#bell-count") == "2"  # the navbar's bell, on every page
    with owner.expect_navigation():
        owner.click("#office-bell a")
    owner.wait_for_load_state("networkidle")
    assert "/notifications/" in owner.url
    text = owner.inner_text("#notification-list")
    assert "任务「自查自检和整改」已逾期5天" in text and "整改台账报送" in text
    assert "未读 2 条" in owner.inner_text("#notifications-unread")
    owner.click("#notifications-read-all")
    owner.wait_for_load_state("networkidle")
    assert "未读 0 条" in owner.inner_text("#notifications-unread")
    assert owner.locator("#bell-count").count() == 0
    assert not owner.js_errors


def test_owner_records_progress_with_evidence_and_downloads_it(
        app, county, page_as, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "TODAY", TODAY)
    monkeypatch.setitem(app.config, "UPLOAD_DIR", tmp_path / "uploads")
    task = county.a.task
    report = tmp_path / "自查报告.pdf"
    report.write_bytes(PDF)

    page = page_as("town_a")
    page.goto(page.base + f"/taskprogress/{task.id}")
    page.fill("#progress-note", "已完成全部小区的自查，整改问题3个")
    page.set_input_files("#progress-files", str(report))
    page.check("#progress-done")
    assert page.input_value("#progress-percent") == "100"
    with page.expect_navigation():
        page.click("#progress-save")
    assert "进展已保存" in page.inner_text("body")
    assert "已完成" in page.inner_text("#task-status")
    with page.expect_download() as info:
        page.click("#progress-history a:has-text('自查报告.pdf')")
    saved = tmp_path / "download.pdf"
    info.value.save_as(saved)
    assert info.value.suggested_filename == "自查报告.pdf" and saved.read_bytes() == PDF
    db.session.expire_all()
    assert db.session.get(Task, task.id).status == TaskStatus.done
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TaskEvidence)) == 1

    # a refused file: the form comes back with the message and the note kept
    page.fill("#progress-note", "补充材料")
    bad = tmp_path / "说明.exe"
    bad.write_bytes(b"MZ\x90\x00")
    page.set_input_files("#progress-files", str(bad))
    with page.expect_navigation():
        page.click("#progress-save")
    assert "类型不允许上传" in page.inner_text("body")
    assert page.input_value("#progress-note") == "补充材料"
    assert not page.js_errors


def test_bureau_generates_the_plans_tasks_from_the_campaign_page(county, page_as):
    page = page_as("bureau")
    page.goto(page.base + f"/campaignview/show/{county.campaign.id}")
    # FAB's OK button is an <a href="#">: its fragment navigation comes before the form's, so
    # each step waits for the message the action's own page shows.
    actions = (("载入实施方案步骤", "已添加 10 个实施步骤"), ("生成全部任务", "新生成"))
    for label, message in actions:
        page.click(f"a.btn:has-text('{label}')")
        page.wait_for_selector("#modal-confirm-ok", state="visible")
        page.click("#modal-confirm-ok")
        page.wait_for_selector(f".alert:has-text('{message}')")
        page.wait_for_load_state("networkidle")
    db.session.expire_all()
    steps = db.session.scalar(sa.select(sa.func.count()).select_from(Step))
    generated = db.session.scalar(sa.select(sa.func.count()).select_from(Task)
                                  .where(Task.step_id.is_not(None)))
    assert steps == 10 and generated > 0
    assert not page.js_errors


def test_a_done_task_stays_done_and_is_reopened_only_on_purpose(
        app, county, page_as, artifacts, monkeypatch, tmp_path):
    """Issue 11, point 2: the box shows the task done; a note with a file keeps it done with
    its date; reopening is its own checkbox, confirmed. Screenshots:
    artifacts/progress_done.png, artifacts/progress_reopen.png."""
    monkeypatch.setitem(app.config, "TODAY", TODAY)
    monkeypatch.setitem(app.config, "UPLOAD_DIR", tmp_path / "uploads")
    task = county.a.task
    task.status, task.done_on, task.progress = TaskStatus.done, dt.date(2020, 7, 30), 100
    db.session.commit()
    photo = tmp_path / "整改照片.pdf"
    photo.write_bytes(PDF)

    page = page_as("town_a")
    page.goto(page.base + f"/taskprogress/{task.id}")
    assert page.is_checked("#progress-done")
    assert not page.is_checked("#progress-reopen")
    page.fill("#progress-note", "补充整改前后对比照片")
    page.set_input_files("#progress-files", str(photo))
    page.screenshot(path=str(artifacts / "progress_done.png"), full_page=True)
    with page.expect_navigation():
        page.click("#progress-save")
    assert "进展已保存" in page.inner_text("body")
    status = page.inner_text("#task-status")
    assert "已完成" in status and "2020-07-30" in status and "逾期" not in status
    assert page.is_checked("#progress-done")
    db.session.expire_all()
    row = db.session.get(Task, task.id)
    assert (row.status, row.done_on, row.progress) == (TaskStatus.done, dt.date(2020, 7, 30), 100)

    # reopening asks first: "cancel" leaves the task as it is
    messages = []

    def answer(accept):
        def handler(dialog):
            messages.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()
        return handler

    page.once("dialog", answer(False))
    page.click("#progress-reopen")
    assert not page.is_checked("#progress-reopen") and page.is_checked("#progress-done")
    page.once("dialog", answer(True))
    page.click("#progress-reopen")
    assert page.is_checked("#progress-reopen") and not page.is_checked("#progress-done")
    assert len(messages) == 2 and "重新打开" in messages[0]
    page.fill("#progress-percent", "80")
    page.fill("#progress-note", "市检查组指出台账不全，重新整改")
    page.screenshot(path=str(artifacts / "progress_reopen.png"), full_page=True)
    with page.expect_navigation():
        page.click("#progress-save")
    assert "任务已重新打开" in page.inner_text("body")
    assert "进行中" in page.inner_text("#task-status")
    assert "【重新打开任务】市检查组指出台账不全" in page.inner_text("#progress-history")
    db.session.expire_all()
    row = db.session.get(Task, task.id)
    assert (row.status, row.done_on, row.progress) == (TaskStatus.doing, None, 80)
    assert not page.js_errors
