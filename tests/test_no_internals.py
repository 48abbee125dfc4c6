"""No internals on screen (issue 11, point 4).

Every registered ModelView (the entities', the change log's, FAB's user and role screens) shows
one of its rows to the admin; the page may hold no Python repr (``<office.models… object at
0x…>``), no role list as FAB prints it (``[BureauClerk]``) and no English attribute name where a
label belongs. The REST API's ``_info`` describes its columns with the screen's labels, never
the translation catalogue's header (FAB asks gettext("") for a column without a description).
"""
from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa
from flask_appbuilder import ModelView

from office.models import OfficeUser, TaskEvidence, db
from office.roles import ROLE_GRANTS
from office.services import evidence
from tests.test_tasks import PDF, _post

REPR = re.compile(r"<office\.| object at 0x")
ROLE_LIST = re.compile(r"\[(?:" + "|".join(["Admin", *ROLE_GRANTS]) + r")(?:, [A-Za-z]+)*\]")
# A label cell of FAB's show table: <th …>label</th>; an English identifier there is a column
# name nobody labelled (step, evidence, reminders, user_id …).
LABEL_CELL = re.compile(r"<th[^>]*>\s*([^<]*?)\s*</th>", re.S)
ENGLISH_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_ ]*$")
ALLOWED_ASCII = {"SHA-256", "Email", "E-mail"}


@pytest.fixture()
def evidence_row(app, county, login, tmp_path, monkeypatch):
    """A task with a progress update carrying an evidence file (so TaskView shows evidence)."""
    monkeypatch.setitem(app.config, "UPLOAD_DIR", tmp_path / "uploads")
    resp = _post(login("town_a"), county.a.task, files=[("自查报告.pdf", PDF)])
    assert resp.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TaskEvidence)) == 1
    assert evidence  # the module the upload went through
    return county


def _model_views(app):
    return [v for v in app.appbuilder.baseviews if isinstance(v, ModelView)]


def _first_pk(view):
    model = view.datamodel.obj
    pk = sa.inspect(model).primary_key[0]
    return db.session.scalar(sa.select(pk).order_by(pk).limit(1))


def _problems(page: str) -> list[str]:
    found = [m.group(0) for m in REPR.finditer(page)]
    found += [m.group(0) for m in ROLE_LIST.finditer(page)]
    for label in LABEL_CELL.findall(page):
        label = unescape(label).strip()
        if label and ENGLISH_NAME.match(label) and label not in ALLOWED_ASCII:
            found.append(f"label {label!r}")
    return found


def test_every_show_page_is_free_of_internals(app, evidence_row, login):
    admin = login("admin")
    shown, problems = [], {}
    for view in _model_views(app):
        pk = _first_pk(view)
        if pk is None:
            continue
        with app.test_request_context():
            url = app.url_for(f"{view.endpoint}.show", pk=pk)
        resp = admin.get(url)
        if resp.status_code == 404 and view.base_filters:
            continue  # the screen shows some rows only (stale signboards): not this one
        assert resp.status_code == 200, (url, resp.status_code)
        shown.append(type(view).__name__)
        found = _problems(resp.get_data(as_text=True))
        if found:
            problems[url] = sorted(set(found))
    assert {"TaskView", "OfficeUserDBModelView", "ChangeLogView", "TaskUpdateView"} <= set(shown)
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_the_checks_catch_what_they_are_for():
    assert _problems("<td>[<office.models.campaign.TaskEvidence object at 0x7f00>]</td>")
    assert _problems("<td>[BureauClerk]</td>") and _problems("<td>[Admin, Supervisor]</td>")
    assert _problems("<th class='col-lg-2'>evidence</th>")
    assert not _problems("<th>佐证材料</th><td>乡镇（街道、场）工作人员（TownshipClerk）</td>")


def test_task_show_lists_its_evidence_by_file_name(evidence_row, login):
    page = unescape(login("bureau").get(f"/taskview/show/{evidence_row.a.task.id}")
                    .get_data(as_text=True))
    assert "自查报告.pdf" in page and "佐证材料" in page
    assert not _problems(page)


def test_user_pages_name_roles_in_chinese_with_the_users_unit(app, county, login):
    admin = login("admin")
    town = db.session.scalar(sa.select(OfficeUser).where(OfficeUser.username == "town_a"))
    page = unescape(admin.get(f"/users/show/{town.id}").get_data(as_text=True))
    assert "乡镇（街道、场）工作人员（TownshipClerk）" in page
    assert "城关街道" in page
    listing = unescape(admin.get("/users/list/").get_data(as_text=True))
    assert "县住建局物业办工作人员（BureauClerk）" in listing
    assert "县公安局" in listing
    assert not ROLE_LIST.search(listing)


def test_change_log_labels_its_user_column(app, county, login):
    admin = login("admin")
    from office.models import ChangeLog

    row = db.session.scalar(sa.select(ChangeLog.id).order_by(ChangeLog.id).limit(1))
    page = unescape(admin.get(f"/changelogview/show/{row}").get_data(as_text=True))
    assert "user_id" not in page


def test_api_info_describes_columns_by_their_labels_not_the_catalogue_header(county, login):
    admin = login("admin")
    for resource in ("task", "compound", "task_update"):
        info = admin.get(f"/api/v1/{resource}/_info").get_json()
        text = repr(info)
        assert "Project-Id-Version" not in text and "Content-Type: text" not in text, resource
        fields = {f["name"]: f for f in info["add_columns"]}
        assert all(f["description"] for f in fields.values()), resource
    info = admin.get("/api/v1/task/_info").get_json()
    fields = {f["name"]: f for f in info["add_columns"]}
    assert fields["title"]["label"] == "任务"
    assert fields["due_on"]["description"].startswith("由县住建局物业办确定")
    assert fields["step_no"]["description"] == "步骤"
