"""CSRF: every state-changing form POST needs the session's token, and GET never deletes.

The test app runs with WTF_CSRF_ENABLED = False (conftest); these tests switch it on for their
own duration. Flask-WTF reads the setting on every request (its before_request hook and each
FlaskForm's meta), which `test_setting_is_read_per_request` demonstrates, so switching it on a
running app is faithful to an app started with it on.
"""
from __future__ import annotations

import re

import pytest

from office.models import Compound, Dispute
from tests.conftest import PASSWORD
from tests.test_permissions import (  # noqa: F401  (fixtures)
    copy_row,
    rows_of,
    world,
)
from tests.test_scope import form_data, parse_form, snapshot

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture()
def csrf_on(app):
    previous = app.config["WTF_CSRF_ENABLED"]
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = previous


def token_from(client, url) -> str:
    tokens = TOKEN.findall(client.get(url).get_data(as_text=True))
    assert tokens, f"no csrf_token on {url}"
    return tokens[0]


def test_setting_is_read_per_request(app, world):
    """The same POST without a token: accepted with CSRF off, refused once it is switched on."""
    client = world.clients["bureau"]
    victim = copy_row(world.a.dispute, world)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/disputeview/delete/{victim.id}").status_code == 400
        assert rows_of(Dispute, id=victim.id) == 1
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert client.post(f"/disputeview/delete/{victim.id}").status_code == 302
    assert rows_of(Dispute, id=victim.id) == 0


@pytest.mark.parametrize("csrf", [True, False], ids=["csrf-on", "csrf-off"])
def test_get_never_deletes(app, world, csrf):
    """GET /<view>/delete/<id> (a link, an <img src>) must not delete, and neither may the GET
    form of a single-row action."""
    client = world.clients["bureau"]
    victim = copy_row(world.a.compound, world)
    count = rows_of(Compound)
    previous = app.config["WTF_CSRF_ENABLED"]
    app.config["WTF_CSRF_ENABLED"] = csrf
    try:
        resp = client.get(f"/compoundview/delete/{victim.id}")
        assert resp.status_code == 302
        resp = client.get(f"/compoundview/action/muldelete/{victim.id}")
        assert resp.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = previous
    assert rows_of(Compound) == count and rows_of(Compound, id=victim.id) == 1


def test_posts_without_token_are_refused(world, csrf_on):
    client = world.clients["bureau"]
    victim = copy_row(world.a.compound, world)
    before, count = snapshot(victim), rows_of(Compound)
    data = form_data(client, f"/compoundview/edit/{victim.id}", victim)
    data.pop("csrf_token", None)

    assert client.post(f"/compoundview/delete/{victim.id}").status_code == 400
    assert client.post("/compoundview/action_post",
                       data={"action": "muldelete", "rowid": [victim.id]}).status_code == 400
    assert client.post(f"/compoundview/edit/{victim.id}",
                       data={**data, "households": "999"}).status_code == 400
    assert client.post("/compoundview/add", data={**data, "name": "无令牌小区"}).status_code == 400
    assert rows_of(Compound) == count and snapshot(victim) == before


def test_token_of_another_session_is_refused(world, csrf_on):
    bureau, admin = world.clients["bureau"], world.clients["admin"]
    victim = copy_row(world.a.compound, world)
    foreign = token_from(admin, "/compoundview/list/")
    resp = bureau.post(f"/compoundview/delete/{victim.id}", data={"csrf_token": foreign})
    assert resp.status_code == 400
    assert rows_of(Compound, id=victim.id) == 1


def test_posts_with_the_form_token_succeed(world, csrf_on):
    client = world.clients["bureau"]
    victim = copy_row(world.a.compound, world)
    count = rows_of(Compound)

    edit = parse_form(client.get(f"/compoundview/edit/{victim.id}").get_data(as_text=True))
    assert edit.values.get("csrf_token"), "the edit form carries no csrf_token"
    resp = client.post(f"/compoundview/edit/{victim.id}", data={**edit.values, "households": "999"})
    assert resp.status_code == 302
    assert snapshot(victim)["households"] == 999

    add = parse_form(client.get("/compoundview/add").get_data(as_text=True))
    data = form_data(client, "/compoundview/add", victim, name="有令牌小区")
    resp = client.post("/compoundview/add", data={**data, "csrf_token": add.values["csrf_token"]})
    assert resp.status_code == 302
    assert rows_of(Compound) == count + 1

    token = token_from(client, "/compoundview/list/")  # the list's hidden delete form
    resp = client.post(f"/compoundview/delete/{victim.id}", data={"csrf_token": token})
    assert resp.status_code == 302
    assert rows_of(Compound, id=victim.id) == 0

    other = copy_row(world.a.compound, world)
    resp = client.post("/compoundview/action_post",
                       data={"action": "muldelete", "rowid": [other.id], "csrf_token": token})
    assert resp.status_code == 302
    assert rows_of(Compound, id=other.id) == 0


def test_login_form_needs_token(app, world, csrf_on):
    client = app.test_client()
    resp = client.post("/login/", data={"username": "bureau", "password": PASSWORD})
    assert resp.status_code == 400
    token = token_from(client, "/login/")
    resp = client.post("/login/", data={"username": "bureau", "password": PASSWORD,
                                        "csrf_token": token})
    assert resp.status_code == 302 and "/login" not in resp.headers["Location"]


def test_api_with_session_cookie_takes_json_only(world, csrf_on):
    """The REST API is CSRF-exempt (JWT clients send no token). A cross-site page can only
    send it a 'simple' form or text POST with the user's cookie; the API refuses anything that
    is not application/json, which a browser sends cross-site only after a CORS preflight the
    app never grants."""
    client = world.clients["bureau"]
    count = rows_of(Compound)
    payload = {"name": "跨站小区", "township": world.a.township.id}
    assert client.post("/api/v1/compound/", data=payload).status_code == 400
    assert client.post("/api/v1/compound/", data='{"name": "跨站小区"}',
                       content_type="text/plain").status_code == 400
    assert rows_of(Compound) == count
