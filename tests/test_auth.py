"""Signing in: account lockout, login rate limiting, password rules, session cookie, secret key.

Lockout (per account): OFFICE_LOCKOUT_FAILURES wrong passwords lock the account for
OFFICE_LOCKOUT_MINUTES, on the login form and the API login alike, by user name or e-mail.
Rate limiting (per client) is off in the test app (conftest sets OFFICE_LOGIN_RATE_LIMITED=0
before the import); a second app built with it on shows the limit.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from office.models import OfficeUser, db
from office.models.base import utcnow
from tests.conftest import DATABASE_URL, PASSWORD
from tests.test_permissions import world  # noqa: F401  (fixture)
from tests.test_scope import parse_form

ROOT = Path(__file__).resolve().parent.parent
WEAK = ["short1!A", "alllowercaseletters", "ALLUPPER12345", "abcdefghij1"]  # <10 or <3 classes
STRONG = "Strong-Passw0rd"


def user_row(username) -> dict | None:
    table = OfficeUser.__table__
    return db.session.execute(
        sa.select(table).where(table.c.username == username)).mappings().one_or_none()


def try_login(app, username, password):
    client = app.test_client()
    resp = client.post("/login/", data={"username": username, "password": password})
    ok = resp.status_code == 302 and "/login" not in resp.headers["Location"]
    return ok, client, resp


def api_login(app, username, password) -> int:
    return app.test_client().post("/api/v1/security/login", json={
        "username": username, "password": password, "provider": "db"}).status_code


@pytest.fixture()
def victim(world):
    """A fresh account for each lockout test."""
    from office.services.users import create_user

    name = f"lock{next(_numbers)}"
    create_user(name, "Supervisor", PASSWORD)
    yield name


_numbers = iter(range(1, 10_000))


# ------------------------------------------------------------------ lockout


def test_failures_below_the_limit_do_not_lock(app, victim):
    limit = app.config["OFFICE_LOCKOUT_FAILURES"]
    for _ in range(limit - 1):
        assert not try_login(app, victim, "wrong-Passw0rd")[0]
    assert try_login(app, victim, PASSWORD)[0]
    assert user_row(victim)["locked_until"] is None
    assert user_row(victim)["fail_login_count"] == 0  # a success starts the count afresh
    for _ in range(limit - 1):
        assert not try_login(app, victim, "wrong-Passw0rd")[0]
    assert try_login(app, victim, PASSWORD)[0]


def test_lockout_refuses_the_right_password_until_it_expires(app, victim):
    limit, minutes = app.config["OFFICE_LOCKOUT_FAILURES"], app.config["OFFICE_LOCKOUT_MINUTES"]
    assert (limit, minutes) == (5, 15)  # the defaults in config.py
    for _ in range(limit):
        assert not try_login(app, victim, "wrong-Passw0rd")[0]
    locked_until = user_row(victim)["locked_until"]
    assert locked_until is not None
    assert abs(locked_until - (utcnow() + dt.timedelta(minutes=minutes))) < dt.timedelta(
        minutes=1)

    ok, _, resp = try_login(app, victim, PASSWORD)
    assert not ok and resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert api_login(app, victim, PASSWORD) == 401
    assert not try_login(app, f"{victim}@local", PASSWORD)[0]  # by e-mail address too
    assert user_row(victim)["locked_until"] == locked_until  # not extended by a right password

    # the lock runs out
    db.session.execute(sa.update(OfficeUser.__table__)
                       .where(OfficeUser.__table__.c.username == victim)
                       .values(locked_until=utcnow() - dt.timedelta(seconds=1)))
    db.session.commit()
    assert try_login(app, victim, PASSWORD)[0]
    assert api_login(app, victim, PASSWORD) == 200


def test_lockout_counts_logins_by_email_and_api(app, victim):
    """Guessing through the e-mail address or the API login is not a way around the lock."""
    limit = app.config["OFFICE_LOCKOUT_FAILURES"]
    for i in range(limit):
        if i % 2:
            assert api_login(app, victim, "wrong-Passw0rd") == 401
        else:
            assert not try_login(app, f"{victim}@local", "wrong-Passw0rd")[0]
    assert user_row(victim)["locked_until"] is not None
    assert not try_login(app, victim, PASSWORD)[0]
    assert not try_login(app, f"{victim}@local", PASSWORD)[0]


def test_unknown_user_is_refused_without_error(app, world):
    for _ in range(app.config["OFFICE_LOCKOUT_FAILURES"] + 1):
        ok, _, resp = try_login(app, "nobody", "wrong-Passw0rd")
        assert not ok and resp.status_code == 302


# ------------------------------------------------------------------ rate limiting


@pytest.fixture(params=[0], ids=["direct"])
def limited_app(app, request):
    from office import create_app

    assert app.config["AUTH_RATE_LIMITED"] is False  # conftest: off for the other tests
    limited = create_app({
        "PROXY_HOPS": request.param,
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": DATABASE_URL,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "localhost",
        "AUTH_RATE_LIMITED": True,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "AUTH_RATE_LIMIT": "3 per minute",
    })
    yield limited
    with limited.app_context():
        db.engine.dispose()


def test_login_is_rate_limited_per_client(app, world, limited_app):
    client = limited_app.test_client()
    statuses = [client.post("/login/", data={"username": "nobody", "password": "x"}).status_code
                for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    # even the right password, from this client, within the minute
    resp = client.post("/login/", data={"username": "bureau", "password": PASSWORD})
    assert resp.status_code == 429
    assert client.get("/login/").status_code == 200  # the form itself is not limited
    # the main test app is unaffected by the second app's limiter
    assert all(try_login(app, "bureau", PASSWORD)[0] for _ in range(4))


@pytest.mark.parametrize("limited_app", [0, 1], ids=["direct", "behind-proxy"], indirect=True)
def test_forwarded_for_counts_only_behind_a_trusted_proxy(app, world, limited_app):
    """OFFICE_PROXY_HOPS=1: each office PC behind nginx has its own limit. Without it a client
    cannot escape the limit by inventing X-Forwarded-For addresses."""
    behind_proxy = limited_app.config["PROXY_HOPS"] == 1
    client = limited_app.test_client()

    def attempt(forwarded_for):
        return client.post("/login/", data={"username": "nobody", "password": "x"},
                           headers={"X-Forwarded-For": forwarded_for}).status_code

    assert [attempt("10.0.0.1") for _ in range(4)] == [302, 302, 302, 429]
    assert attempt("10.0.0.2") == (302 if behind_proxy else 429)


# ------------------------------------------------------------------ password rules


def _user_form(admin, url):
    return parse_form(admin.get(url).get_data(as_text=True))


def _new_user_data(admin, world, username, password):
    form = _user_form(admin, "/users/add")
    role_ids = dict(zip(form.options["roles"], form.options["roles"]))
    assert role_ids, "no roles offered"
    page = admin.get("/users/add").get_data(as_text=True)
    clerk = next(v for v in form.options["roles"]
                 if f'value="{v}">TownshipClerk<' in page or f'value="{v}" >TownshipClerk<' in page)
    return {**form.values, "first_name": "新", "last_name": "用户", "username": username,
            "email": f"{username}@local", "active": "y", "roles": clerk,
            "township": str(world.a.township.id), "password": password,
            "conf_password": password}


@pytest.mark.parametrize("weak", WEAK)
def test_user_add_form_refuses_weak_password(world, weak):
    admin = world.clients["admin"]
    resp = admin.post("/users/add", data=_new_user_data(admin, world, "weakling", weak))
    assert resp.status_code == 200
    assert "密码至少10位" in resp.get_data(as_text=True)
    assert user_row("weakling") is None


def test_user_add_form_accepts_strong_password(app, world):
    admin = world.clients["admin"]
    resp = admin.post("/users/add", data=_new_user_data(admin, world, "newclerk", STRONG))
    assert resp.status_code == 302, resp.get_data(as_text=True)[-3000:]
    row = user_row("newclerk")
    assert row is not None and row["township_id"] == world.a.township.id
    assert try_login(app, "newclerk", STRONG)[0]


def test_admin_reset_password_form_enforces_rules(app, world):
    from office.services.users import create_user

    user = create_user("resetme", "Supervisor", PASSWORD)
    admin = world.clients["admin"]
    url = f"/resetpassword/form?pk={user.id}"
    assert admin.get(url).status_code == 200
    before = user_row("resetme")["password"]
    for weak in WEAK:
        resp = admin.post(url, data={"password": weak, "conf_password": weak})
        assert resp.status_code == 200 and "密码至少10位" in resp.get_data(as_text=True)
        assert user_row("resetme")["password"] == before
    resp = admin.post(url, data={"password": STRONG, "conf_password": STRONG})
    assert resp.status_code == 302
    assert user_row("resetme")["password"] != before
    assert try_login(app, "resetme", STRONG)[0]
    # and nobody but Admin reaches this form
    assert world.clients["bureau"].get(url).status_code == 403


def test_reset_my_password_form_enforces_rules(app, world):
    from office.services.users import create_user

    create_user("selfreset", "Supervisor", PASSWORD)
    ok, client, _ = try_login(app, "selfreset", PASSWORD)
    assert ok
    before = user_row("selfreset")["password"]
    for weak in WEAK:
        resp = client.post("/resetmypassword/form", data={"password": weak, "conf_password": weak})
        assert resp.status_code == 200 and "密码至少10位" in resp.get_data(as_text=True)
        assert user_row("selfreset")["password"] == before
    resp = client.post("/resetmypassword/form", data={"password": STRONG, "conf_password": STRONG})
    assert resp.status_code == 302
    assert try_login(app, "selfreset", STRONG)[0]


@pytest.mark.parametrize("weak", WEAK)
def test_cli_user_creation_refuses_weak_password(world, weak):
    from office.services.users import UserError, create_user

    with pytest.raises(UserError, match="密码至少10位"):
        create_user("cliweak", "Supervisor", weak)
    assert user_row("cliweak") is None


# ------------------------------------------------------------------ cookies and the secret key


def test_session_cookie_flags_on_login(app, world):
    ok, _, resp = try_login(app, "bureau", PASSWORD)
    assert ok
    cookies = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, resp.headers
    flags = {part.strip().split("=")[0].lower(): part.strip()
             for part in cookies[0].split(";")[1:]}
    assert "httponly" in flags
    assert flags.get("samesite", "").lower() == "samesite=lax"
    assert app.config["SESSION_COOKIE_SECURE"] is False  # on only behind HTTPS, by env


def _config_in_subprocess(instance_dir: Path, **env) -> dict:
    code = ("import json, config; c = config.Config; print(json.dumps("
            "{'key': c.SECRET_KEY, 'secure': c.SESSION_COOKIE_SECURE}))")
    environ = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY",
                                                                 "OFFICE_SECURE_COOKIES")}
    environ.update(OFFICE_INSTANCE_DIR=str(instance_dir), **env)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environ, check=True,
                         capture_output=True, text=True).stdout
    import json

    return json.loads(out.strip().splitlines()[-1])


def test_secret_key_comes_from_env_or_a_private_instance_file(tmp_path):
    first = _config_in_subprocess(tmp_path / "one")
    key_file = tmp_path / "one" / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first["key"] == key_file.read_text().strip() and len(first["key"]) >= 32
    assert _config_in_subprocess(tmp_path / "one")["key"] == first["key"]  # kept across starts
    assert _config_in_subprocess(tmp_path / "two")["key"] != first["key"]  # not a constant

    env = _config_in_subprocess(tmp_path / "three", SECRET_KEY="from-the-environment")
    assert env["key"] == "from-the-environment"
    assert not (tmp_path / "three" / "secret_key").exists()

    assert _config_in_subprocess(tmp_path / "one", OFFICE_SECURE_COOKIES="1")["secure"] is True


# SECRET_KEY = "…", "SECRET_KEY": "…", config["SECRET_KEY"] = "…"
SECRET_LITERAL = re.compile(r"""SECRET_KEY['"]?\]?\s*[:=]\s*[rbuf]?['"]""")


def test_no_secret_key_literal_in_the_code():
    sources = [ROOT / "config.py", ROOT / "run.py", *(ROOT / "office").rglob("*.py")]
    for path in [p for p in sources if p.exists()]:
        for line in path.read_text(encoding="utf-8").splitlines():
            assert not SECRET_LITERAL.search(line.split("#")[0]), f"{path}: {line.strip()}"
    assert SECRET_LITERAL.search('SECRET_KEY = "dev"')  # the pattern does catch one
    assert SECRET_LITERAL.search("app.config['SECRET_KEY'] = 'x'")
    assert not SECRET_LITERAL.search('key = app.config["SECRET_KEY"]')
