"""任务督办: steps into tasks, a campaign copied to a new year, the deadline screens (我的任务,
督办看板, 截止日历), progress updates with evidence files, indicator-mapped progress.

"Today" is pinned through app.config["TODAY"] (office.services.deadlines.today).
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa

from office.indicators import township_rates
from office.models import (
    Campaign,
    Department,
    Indicator,
    Step,
    Target,
    Task,
    TaskEvidence,
    TaskStatus,
    TaskUpdate,
    Township,
    TownshipKind,
    db,
)
from office.services import deadlines, evidence, progress, tasks as service
from tests.conftest import PASSWORD, count
from tests.factories import put_versioned

D = dt.date
TODAY = D(2020, 7, 28)


@pytest.fixture(autouse=True)
def pinned_today(app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", TODAY)
    return TODAY


@pytest.fixture()
def uploads(app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", tmp_path / "uploads")
    return tmp_path / "uploads"


def _zhujian(county) -> Department:
    dept = Department(county=county.county, name="县住建局", short_name="住建")
    db.session.add(dept)
    db.session.commit()
    return dept


def _body(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return unescape(resp.get_data(as_text=True))


def _tasks(**where) -> list[Task]:
    query = sa.select(Task)
    for key, value in where.items():
        query = query.where(getattr(Task, key) == value)
    return db.session.scalars(query.order_by(Task.id)).all()


def _task(county, title, due, township=None, department=None, status=TaskStatus.todo,
          indicator=None, done_on=None, step_no=1) -> Task:
    task = Task(campaign=county.campaign, step_no=step_no, title=title, township=township,
                department=department, due_on=due, status=status, indicator=indicator,
                done_on=done_on, progress=100 if status == TaskStatus.done else 0)
    db.session.add(task)
    db.session.commit()
    return task


def _user(app, username, role, township=None, department=None):
    from office.services.users import create_user

    create_user(username, role, PASSWORD, township=township, department=department)
    client = app.test_client()
    assert client.post("/login/", data={"username": username,
                                        "password": PASSWORD}).status_code == 302
    return client


# ------------------------------------------------------------------ steps into tasks


def test_plan_steps_become_tasks_for_every_township_and_department_once(county):
    zhujian = _zhujian(county)
    added = service.add_plan_steps(county.campaign)
    assert len(added) == len(service.PLAN_STEPS)
    assert service.add_plan_steps(county.campaign) == []  # idempotent too
    steps = {s.title: s for s in added}
    self_check = steps["开展自查自检和整改工作"]
    assert self_check.due_on == D(2020, 7, 31) and self_check.to_townships
    phones = steps["报送涉及住宅小区管理职能的服务、投诉电话"]
    assert phones.due_on == D(2020, 8, 31) and phones.to_all_departments
    boards = steps["制作统一公示牌，在住宅小区100%覆盖"]
    assert boards.departments == [zhujian] and boards.due_on == D(2020, 8, 31)
    # the plan's deadlines: targets by 9-30, ready for the city's inspection by mid-October
    assert steps["组织符合条件的小区成立业委会，完成到期换届和档案健全"].due_on == D(2020, 9, 30)
    assert steps["物业服务企业100%签订物业服务合同"].due_on == D(2020, 9, 30)
    assert steps["做好市检查组检查准备工作"].due_on == D(2020, 10, 15)
    # 市场监管 / 发改 are not in the tiny county: the price step has nobody to go to
    price = steps["排查整治前期物业服务企业，对不合理收费重新核定"]
    assert price.departments == [] and "市场监管" in price.note

    before = count(Task)
    result = service.generate_step(self_check)
    assert len(result.created) == 2 and result.existing == 0
    made = _tasks(step_id=self_check.id)
    assert {t.township_id for t in made} == {county.a.township.id, county.b.township.id}
    assert all(t.due_on == D(2020, 7, 31) and t.department_id is None and t.step_no == 1
               and t.status == TaskStatus.todo for t in made)

    result = service.generate_step(self_check)
    assert result.created == [] and result.existing == 2
    assert count(Task) == before + 2

    with pytest.raises(service.TaskError, match="未指定下达对象"):
        service.generate_step(price)

    # the whole campaign: steps without addressees are reported, the rest generated
    result = service.generate_campaign(county.campaign)
    phone_tasks = _tasks(step_id=phones.id)
    assert {t.department_id for t in phone_tasks if t.department_id} == {
        county.a.department.id, county.b.department.id, zhujian.id}
    assert {t.township_id for t in phone_tasks if t.township_id} == {
        county.a.township.id, county.b.township.id}
    assert {(t.department_id, t.due_on) for t in _tasks(step_id=boards.id)} == {
        (zhujian.id, D(2020, 8, 31))}
    assert [t.indicator for t in _tasks(step_id=steps[
        "组织符合条件的小区成立业委会，完成到期换届和档案健全"].id)] == [
        Indicator.committee_coverage] * 2
    # 4 township steps x 2 + 4 住建 steps + phones (2 townships + 3 departments), minus the
    # self-inspection tasks generated above
    assert len(result.created) == 4 * 2 + 4 + 5 - 2
    assert result.skipped == [price.title]
    total = count(Task)
    again = service.generate_campaign(county.campaign)
    assert again.created == [] and count(Task) == total


def test_a_loose_task_of_the_same_title_is_adopted_not_duplicated(county):
    step = Step(campaign=county.campaign, step_no=1, title="自查自检和整改", due_on=D(2020, 7, 31),
                to_townships=True)
    db.session.add(step)
    db.session.commit()
    result = service.generate_step(step)
    assert [t.id for t in result.adopted] == [county.a.task.id, county.b.task.id]
    assert result.created == []
    assert county.a.task.step_id == step.id


def test_generate_actions_post_and_refuse_without_permission(county, login):
    _zhujian(county)
    campaign_id = county.campaign.id
    bureau = login("bureau")
    resp = bureau.post(f"/campaignview/action/plan_steps/{campaign_id}")
    assert resp.status_code == 302
    assert count(Step) == len(service.PLAN_STEPS)

    town = login("town_a")
    before = count(Task)
    town.post(f"/campaignview/action/generate_all/{campaign_id}")
    assert count(Task) == before  # a township clerk may not generate tasks

    resp = bureau.post(f"/campaignview/action/generate_all/{campaign_id}")
    assert resp.status_code == 302
    made = count(Task) - before
    assert made > 0
    page = _body(bureau.get(f"/campaignview/show/{campaign_id}"))
    assert f"新生成 {made} 项任务" in page
    assert bureau.post(f"/campaignview/action/generate_all/{campaign_id}").status_code == 302
    assert count(Task) == before + made
    assert "已存在" in _body(bureau.get(f"/campaignview/show/{campaign_id}"))

    # the steps' list: a bulk "生成任务" on selected steps, also idempotent
    step_ids = db.session.scalars(sa.select(Step.id).limit(2)).all()
    resp = bureau.post("/stepview/action_post",
                       data={"action": "generate_tasks", "rowid": step_ids})
    assert resp.status_code == 302 and count(Task) == before + made


def test_show_page_offers_the_actions_to_the_bureau_only(county, login):
    campaign_id = county.campaign.id
    page = _body(login("bureau").get(f"/campaignview/show/{campaign_id}"))
    for text in ("载入实施方案步骤", "生成全部任务", "复制到新年度", "实施步骤列表"):
        assert text in page, text
    page = _body(login("town_a").get(f"/campaignview/show/{campaign_id}"))
    assert "生成全部任务" not in page and "复制到新年度" not in page


@pytest.fixture()
def demo_county(app):
    """A small demo county (flask office seed-demo) instead of the factory county."""
    from tests.conftest import seeded_county

    with seeded_county(app, compounds=40, seed=7) as campaign:
        yield campaign


def test_demo_seed_links_every_task_to_its_step(demo_county):
    campaign = demo_county
    steps = db.session.scalars(sa.select(Step).where(Step.campaign_id == campaign.id)).all()
    assert sorted((s.step_no, s.title) for s in steps) == sorted(
        (spec.step_no, spec.title) for spec in service.PLAN_STEPS)
    by_title = {s.title: s for s in steps}
    assert [d.short_name for d in by_title["制作统一公示牌，在住宅小区100%覆盖"].departments] == [
        "住建"]
    assert {d.short_name for d in by_title[
        "排查整治前期物业服务企业，对不合理收费重新核定"].departments} == {"市场监管", "发改"}
    tasks = _tasks(campaign_id=campaign.id)
    assert tasks and all(t.step_id is not None for t in tasks)
    for task in tasks:
        step = task.step
        assert (task.step_no, task.title, task.due_on, task.indicator) == (
            step.step_no, step.title, step.due_on, step.indicator)
        townships, departments = service.addressees(step)
        assert task.township in townships or task.department in departments
    # the bureau's "载入实施方案步骤" and "生成全部任务" find nothing left to do
    assert service.add_plan_steps(campaign) == []
    result = service.generate_campaign(campaign)
    assert (result.created, result.adopted, result.skipped) == ([], [], [])
    assert result.existing == len(tasks) and count(Task) == len(tasks)


# ------------------------------------------------------------------ copy to a new year


def test_copy_campaign_to_a_new_year(county, login):
    _zhujian(county)
    source = county.campaign
    source.interim_counts, source.disclosure_interval_days = True, 90
    db.session.add(Target(campaign=source, indicator=Indicator.office_space,
                          threshold=Decimal("100"), due_on=D(2020, 2, 29)))
    db.session.commit()
    service.add_plan_steps(source)
    service.generate_campaign(source)
    tasks_before = count(Task)

    bureau = login("bureau")
    assert "2021" in _body(bureau.get(f"/campaignview/copy/{source.id}"))
    resp = bureau.post(f"/campaignview/copy/{source.id}", data={"year": "2021", "name": ""})
    assert resp.status_code == 302
    copy = db.session.scalar(sa.select(Campaign).where(Campaign.year == 2021))
    assert copy.name == "2021年住宅小区管理工作实施方案"
    assert (copy.starts_on, copy.ends_on) == (D(2021, 6, 1), D(2022, 12, 31))
    assert copy.interim_counts is True and copy.disclosure_interval_days == 90
    assert copy.county_id == source.county_id
    targets = db.session.execute(sa.select(Target.indicator, Target.threshold, Target.due_on)
                                 .where(Target.campaign_id == copy.id)
                                 .order_by(Target.due_on)).all()
    assert targets == [(Indicator.office_space, Decimal("100.00"), D(2021, 2, 28)),
                       (Indicator.committee_coverage, Decimal("60.00"), D(2021, 12, 31))]
    steps = db.session.scalars(sa.select(Step).where(Step.campaign_id == copy.id)).all()
    assert len(steps) == len(service.PLAN_STEPS)
    by_title = {s.title: s for s in steps}
    assert by_title["开展自查自检和整改工作"].due_on == D(2021, 7, 31)
    boards = by_title["制作统一公示牌，在住宅小区100%覆盖"]
    assert [d.short_name for d in boards.departments] == ["住建"]
    assert count(Task) == tasks_before  # tasks are not copied
    assert _tasks(campaign_id=copy.id) == []

    # the same year again is refused with a message, nothing created
    resp = bureau.post(f"/campaignview/copy/{source.id}", data={"year": "2021"})
    assert resp.status_code == 200 and "2021年度已有工作方案" in _body(resp)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 2

    # copying with "generate" makes the new year's tasks from its steps at once
    resp = bureau.post(f"/campaignview/copy/{copy.id}",
                       data={"year": "2022", "name": "2022年巩固提升方案", "generate": "1"})
    assert resp.status_code == 302
    third = db.session.scalar(sa.select(Campaign).where(Campaign.year == 2022))
    assert third.name == "2022年巩固提升方案"
    made = _tasks(campaign_id=third.id)
    assert made and all(t.due_on.year == 2022 and t.step_id and t.status == TaskStatus.todo
                        for t in made)

    # a township clerk may not copy
    assert login("town_a").get(f"/campaignview/copy/{source.id}").status_code == 403


def test_shift_years_keeps_the_last_day_of_february():
    assert service.shift_years(D(2020, 2, 29), 1) == D(2021, 2, 28)
    assert service.shift_years(D(2020, 7, 31), 2) == D(2022, 7, 31)


# ------------------------------------------------------------------ 我的任务


def _groups(body: str) -> dict[str, set[int]]:
    groups = {}
    for key in ("overdue", "due_soon", "open", "done"):
        match = re.search(rf'<div class="tk-group" id="group-{key}".*?(?=<div class="tk-group"|\Z)',
                          body, re.S)
        assert match, key
        groups[key] = {int(i) for i in re.findall(r'data-task-id="(\d+)"', match.group(0))}
    return groups


def test_my_tasks_shows_only_own_tasks_in_groups(county, login):
    a, b = county.a.township, county.b.township
    # county.a.task: due 7-31, not done -> due within 7 days of 7-28
    overdue = _task(county, "整改台账", D(2020, 7, 20), township=a)
    later = _task(county, "市检查准备", D(2020, 10, 15), township=a)
    done = _task(county, "摸底排查", D(2020, 7, 10), township=a, status=TaskStatus.done,
                 done_on=D(2020, 7, 12))
    done_late = _task(county, "补报材料", D(2020, 7, 1), township=a, status=TaskStatus.done,
                      done_on=D(2020, 7, 5))
    other = _task(county, "整改台账", D(2020, 7, 20), township=b)

    body = _body(login("town_a").get("/mytasks/"))
    groups = _groups(body)
    assert groups == {"overdue": {overdue.id}, "due_soon": {county.a.task.id},
                      "open": {later.id}, "done": {done.id, done_late.id}}
    assert other.id not in set().union(*groups.values())
    assert county.a.dept_task.id not in set().union(*groups.values())
    assert "逾期8天" in body and "剩3天" in body and "城关街道" in body

    liaison = _groups(_body(login("liaison_a").get("/mytasks/")))
    assert set().union(*liaison.values()) == {county.a.dept_task.id}
    assert liaison["open"] == {county.a.dept_task.id}  # due 8-31: later than 7 days

    # county-wide users own no tasks; the menu entry is the townships' and departments'
    assert "本账号覆盖全县" in _body(login("admin").get("/mytasks/"))
    assert login("bureau").get("/mytasks/").status_code == 403


def test_deadline_rules():
    task = Task(due_on=D(2020, 7, 31), status=TaskStatus.doing)
    assert deadlines.deadline_of(task, D(2020, 8, 1)).state == "overdue"
    assert deadlines.deadline_of(task, D(2020, 7, 31)).label == "今天到期"
    assert deadlines.deadline_of(task, D(2020, 7, 24)).state == "due_soon"
    assert deadlines.deadline_of(task, D(2020, 7, 23)).state == "open"
    task.status, task.done_on = TaskStatus.done, D(2020, 8, 3)
    done = deadlines.deadline_of(task, D(2020, 9, 1))
    assert done.state == "done" and done.colour == "green" and "逾期完成" in done.label


# ------------------------------------------------------------------ the county board


def test_county_board_colours_overdue_red_and_counts_overdue_per_unit(county, login):
    a, b = county.a.township, county.b.township
    late = _task(county, "整改台账", D(2020, 7, 20), township=a)
    _task(county, "整改台账", D(2020, 7, 20), township=b, status=TaskStatus.done,
          done_on=D(2020, 7, 18))
    older = _task(county, "摸底排查", D(2020, 7, 1), township=a, status=TaskStatus.doing)
    body = _body(login("bureau").get(f"/taskboard/?campaign={county.campaign.id}"))
    cell = re.search(rf'<td class="tk-cell tk-(\w+)" data-task-id="{late.id}" data-state="(\w+)"',
                     body)
    assert cell and cell.groups() == ("red", "overdue")
    assert re.search(rf'data-task-id="{county.a.task.id}" data-state="due_soon"', body)
    assert re.search(r'<td class="tk-cell tk-green"[^>]*data-state="done"', body)
    rows = dict(re.findall(r'<tr data-unit="([^"]+)" data-overdue="(\d+)"', body))
    assert rows == {"城关街道": "2", "东山镇": "0", "县公安局": "0", "县民政局": "0"}
    assert "逾期 2 项" in body and older.id
    assert login("supervisor").get("/taskboard/").status_code == 200
    assert login("town_a").get("/taskboard/").status_code == 403
    assert login("bureau").get("/taskboard/?campaign=987654").status_code == 404


def test_calendar_month_grid_is_scoped(county, login):
    _task(county, "整改台账", D(2020, 7, 20), township=county.b.township)
    body = _body(login("town_a").get("/deadlines/?month=2020-07"))
    assert "2020年7月" in body
    day = re.search(r'<td class="[^"]*" data-date="2020-07-31">(.*?)</td>', body, re.S).group(1)
    assert "自查自检和整改" in day and "城关街道" in day
    assert 'data-date="2020-07-20"' in body
    day20 = re.search(r'data-date="2020-07-20">(.*?)</td>', body, re.S).group(1)
    assert "整改台账" not in day20  # township B's task
    bureau = _body(login("bureau").get("/deadlines/?month=2020-07"))
    day31 = re.search(r'data-date="2020-07-31">(.*?)</td>', bureau, re.S).group(1)
    assert "2个单位" in day31
    assert login("bureau").get("/deadlines/?month=nonsense").status_code == 200


# ------------------------------------------------------------------ progress and evidence

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _image(kind: str) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buf, kind)
    return buf.getvalue()


PNG = _image("PNG")


def _bomb_docx() -> bytes:
    """A docx whose one member unpacks to 400 MB of zeros (streamed: the test never holds it)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<document/>")
        with z.open("word/media/padding.bin", "w", force_zip64=True) as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(400):
                member.write(block)
    return buf.getvalue()


def _xxe_xlsx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM '
                                      '"file:///etc/passwd">]><workbook>&e;</workbook>')
    return buf.getvalue()


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<document/>")
    return buf.getvalue()


def _post(client, task, note="已完成自查", progress="60", files=(), done=False):
    data = {"note": note, "progress": progress,
            "files": [(io.BytesIO(content), name) for name, content in files]}
    if done:
        data["done"] = "1"
    return client.post(f"/taskprogress/{task.id}", data=data,
                       content_type="multipart/form-data")


def test_progress_update_with_evidence_and_scoped_download(app, county, login, uploads):
    task = county.a.task
    town = login("town_a")
    resp = _post(town, task, files=[("自查报告.pdf", PDF), ("现场照片.png", PNG),
                                    ("整改台账.docx", _docx())])
    assert resp.status_code == 302, resp.get_data(as_text=True)[-800:]
    db.session.expire_all()
    assert task.progress == 60 and task.status == TaskStatus.doing
    files = db.session.scalars(sa.select(TaskEvidence).order_by(TaskEvidence.id)).all()
    assert [f.filename for f in files] == ["自查报告.pdf", "现场照片.png", "整改台账.docx"]
    assert files[0].content_type == "application/pdf" and files[0].size == len(PDF)
    stored = sorted(p.name for p in (uploads / "task-evidence").iterdir())
    assert sorted(f.stored_name for f in files) == stored
    assert all(re.fullmatch(r"[0-9a-f]{32}\.(pdf|png|docx)", name) for name in stored)
    static = Path(app.static_folder).resolve()
    assert static not in (uploads / "task-evidence").resolve().parents

    page = _body(town.get(f"/taskprogress/{task.id}"))
    assert "已完成自查" in page and "自查报告.pdf" in page
    url = f"/taskprogress/evidence/{files[0].id}"
    resp = town.get(url)
    assert resp.status_code == 200 and resp.data == PDF
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert login("bureau").get(url).status_code == 200
    # another township's clerk, a department's liaison: 404, as for a file that does not exist
    town_b = _user(app, "town_b", "TownshipClerk", township="东山镇")
    assert town_b.get(url).status_code == 404
    assert town_b.get(f"/taskprogress/{task.id}").status_code == 404
    assert _post(town_b, task).status_code == 404
    assert login("liaison_a").get(url).status_code == 404
    assert town.get("/taskprogress/evidence/987654").status_code == 404
    # the files are not reachable as static files
    assert town.get(f"/static/{files[0].stored_name}").status_code == 404

    # marking done: status, date and 100%
    assert _post(town, task, note="已全部完成", progress="", done=True).status_code == 302
    db.session.expire_all()
    assert (task.status, task.done_on, task.progress) == (TaskStatus.done, TODAY, 100)


@pytest.mark.parametrize("name, content, message", [
    ("病毒.exe", b"MZ\x90\x00", "类型不允许上传"),
    ("页面.html", b"<html></html>", "类型不允许上传"),
    ("伪装.pdf", b"MZ\x90\x00 not a pdf", "内容与扩展名 .pdf 不符"),
    ("伪装.docx", PDF, "内容与扩展名 .docx 不符"),
    ("空.png", b"", "空文件"),
    # a JPEG header in front of an HTML page, a truncated PNG: images are decoded
    ("照片.jpg", b"\xff\xd8\xff\xe0" + b"<html><script>alert(1)</script></html>", "不是完整的"),
    ("照片.png", PNG[:40], "不是完整的"),
    # a zip bomb dressed as a Word file: 400 MB of zeros
    ("台账.docx", _bomb_docx(), "解压后有 400 MB"),
    ("台账.xlsx", _xxe_xlsx(), "XML 实体声明"),
], ids=["exe", "html", "fake-pdf", "fake-docx", "empty", "jpeg-html", "png-cut", "zip-bomb",
        "xxe"])
def test_evidence_type_is_checked_by_extension_and_content(county, login, uploads, name,
                                                            content, message):
    task = county.a.task
    before = (count(TaskUpdate), count(TaskEvidence))
    resp = _post(login("town_a"), task, files=[("好的.pdf", PDF), (name, content)])
    assert resp.status_code == 400
    assert message in _body_any(resp)
    assert (count(TaskUpdate), count(TaskEvidence)) == before  # nothing half-saved
    assert not (uploads / "task-evidence").exists() or not any(
        (uploads / "task-evidence").iterdir())


def _body_any(resp) -> str:
    return unescape(resp.get_data(as_text=True))


def test_evidence_size_and_count_limits(app, county, login, uploads, monkeypatch):
    monkeypatch.setitem(app.config, "TASK_EVIDENCE_MAX_MB", 0.001)  # about 1 KB
    town = login("town_a")
    big = PDF + b"0" * 2000
    resp = _post(town, county.a.task, files=[("大文件.pdf", big)])
    assert resp.status_code == 400 and "超过" in _body_any(resp)
    monkeypatch.setitem(app.config, "TASK_EVIDENCE_MAX_MB", 10)
    monkeypatch.setitem(app.config, "TASK_EVIDENCE_MAX_FILES", 2)
    resp = _post(town, county.a.task, files=[(f"{i}.pdf", PDF) for i in range(3)])
    assert resp.status_code == 400 and "最多上传 2 个" in _body_any(resp)
    assert count(TaskEvidence) == 0
    assert _post(town, county.a.task, note="  ").status_code == 400
    assert _post(town, county.a.task, progress="120").status_code == 400


def test_upload_dir_inside_static_is_refused(app, county, login, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", Path(app.static_folder) / "uploads")
    with app.test_request_context():
        with pytest.raises(RuntimeError, match="静态文件目录"):
            evidence.folder()


# ------------------------------------------------------------------ indicator-mapped progress


def test_indicator_task_shows_the_live_figure_and_takes_no_typed_number(county, login,
                                                                        uploads):
    task = _task(county, "组织符合条件的小区成立业委会", D(2020, 9, 30),
                 township=county.a.township, indicator=Indicator.committee_coverage)
    expected = township_rates(TODAY, county.campaign, ["committee_coverage"])[
        "committee_coverage"][county.a.township.id]
    assert (expected.numerator, expected.denominator) == (1, 1)
    town = login("town_a")
    page = _body(town.get(f"/taskprogress/{task.id}"))
    assert "业委会组建率：100.0%（1/1）" in page
    assert 'id="progress-percent"' not in page and "不能手工填写" in page
    assert "业委会组建率 100.0%（1/1）" in _body(town.get("/mytasks/"))

    resp = _post(town, task, progress="50")
    assert resp.status_code == 400 and "不能手工填写" in _body_any(resp)
    assert count(TaskUpdate) == 2  # the factory's two

    assert _post(town, task, note="新成立业委会1个", progress="").status_code == 302
    update = db.session.scalars(sa.select(TaskUpdate).where(TaskUpdate.task_id == task.id)).one()
    assert update.progress == 100  # the figure of the day, kept with the note
    db.session.refresh(task)
    assert task.progress == 0  # nothing typed into the task

    # the figure follows the records: a second compound without a committee halves it
    from office.models import Compound, CompoundKind, ManagementMode
    db.session.add(Compound(township=county.a.township, name="新建小区", households=50,
                            kind=CompoundKind.commercial, management_mode=ManagementMode.none))
    db.session.commit()
    assert "业委会组建率：50.0%（1/2）" in _body(town.get(f"/taskprogress/{task.id}"))

    # a department's indicator task reads its own part (tests/test_progress.py)
    dept_task = _task(county, "报送投诉电话", D(2020, 8, 31), department=county.a.department,
                      indicator=Indicator.contact_reported, step_no=3)
    figure = progress.live_figures([dept_task], TODAY)[dept_task.id]
    assert figure.where == "县公安局" and figure.key == "contact_reported"


# ------------------------------------------------------------------ the owner's edits of a task
# A township or department updates the progress of its own task (status, progress, completion
# date); its title, deadline, step and addressee are the bureau's - on the form, the grid, the
# REST API and undoing a logged change alike (TaskView.owner_edit_columns, one declaration).

BUREAU_ONLY = "由县住建局物业办调整"


def _stored(task) -> tuple:
    """The task's row as the database has it."""
    db.session.rollback()
    return tuple(db.session.execute(
        sa.select(Task.title, Task.due_on, Task.step_no, Task.township_id, Task.department_id,
                  Task.campaign_id, Task.step_id, Task.indicator, Task.status, Task.progress,
                  Task.done_on, Task.version).where(Task.id == task.id)).one())


def _edit_form(client, task) -> dict:
    from tests.test_scope import parse_form

    resp = client.get(f"/taskview/edit/{task.id}")
    assert resp.status_code == 200
    return parse_form(resp.get_data(as_text=True)).values


def test_owner_edits_only_status_and_progress_in_the_task_form(county, login):
    task = county.a.task
    town = login("town_a")
    form = _edit_form(town, task)
    before = _stored(task)
    for change in ({"due_on": "2020-12-31"}, {"title": "改个名字"}, {"step_no": "3"},
                   {"due_on": "2020-12-31", "status": "doing", "progress": "40"}):
        resp = town.post(f"/taskview/edit/{task.id}", data={**form, **change})
        assert resp.status_code == 302, change
        assert _stored(task) == before, change  # nothing saved, not even the progress
    page = _body(town.get(f"/taskview/show/{task.id}"))
    assert "只能修改状态、进度(%)、完成日期" in page and BUREAU_ONLY in page
    resp = town.post(f"/taskview/edit/{task.id}",
                     data={**form, "status": "done", "progress": "100"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert (task.status, task.done_on, task.progress) == (TaskStatus.done, TODAY, 100)
    # the bureau may move the deadline
    bureau = login("bureau")
    form = _edit_form(bureau, task)
    assert bureau.post(f"/taskview/edit/{task.id}",
                       data={**form, "due_on": "2020-08-15"}).status_code == 302
    db.session.expire_all()
    assert task.due_on == D(2020, 8, 15)


@pytest.mark.parametrize("user, which", [("town_a", "task"), ("liaison_a", "dept_task")])
def test_owner_cannot_change_the_bureaus_columns_through_the_api(county, login, user, which):
    task = getattr(county.a, which)
    client = login(user)
    before = _stored(task)
    for payload in ({"due_on": "2020-12-31"}, {"title": "改个名字"}, {"step_no": 9},
                    {"indicator": "committee_coverage"},
                    {"campaign": county.campaign.id, "due_on": "2021-01-31"},
                    {"status": "doing", "progress": 40, "due_on": "2020-12-31"}):
        resp = put_versioned(client, f"/api/v1/task/{task.id}", json=payload)
        assert resp.status_code == 403, (payload, resp.get_data(as_text=True))
        message = resp.get_json()["message"]
        assert set(message) == set(payload) - {"status", "progress", "campaign"}, message
        assert all(BUREAU_ONLY in text for text in message.values())
        assert _stored(task) == before, payload
    # another township's / department's task: 404, as for a task that does not exist
    twin = getattr(county.b, which)
    theirs = _stored(twin)
    for payload in ({"due_on": "2020-12-31"}, {"status": "done"}):
        assert put_versioned(client, f"/api/v1/task/{twin.id}", json=payload).status_code == 404
    assert _stored(twin) == theirs
    # what is theirs goes through; the same values sent back are no change
    resp = put_versioned(client, f"/api/v1/task/{task.id}",
                         json={"status": "doing", "progress": 40, "title": task.title,
                            "due_on": task.due_on.isoformat()})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    after = _stored(task)
    assert (after[8], after[9]) == (TaskStatus.doing, 40) and after[:8] == before[:8]
    resp = put_versioned(client, f"/api/v1/task/{task.id}",
                         json={"status": "done", "progress": 100})
    assert resp.status_code == 200
    assert _stored(task)[10] == TODAY  # done: dated today


def test_bureau_changes_a_task_through_the_api(county, login):
    task = county.a.task
    resp = put_versioned(login("bureau"), f"/api/v1/task/{task.id}",
                         json={"due_on": "2020-08-15", "title": "自查自检和整改（延期）"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert _stored(task)[:2] == ("自查自检和整改（延期）", D(2020, 8, 15))


def test_owner_cannot_type_progress_of_an_indicator_task_through_the_api(county, login):
    task = _task(county, "组织符合条件的小区成立业委会", D(2020, 9, 30),
                 township=county.a.township, indicator=Indicator.committee_coverage)
    before = _stored(task)
    resp = put_versioned(login("town_a"), f"/api/v1/task/{task.id}", json={"progress": 50})
    assert resp.status_code == 422 and "不能手工填写" in str(resp.get_json()["message"])
    assert _stored(task) == before


def _grid_save(client, *rows):
    return client.post("/taskview/grid/save", json={"rows": [
        {"key": str(task.id), "id": task.id, "version": task.version, "values": values}
        for task, values in rows]})


def _grid_config(client) -> dict:
    import json

    body = client.get("/taskview/grid/").get_data(as_text=True)
    raw = re.search(r'<script type="application/json" id="grid-config">(.*?)</script>', body,
                    re.S).group(1)
    return {c["field"]: c["canUpdate"] for c in json.loads(unescape(raw))["columns"]}


@pytest.mark.parametrize("user, which", [("town_a", "task"), ("liaison_a", "dept_task")])
def test_owner_edits_only_status_and_progress_in_the_grid(county, login, user, which):
    task = getattr(county.a, which)
    owner = ({"township": county.a.township} if which == "task"
             else {"department": county.a.department})
    second = _task(county, "整改台账", D(2020, 8, 20), **owner)
    town = login(user)
    editable = _grid_config(town)
    assert editable["status"] and editable["progress"] and editable["done_on"]
    assert not any(editable[c] for c in ("title", "due_on", "township", "department",
                                         "step_no", "campaign"))
    assert _grid_config(login("bureau"))["due_on"]

    before, second_before = _stored(task), _stored(second)
    resp = _grid_save(town, (task, {"due_on": "2020-12-31"}))
    assert resp.status_code == 422
    assert BUREAU_ONLY in resp.get_json()["errors"][str(task.id)]["_row"]
    assert _stored(task) == before
    # in a batch with an allowed change of another row: nothing is saved
    resp = _grid_save(town, (second, {"status": "doing", "progress": 30}),
                      (task, {"title": "改个名字"}))
    assert resp.status_code == 422
    assert (_stored(task), _stored(second)) == (before, second_before)
    # another township's / department's task: 404
    twin = getattr(county.b, which)
    theirs = _stored(twin)
    assert _grid_save(town, (twin, {"status": "doing"})).status_code == 404
    assert _stored(twin) == theirs
    # progress alone is saved
    resp = _grid_save(town, (second, {"status": "doing", "progress": 30}))
    assert resp.status_code == 200, resp.get_json()
    assert _stored(second)[8:10] == (TaskStatus.doing, 30)


def test_owner_cannot_undo_the_bureaus_change_of_a_deadline(county, login):
    from office.models import ChangeLog

    task = county.a.task
    bureau = login("bureau")
    assert put_versioned(bureau, f"/api/v1/task/{task.id}",
                         json={"due_on": "2020-08-15"}).status_code == 200
    log = db.session.scalars(sa.select(ChangeLog).where(
        ChangeLog.entity == "Task", ChangeLog.row_id == task.id,
        ChangeLog.field == "due_on")).one()
    town = login("town_a")
    page = _body(town.get(f"/taskview/history/{task.id}"))
    assert f"/revert/{log.id}" not in page  # no undo button on the bureau's column
    before = _stored(task)
    town.post(f"/taskview/history/{task.id}/revert/{log.id}")
    assert _stored(task) == before and before[1] == D(2020, 8, 15)
    assert f"/revert/{log.id}" in _body(bureau.get(f"/taskview/history/{task.id}"))


def test_township_in_another_county_gets_no_task(county):
    other = Township(county=county.county, name="西湖乡", kind=TownshipKind.township)
    db.session.add(other)
    db.session.commit()
    from office.models import County
    far = County(name="邻县", code="341199")
    far_town = Township(county=far, name="远方镇", kind=TownshipKind.township)
    db.session.add_all([far, far_town])
    db.session.commit()
    step = Step(campaign=county.campaign, step_no=1, title="新步骤", due_on=D(2020, 9, 1),
                to_townships=True)
    db.session.add(step)
    db.session.commit()
    result = service.generate_step(step)
    assert {t.township_id for t in result.created} == {
        county.a.township.id, county.b.township.id, other.id}
