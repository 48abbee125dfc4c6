"""Sessions and tokens that end (office/security.py): logout, a password change or reset,
deactivation and a change of roles or scope end every session cookie and every API token the
user had - access and refresh alike; signing out is a POST with the CSRF token; every login
path has the same limit."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from office.models import Compound, OfficeUser, db
from tests.conftest import PASSWORD
from tests.test_auth import limited_app  # noqa: F401  (fixture)
from tests.test_csrf import csrf_on, token_from  # noqa: F401  (fixture)

NEW_PASSWORD = "Another-Passw0rd!"


def _user(username) -> OfficeUser:
    db.session.expire_all()
    return db.session.scalar(sa.select(OfficeUser).where(OfficeUser.username == username))


def _copy_of(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value, domain="localhost")
    return thief


def _signed_in(client) -> bool:
    return client.get("/compoundview/list/").status_code == 200


def _tokens(app, username, password=PASSWORD) -> dict:
    resp = app.test_client().post("/api/v1/security/login", json={
        "username": username, "password": password, "provider": "db", "refresh": True})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def _bearer(app, token, method="get", url="/api/v1/compound/", **kw):
    return getattr(app.test_client(), method)(
        url, headers={"Authorization": f"Bearer {token}"}, **kw)


# ------------------------------------------------------------------ sessions


def test_a_copied_session_cookie_dies_with_logout(app, login, county):
    clerk = login("bureau")
    thief = _copy_of(app, clerk)
    assert _signed_in(thief)
    assert clerk.post("/logout/").status_code == 302
    assert not _signed_in(clerk)
    # the copy is refused on every path, and changes nothing
    page = thief.get("/compoundview/list/")
    assert page.status_code == 302 and "/login/" in page.headers["Location"]
    pk = county.a.compound.id
    resp = _copy_of(app, clerk).put(f"/api/v1/compound/{pk}",
                                    json={"households": 1, "version": 1})
    assert resp.status_code == 401
    db.session.expire_all()
    assert db.session.get(Compound, pk).households == 320


def test_logout_is_a_post(app, login):
    clerk = login("bureau")
    assert clerk.get("/logout/").status_code == 405
    assert _signed_in(clerk)
    page = clerk.get("/compoundview/list/").get_data(as_text=True)
    assert 'method="post" action="/logout/"' in page and 'name="csrf_token"' in page


def test_logout_needs_the_csrf_token(app, users, csrf_on):  # noqa: F811
    client = app.test_client()
    assert client.post("/login/", data={"username": "bureau", "password": PASSWORD,
                                        "csrf_token": token_from(client, "/login/")}
                       ).status_code == 302
    assert client.post("/logout/").status_code == 400  # no token: refused, still signed in
    assert _signed_in(client)
    token = token_from(client, "/compoundview/list/")  # the navbar's sign-out form carries it
    assert client.post("/logout/", data={"csrf_token": token}).status_code == 302
    assert not _signed_in(client)


@pytest.mark.parametrize("change", ["password", "deactivate", "roles", "township"])
def test_other_sessions_end_when_the_account_changes(app, login, county, change):
    here, there = login("town_a"), login("town_a")
    assert _signed_in(there)
    user = _user("town_a")
    before = user.session_generation
    if change == "password":
        app.appbuilder.sm.reset_password(user.id, NEW_PASSWORD)
    elif change == "deactivate":
        user.active = False
    elif change == "roles":
        user.roles = [app.appbuilder.sm.find_role("Supervisor")]
    else:
        user.township = county.b.township
    db.session.commit()
    assert _user("town_a").session_generation == before + 1
    assert not _signed_in(here) and not _signed_in(there)


def test_a_login_and_an_unrelated_change_keep_the_sessions(app, login):
    first = login("bureau")
    before = _user("bureau").session_generation
    login("bureau")  # a second browser: login counts and dates change, sessions stay
    user = _user("bureau")
    user.first_name = "新名字"
    db.session.commit()
    assert _user("bureau").session_generation == before
    assert _signed_in(first)


# ------------------------------------------------------------------ tokens


def test_tokens_die_with_the_password(app, users):
    tokens = _tokens(app, "bureau")
    assert _bearer(app, tokens["access_token"]).status_code == 200
    refreshed = _bearer(app, tokens["refresh_token"], "post", "/api/v1/security/refresh")
    assert refreshed.status_code == 200

    app.appbuilder.sm.reset_password(_user("bureau").id, NEW_PASSWORD)
    for access in (tokens["access_token"], refreshed.get_json()["access_token"]):
        resp = _bearer(app, access)
        assert resp.status_code == 401 and "登录已失效" in resp.get_json()["message"]
    resp = _bearer(app, tokens["refresh_token"], "post", "/api/v1/security/refresh")
    assert resp.status_code == 401  # mints no new access token

    fresh = _tokens(app, "bureau", NEW_PASSWORD)
    assert _bearer(app, fresh["access_token"]).status_code == 200


def test_tokens_die_with_logout_and_deactivation(app, login, users):
    tokens = _tokens(app, "bureau")
    login("bureau").post("/logout/")
    assert _bearer(app, tokens["access_token"]).status_code == 401
    tokens = _tokens(app, "bureau")
    user = _user("bureau")
    user.active = False
    db.session.commit()
    assert _bearer(app, tokens["access_token"]).status_code == 401


def test_a_forged_generation_is_refused(app, users):
    from flask_jwt_extended import create_access_token

    with app.test_request_context():
        forged = create_access_token(identity=str(_user("bureau").id),
                                     additional_claims={"office_gen": 99})
    assert _bearer(app, forged).status_code == 401


# ------------------------------------------------------------------ every login path limited


def test_api_login_is_limited_like_the_form(limited_app, users):  # noqa: F811
    client = limited_app.test_client()

    def api():
        return client.post("/api/v1/security/login", json={
            "username": "nobody", "password": "x", "provider": "db"}).status_code

    def form():
        return client.post("/login/", data={"username": "nobody", "password": "x"}).status_code

    # 3 per minute (the fixture), counted across both paths
    assert [api(), form(), api(), api(), form()] == [401, 302, 401, 429, 429]
