"""The directory of complaint channels (二.3, 三.4): liaisons keep their own rows, phones are
checked on every path, and every change of what a board prints raises the directory version.

liaison_a is the DepartmentLiaison of 县公安局 (department A); its contact is county.a.dept_contact
and the 县民政局's (department B) is county.b.dept_contact. The county starts at version 1.
"""
from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
import sqlalchemy as sa

from office.models import ChangeLog, ContactPoint, DirectoryRevision, db
from office.models.org import PhoneNumberError, normalize_phone
from tests.conftest import count
from tests.factories import put_versioned
from tests.test_scope import parse_form, snapshot

BAD_PHONE = "不是有效的电话号码"


def today() -> dt.date:
    return dt.date.today()


def revisions() -> list[tuple[int, dt.date]]:
    db.session.rollback()
    return [(r.number, r.effective_on) for r in db.session.scalars(
        sa.select(DirectoryRevision).order_by(DirectoryRevision.number))]


def fresh(row):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(type(row), row.id)


def edit_form(client, contact, **changes) -> dict:
    """The edit form of `contact` as the browser shows it, with `changes` typed in."""
    resp = client.get(f"/contactpointview/edit/{contact.id}")
    assert resp.status_code == 200
    form = parse_form(resp.get_data(as_text=True))
    data = dict(form.values)
    data.update({k: str(v) for k, v in changes.items()})
    return data


def grid_row(contact, **values) -> dict:
    return {"key": str(contact.id), "id": contact.id, "version": contact.version,
            "values": values}


def messages(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


# ---------------------------------------------------------------- the phone rule


@pytest.mark.parametrize("typed, stored", [
    ("13912345678", "13912345678"),
    ("139 1234 5678", "13912345678"),
    ("+86 139-1234-5678", "13912345678"),
    ("0551-1234567", "0551-1234567"),
    ("0551 1234567", "0551-1234567"),
    ("(0551)12345678", "0551-12345678"),
    ("05511234567", "0551-1234567"),
    ("010-12345678", "010-12345678"),
    ("0551-1234567-801", "0551-1234567-801"),
    ("0551-1234567转801", "0551-1234567-801"),
    ("０５５１－１２３４５６７", "0551-1234567"),  # typed on a Chinese keyboard
    ("12345", "12345"),
    ("12315", "12315"),
    ("96180", "96180"),
    ("400-123-4567", "400-123-4567"),
    ("8001234567", "800-123-4567"),
    ("110", "110"),
    ("", None),
    ("   ", None),
])
def test_phone_rule_accepts_and_normalizes(typed, stored):
    assert normalize_phone(typed) == stored


@pytest.mark.parametrize("typed", [
    "123", "1234567", "12912345678", "1391234567", "139123456789", "0551-123456",
    "055-11234567", "4001234", "12345678", "电话", "0551-1234567-", "22345",
])
def test_phone_rule_refuses_with_the_field_named(typed):
    with pytest.raises(PhoneNumberError) as exc:
        normalize_phone(typed, "service_phone")
    assert str(exc.value).startswith(f"服务电话「{typed}」{BAD_PHONE}")
    assert isinstance(exc.value, ValueError)
    with pytest.raises(ValueError, match="投诉电话"):
        ContactPoint(person="某", complaint_phone=typed)  # the model refuses it on any path


# ---------------------------------------------------------------- liaisons keep their own rows


def test_liaison_edits_own_row_on_the_form(login, county):
    client = login("liaison_a")
    mine = county.a.dept_contact
    assert revisions() == [(1, dt.date(2020, 7, 1))]
    data = edit_form(client, mine, person="钱新", complaint_phone="0551 6661100",
                     service_phone="13955556666", hours="工作日 9:00-17:00")
    assert "reported_on" not in data  # the bureau's record: not on a liaison's form
    resp = client.post(f"/contactpointview/edit/{mine.id}", data=data)
    assert resp.status_code == 302, messages(resp.get_data(as_text=True))[-800:]
    row = fresh(mine)
    assert (row.person, row.complaint_phone, row.service_phone, row.hours) == (
        "钱新", "0551-6661100", "13955556666", "工作日 9:00-17:00")
    assert row.reported_on == today()  # a complaint phone was given: reported today
    assert revisions() == [(1, dt.date(2020, 7, 1)), (2, today())]
    note = db.session.scalar(sa.select(DirectoryRevision.note).where(
        DirectoryRevision.number == 2))
    assert "县公安局" in note and "投诉电话" in note
    logs = {(log.entity, log.action.name) for log in db.session.scalars(
        sa.select(ChangeLog).where(ChangeLog.username == "liaison_a"))}
    assert ("DirectoryRevision", "insert") in logs and ("ContactPoint", "update") in logs


def test_liaison_edits_own_row_through_the_api(login, county):
    client = login("liaison_a")
    mine = county.a.dept_contact
    resp = put_versioned(client, f"/api/v1/contact_point/{mine.id}",
                         json={"complaint_phone": "0551-6662200", "hours": "24小时"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    row = fresh(mine)
    assert (row.complaint_phone, row.hours) == ("0551-6662200", "24小时")
    assert revisions()[-1] == (2, today())


def test_liaison_cannot_touch_another_departments_row(login, county):
    client = login("liaison_a")
    theirs = county.b.dept_contact
    before = snapshot(theirs)
    data = edit_form(client, county.a.dept_contact, person="冒名")
    assert client.get(f"/contactpointview/edit/{theirs.id}").status_code == 404
    assert client.post(f"/contactpointview/edit/{theirs.id}", data=data).status_code == 404
    assert put_versioned(client, f"/api/v1/contact_point/{theirs.id}",
                         json={"complaint_phone": "0551-6660000"}).status_code == 404
    assert client.delete(f"/api/v1/contact_point/{theirs.id}").status_code == 403  # never
    resp = client.post("/contactpointview/grid/save",
                       json={"rows": [grid_row(theirs, complaint_phone="0551-6660000")]})
    assert resp.status_code == 404
    # nor in a batch with their own row: the whole batch is refused
    resp = client.post("/contactpointview/grid/save", json={"rows": [
        grid_row(county.a.dept_contact, person="钱新"), grid_row(theirs, person="冒名")]})
    assert resp.status_code == 404
    assert snapshot(theirs) == before
    assert fresh(county.a.dept_contact).person == "赵A"
    assert revisions() == [(1, dt.date(2020, 7, 1))]
    # reading the whole directory is fine
    assert client.get(f"/contactpointview/show/{theirs.id}").status_code == 200
    assert client.get(f"/api/v1/contact_point/{theirs.id}").status_code == 200


def test_liaison_edits_own_row_in_the_grid(login, county):
    client = login("liaison_a")
    mine = county.a.dept_contact
    resp = client.post("/contactpointview/grid/save",
                       json={"rows": [grid_row(mine, complaint_phone="0551 6663300")]})
    assert resp.status_code == 200, resp.get_json()
    assert fresh(mine).complaint_phone == "0551-6663300"
    assert revisions()[-1] == (2, today())


def test_liaison_cannot_change_the_reported_date(login, county):
    client = login("liaison_a")
    mine = county.a.dept_contact
    mine.reported_on = dt.date(2020, 8, 10)
    db.session.commit()
    resp = put_versioned(client, f"/api/v1/contact_point/{mine.id}",
                         json={"reported_on": "2020-07-01"})
    assert resp.status_code == 200
    resp = client.post("/contactpointview/grid/save",
                       json={"rows": [grid_row(fresh(mine), reported_on="2020-07-02")]})
    assert resp.status_code in (200, 422)
    assert fresh(mine).reported_on == dt.date(2020, 8, 10)
    # the bureau may correct it
    resp = put_versioned(login("bureau"), f"/api/v1/contact_point/{mine.id}",
                         json={"reported_on": "2020-08-05"})
    assert resp.status_code == 200
    assert fresh(mine).reported_on == dt.date(2020, 8, 5)


def test_liaisons_read_the_whole_directory_page(login, county):
    body = login("liaison_a").get("/directory/").get_data(as_text=True)
    for text in ("县公安局", "县民政局", "城关街道", "东山镇", "赵A", "赵B", "王A", "王B",
                 "0551-1234567", "0551-7654321", "12345", "工作日 8:30-17:30", "第1版"):
        assert text in body, text
    edit_links = set(re.findall(r"/contactpointview/edit/(\d+)", body))
    assert edit_links == {str(county.a.dept_contact.id)}  # only their own row
    bureau = login("bureau").get("/directory/").get_data(as_text=True)
    assert len(set(re.findall(r"/contactpointview/edit/(\d+)", bureau))) == 4
    assert "/contactpointview/edit/" not in login("supervisor").get(
        "/directory/").get_data(as_text=True)


# ---------------------------------------------------------------- phones on every path


def test_bad_phone_on_the_form(login, county):
    client = login("liaison_a")
    mine = county.a.dept_contact
    resp = client.post(f"/contactpointview/edit/{mine.id}",
                       data=edit_form(client, mine, complaint_phone="6661100"))
    assert resp.status_code == 200  # the form again, with the message
    text = messages(resp.get_data(as_text=True))
    assert f"投诉电话「6661100」{BAD_PHONE}" in text
    assert fresh(mine).complaint_phone == "12345"
    assert revisions() == [(1, dt.date(2020, 7, 1))]


def test_bad_phone_through_the_api(login, county):
    client = login("liaison_a")
    mine = county.a.dept_contact
    resp = put_versioned(client, f"/api/v1/contact_point/{mine.id}",
                         json={"service_phone": "0551-12", "person": "钱新"})
    assert resp.status_code == 422, resp.get_data(as_text=True)
    message = resp.get_json()["message"]
    assert list(message) == ["service_phone"]
    assert message["service_phone"][0].startswith(f"服务电话「0551-12」{BAD_PHONE}")
    row = fresh(mine)
    assert (row.person, row.service_phone) == ("赵A", "0551-7654321")
    # adding through the API is checked the same way
    resp = login("bureau").post("/api/v1/contact_point/", json={
        "department": county.a.department.id, "person": "孙", "complaint_phone": "999"})
    assert resp.status_code == 422
    assert "投诉电话「999」" in resp.get_json()["message"]["complaint_phone"][0]
    assert count(ContactPoint) == 4
    assert revisions() == [(1, dt.date(2020, 7, 1))]


def test_bad_phone_in_the_grid(login, county):
    client = login("liaison_a")
    mine = county.a.dept_contact
    resp = client.post("/contactpointview/grid/save",
                       json={"rows": [grid_row(mine, complaint_phone="1234", person="钱新")]})
    assert resp.status_code == 422
    errors = resp.get_json()["errors"][str(mine.id)]
    assert errors["complaint_phone"].startswith(f"投诉电话「1234」{BAD_PHONE}")
    assert fresh(mine).person == "赵A"
    assert revisions() == [(1, dt.date(2020, 7, 1))]


# ---------------------------------------------------------------- the version history


def test_one_revision_per_save_and_only_for_printed_changes(login, county):
    client = login("bureau")
    a, b = county.a.dept_contact, county.b.contact
    resp = client.post("/contactpointview/grid/save", json={"rows": [
        grid_row(a, person="钱新"), grid_row(b, hours="周一至周五")]})
    assert resp.status_code == 200, resp.get_json()
    assert revisions()[-1] == (2, today()) and len(revisions()) == 2  # one batch, one version
    note = db.session.scalar(sa.select(DirectoryRevision.note).where(
        DirectoryRevision.number == 2))
    assert "县公安局联系人变更" in note and "东山镇受理时间变更" in note
    # the reported date is not printed on a board: no new version
    resp = put_versioned(client, f"/api/v1/contact_point/{a.id}",
                         json={"reported_on": "2020-08-01"})
    assert resp.status_code == 200
    assert len(revisions()) == 2
    # typing the same number differently is no change either
    resp = put_versioned(client, f"/api/v1/contact_point/{b.id}",
                         json={"complaint_phone": "05511234567"})
    assert resp.status_code == 200
    assert len(revisions()) == 2
    # a new contact, a deleted one and a renamed department each make one
    resp = client.post("/api/v1/contact_point/", json={
        "department": county.a.department.id, "person": "孙", "complaint_phone": "110"})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    new_id = resp.get_json()["id"]
    assert len(revisions()) == 3
    assert fresh(db.session.get(ContactPoint, new_id)).reported_on == today()
    assert client.delete(f"/api/v1/contact_point/{new_id}").status_code == 200
    assert len(revisions()) == 4
    department = fresh(county.a.department)
    department.name = "县公安局（新）"
    db.session.commit()
    assert revisions()[-1] == (5, today())


def test_reported_on_is_set_when_a_complaint_phone_is_first_given(login, county):
    mine = county.a.dept_contact
    mine.complaint_phone = None
    db.session.commit()
    db.session.execute(sa.update(ContactPoint).where(ContactPoint.id == mine.id)
                       .values(reported_on=None))
    db.session.commit()
    assert fresh(mine).reported_on is None
    client = login("liaison_a")
    resp = put_versioned(client, f"/api/v1/contact_point/{mine.id}",
                         json={"complaint_phone": "12345"})
    assert resp.status_code == 200
    assert fresh(mine).reported_on == today()
    db.session.execute(sa.update(ContactPoint).where(ContactPoint.id == mine.id)
                       .values(reported_on=dt.date(2020, 8, 1)))
    db.session.commit()
    resp = put_versioned(client, f"/api/v1/contact_point/{mine.id}",
                         json={"complaint_phone": "12315"})
    assert resp.status_code == 200
    assert fresh(mine).reported_on == dt.date(2020, 8, 1)  # first given, not last changed


def test_a_revision_entered_by_hand_is_not_doubled(county):
    db.session.add(DirectoryRevision(county=county.county, number=2,
                                     effective_on=dt.date(2020, 9, 1), note="手工登记"))
    county.a.dept_contact.person = "钱新"
    db.session.commit()
    assert revisions() == [(1, dt.date(2020, 7, 1)), (2, dt.date(2020, 9, 1))]


# ---------------------------------------------------------------- xlsx import


def _contact_book(client, rows: list[dict]) -> bytes:
    template = client.get("/contactpointview/import/template/")
    assert template.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(template.data))
    ws = wb.worksheets[0]
    header = [str(c.value).rstrip("*") for c in ws[1]]
    for n, values in enumerate(rows, start=2):
        for label, value in values.items():
            ws.cell(row=n, column=header.index(label) + 1, value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(client, data: bytes):
    resp = client.post("/contactpointview/import/", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), "通讯录.xlsx")})
    assert resp.status_code == 303, resp.get_data(as_text=True)[-500:]
    token = re.search(r"/import/([\w-]+)/$", resp.headers["Location"]).group(1)
    return token, client.get(resp.headers["Location"]).get_data(as_text=True)


def test_phones_are_checked_on_import_and_an_import_is_one_revision(login, county):
    client = login("bureau")
    bad = _contact_book(client, [
        {"部门": "县公安局", "联系人": "孙一", "投诉电话": "0551-6661234"},
        {"部门": "县民政局", "联系人": "孙二", "投诉电话": "6661234"},
    ])
    token, page = _upload(client, bad)
    text = messages(page)
    assert "1 行有错误" in text and f"投诉电话「6661234」{BAD_PHONE}" in text
    client.post(f"/contactpointview/import/{token}/commit", data={"mode": "add"})
    assert count(ContactPoint) == 4 and len(revisions()) == 1  # all or nothing

    good = _contact_book(client, [
        {"部门": "县公安局", "联系人": "孙一", "投诉电话": "0551 6661234"},
        {"部门": "县民政局", "联系人": "孙二", "投诉电话": "13966661234"},
    ])
    token, page = _upload(client, good)
    assert "2 行可导入" in messages(page)
    resp = client.post(f"/contactpointview/import/{token}/commit", data={"mode": "add"})
    assert resp.status_code == 303
    phones = set(db.session.scalars(sa.select(ContactPoint.complaint_phone).where(
        ContactPoint.person.in_(["孙一", "孙二"]))))
    assert phones == {"0551-6661234", "13966661234"}
    assert revisions() == [(1, dt.date(2020, 7, 1)), (2, today())]  # one import, one version


# ---------------------------------------------------------------- where the hook is installed

_WIRING = r"""
import sqlalchemy as sa
from office.models import db
from office.services import directory

import office.views.menu  # noqa: F401  every screen module, office/views/org.py included
assert not sa.event.contains(db.session, "before_flush", directory._before_flush), \
    "importing a view module installed the directory hook"

from office import create_app

listened = []
real_listen = sa.event.listen


def spy(target, name, fn, *args, **kwargs):
    if fn is directory._before_flush:
        listened.append(name)
    return real_listen(target, name, fn, *args, **kwargs)


sa.event.listen = spy
config = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True}
create_app(config)
assert sa.event.contains(db.session, "before_flush", directory._before_flush)
create_app(config)  # a second app (tests, a worker process): installed once, not twice
assert listened == ["before_flush"], listened
print("ok")
"""


def test_create_app_installs_the_directory_hook_once_and_views_do_not(tmp_path):
    """The version history is wired by create_app next to audit.install (so a job or the CLI
    that never imports the screens still raises the version), idempotently; importing a view
    module installs nothing."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "OFFICE_INSTANCE_DIR": str(tmp_path)}
    env.pop("OFFICE_DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-c", _WIRING], cwd=Path(__file__).parents[1],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-2000:]
