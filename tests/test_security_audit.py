"""Security changes are audited (kit/audit/log.py): an administrator's changes to users (active,
roles, scope, password reset) and roles (permissions), and `office create-user`, each leave a
ChangeLog row - who, when, old → new - and no password hash ever reaches the log."""
from __future__ import annotations

import sqlalchemy as sa

from office.models import ChangeAction, ChangeLog, ChangeSource, OfficeUser, db
from tests.conftest import PASSWORD
from tests.test_cli import cli  # noqa: F401  (fixture)


def _user(username) -> OfficeUser:
    db.session.expire_all()
    return db.session.scalar(sa.select(OfficeUser).where(OfficeUser.username == username))


def _log(entity, row_id):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(ChangeLog).where(
        ChangeLog.entity == entity, ChangeLog.row_id == row_id).order_by(ChangeLog.id)))


def _no_hash_anywhere():
    hashes = set(db.session.scalars(sa.select(OfficeUser.password)))
    for entry in db.session.scalars(sa.select(ChangeLog)):
        for text in (entry.old or "", entry.new or ""):
            assert not any(h and h in text for h in hashes), entry.field
            assert "scrypt:" not in text and "pbkdf2:" not in text


def test_admin_changes_to_a_user_are_logged(app, login):
    admin = login("admin")
    clerk = _user("town_a")
    page = admin.get(f"/users/edit/{clerk.id}")
    assert page.status_code == 200
    supervisor = app.appbuilder.sm.find_role("Supervisor")
    resp = admin.post(f"/users/edit/{clerk.id}", data={
        "first_name": clerk.first_name, "last_name": "乙",
        "username": clerk.username, "email": clerk.email, "roles": [str(supervisor.id)],
        "township": "__None", "department": "__None"})  # active unticked: deactivated
    assert resp.status_code == 302, resp.get_data(as_text=True)[-2000:]
    changes = {e.field: (e.old, e.new, e.username, e.source)
               for e in _log("OfficeUser", clerk.id) if e.action == ChangeAction.update}
    assert changes["active"][:3] == ("True", "False", "admin")
    assert changes["roles"][:2] == ("TownshipClerk", "Supervisor")
    assert changes["township_id"][1] is None
    assert changes["active"][3] == ChangeSource.form


def test_a_password_reset_is_logged_without_the_hash(app, login):
    admin = login("admin")
    clerk = _user("town_a")
    resp = admin.post(f"/resetpassword/form?pk={clerk.id}", data={
        "password": "Another-Passw0rd!", "conf_password": "Another-Passw0rd!"})
    assert resp.status_code == 302
    (entry,) = [e for e in _log("OfficeUser", clerk.id) if e.field == "password"]
    assert (entry.old, entry.new, entry.username) == (None, "（已修改）", "admin")
    _no_hash_anywhere()


def test_role_permission_changes_are_logged(app, login):
    from flask_appbuilder.security.sqla.models import Role

    sm = app.appbuilder.sm
    read, edit = (sm.add_permission_view_menu(p, "Compound") for p in ("can_read", "can_edit"))
    role = Role(name="检查员", permissions=[read])
    db.session.add(role)
    db.session.commit()
    try:
        role.permissions = [read, edit]
        db.session.commit()
        (insert,) = [e for e in _log("Role", role.id) if e.action == ChangeAction.insert]
        assert str(read) in insert.new
        (entry,) = [e for e in _log("Role", role.id) if e.field == "permissions"]
        assert (entry.old, entry.new) == (str(read), "、".join(sorted([str(read), str(edit)])))
        assert entry.source == ChangeSource.cli  # no request: a script or the shell
    finally:  # roles outlive a test's reset (conftest keeps them)
        db.session.delete(db.session.get(Role, role.id))
        db.session.commit()


def test_create_user_on_the_command_line_is_logged(cli):  # noqa: F811
    result = cli("create-user", "clerk", "--role", "BureauClerk", "--password-stdin",
                 password=PASSWORD)
    assert result.exit_code == 0, result.output
    user = _user("clerk")
    (entry,) = _log("OfficeUser", user.id)
    assert entry.action == ChangeAction.insert and entry.source == ChangeSource.cli
    assert '"username": "clerk"' in entry.new and '"roles": "BureauClerk"' in entry.new
    assert '"password": "（已设置）"' in entry.new
    _no_hash_anywhere()
