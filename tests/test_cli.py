"""`flask --app run office create-user / ensure-admin`, through Flask's CLI runner."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from office.models import OfficeUser, db
from office.scope import scope_of
from tests.conftest import PASSWORD


@pytest.fixture()
def cli(app, county):
    runner = app.test_cli_runner()

    def invoke(*args: str, password: str | None = None):
        return runner.invoke(args=["office", *args],
                             input=None if password is None else password + "\n")

    return invoke


def _user(username: str) -> OfficeUser | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(OfficeUser).where(OfficeUser.username == username))


def _password_ok(username: str, password: str) -> bool:
    from werkzeug.security import check_password_hash

    user = _user(username)
    return user is not None and check_password_hash(user.password, password)


@pytest.mark.parametrize("weak", ["Sh0rt-pw!", "alllowercaseletters", "lowercase12345"])
def test_create_user_refuses_weak_password(cli, weak):
    result = cli("create-user", "clerk", "--role", "BureauClerk", "--password-stdin",
                 password=weak)
    assert result.exit_code != 0
    assert "密码至少10位" in result.output
    assert _user("clerk") is None


def test_create_user_with_password_stdin(cli):
    result = cli("create-user", "clerk", "--role", "BureauClerk", "--password-stdin",
                 password=PASSWORD)
    assert result.exit_code == 0, result.output
    assert "created clerk (BureauClerk)" in result.output
    user = _user("clerk")
    assert [role.name for role in user.roles] == ["BureauClerk"]
    assert user.township_id is None and user.department_id is None
    assert _password_ok("clerk", PASSWORD)


def test_create_user_refuses_duplicate(cli):
    args = ("create-user", "clerk", "--role", "BureauClerk", "--password-stdin")
    assert cli(*args, password=PASSWORD).exit_code == 0
    result = cli(*args, password=PASSWORD)
    assert result.exit_code != 0
    assert "用户名已存在：clerk" in result.output


def test_create_user_refuses_unknown_role(cli):
    result = cli("create-user", "x", "--role", "Mayor", "--password-stdin", password=PASSWORD)
    assert result.exit_code != 0
    assert "未知角色：Mayor" in result.output
    assert _user("x") is None


def test_township_clerk_needs_a_township(cli):
    result = cli("create-user", "town", "--role", "TownshipClerk", "--password-stdin",
                 password=PASSWORD)
    assert result.exit_code != 0
    assert "必须指定 --township" in result.output
    assert _user("town") is None


def test_township_clerk_needs_an_existing_township(cli):
    result = cli("create-user", "town", "--role", "TownshipClerk", "--township", "不存在镇",
                 "--password-stdin", password=PASSWORD)
    assert result.exit_code != 0
    assert "乡镇不存在：不存在镇" in result.output
    assert _user("town") is None


def test_township_clerk_bound_to_township(cli, county):
    result = cli("create-user", "town", "--role", "TownshipClerk", "--township", "城关街道",
                 "--password-stdin", password=PASSWORD)
    assert result.exit_code == 0, result.output
    user = _user("town")
    assert user.township_id == county.a.township.id
    assert scope_of(user).township_id == county.a.township.id


def test_department_liaison_bound_to_department(cli, county):
    result = cli("create-user", "liaison", "--role", "DepartmentLiaison",
                 "--department", "县公安局", "--password-stdin", password=PASSWORD)
    assert result.exit_code == 0, result.output
    user = _user("liaison")
    assert [role.name for role in user.roles] == ["DepartmentLiaison"]
    assert user.department_id == county.a.department.id
    assert user.township_id is None
    scope = scope_of(user)
    assert scope.restricted and scope.department_id == county.a.department.id


def test_department_liaison_needs_a_department(cli):
    result = cli("create-user", "liaison", "--role", "DepartmentLiaison", "--password-stdin",
                 password=PASSWORD)
    assert result.exit_code != 0
    assert "必须指定 --department" in result.output
    result = cli("create-user", "liaison", "--role", "DepartmentLiaison",
                 "--department", "县不存在局", "--password-stdin", password=PASSWORD)
    assert result.exit_code != 0
    assert "部门不存在：县不存在局" in result.output
    assert _user("liaison") is None


def test_county_wide_role_refuses_a_township(cli):
    result = cli("create-user", "boss", "--role", "Supervisor", "--township", "城关街道",
                 "--password-stdin", password=PASSWORD)
    assert result.exit_code != 0
    assert "覆盖全县" in result.output
    assert _user("boss") is None


def test_ensure_admin_generates_and_prints_once(cli, monkeypatch):
    monkeypatch.delenv("OFFICE_ADMIN_PASSWORD", raising=False)
    first = cli("ensure-admin")
    assert first.exit_code == 0, first.output
    match = re.search(r"initial password: (\S+)", first.output)
    assert match, first.output
    password = match.group(1)
    assert first.output.count(password) == 1
    assert _password_ok("admin", password)
    assert [role.name for role in _user("admin").roles] == ["Admin"]

    second = cli("ensure-admin")
    assert second.exit_code == 0, second.output
    assert password not in second.output and "password" not in second.output
    assert _password_ok("admin", password)  # untouched
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(OfficeUser).where(OfficeUser.username == "admin")
    ) == 1


def test_ensure_admin_uses_environment_password(cli, monkeypatch):
    monkeypatch.setenv("OFFICE_ADMIN_PASSWORD", "Env-Admin-Passw0rd")
    result = cli("ensure-admin")
    assert result.exit_code == 0, result.output
    assert "Env-Admin-Passw0rd" not in result.output and "password" not in result.output
    assert _password_ok("admin", "Env-Admin-Passw0rd")


def test_generated_admin_password_can_sign_in(app, cli, monkeypatch):
    monkeypatch.delenv("OFFICE_ADMIN_PASSWORD", raising=False)
    output = cli("ensure-admin").output
    password = re.search(r"initial password: (\S+)", output).group(1)
    client = app.test_client()
    resp = client.post("/login/", data={"username": "admin", "password": password})
    assert resp.status_code == 302
