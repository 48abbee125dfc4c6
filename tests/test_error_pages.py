"""Error answers in the app's own words (kit/errors.py): a Chinese page with the navbar and a way
back for a browser, JSON for the API; a 500 says nothing of its cause."""
from __future__ import annotations

import pytest

from tests.conftest import DATABASE_URL


def test_a_row_outside_the_scope_is_a_chinese_404_page(login, county):
    resp = login("town_a").get(f"/compoundview/show/{county.b.compound.id}")
    assert resp.status_code == 404
    page = resp.get_data(as_text=True)
    assert "未找到" in page and "不在您的管辖范围内" in page and "返回首页" in page
    assert 'class="navbar' in page  # the app's layout, signed in
    assert "Not Found" not in page


def test_api_errors_are_json(login, county):
    resp = login("town_a").get(f"/api/v1/compound/{county.b.compound.id}")
    assert resp.status_code == 404 and resp.is_json
    resp = login("town_a").get("/api/v1/no-such-api/")
    assert resp.status_code == 404 and "没有找到" in resp.get_json()["message"]


def test_unknown_page_and_wrong_method(login):
    client = login("bureau")
    assert "没有找到这个页面" in client.get("/no-such-page").get_data(as_text=True)
    resp = client.get("/logout/")
    assert resp.status_code == 405 and "退出" in resp.get_data(as_text=True)


def test_too_large_is_413_in_chinese(app, login, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    resp = login("bureau").post("/api/v1/compound/", data=b"x" * 4096,
                                content_type="application/json")
    assert resp.status_code == 413 and "上限" in resp.get_json()["message"]


@pytest.fixture()
def failing_app(app):
    """An app as in production (exceptions are not propagated) with a route that fails."""
    from office import create_app
    from office.models import db

    prod = create_app({"TESTING": False, "SQLALCHEMY_DATABASE_URI": DATABASE_URL,
                       "WTF_CSRF_ENABLED": False, "SERVER_NAME": "localhost"})

    @prod.route("/boom")
    def boom():
        raise RuntimeError("secret detail")

    @prod.route("/api/v1/boom")
    def api_boom():
        raise RuntimeError("secret detail")

    yield prod
    with prod.app_context():
        db.engine.dispose()


def test_a_server_error_is_a_chinese_page_without_detail(failing_app, users):
    client = failing_app.test_client()
    page = client.get("/boom")
    assert page.status_code == 500
    text = page.get_data(as_text=True)
    assert "系统处理时出现错误" in text and "secret detail" not in text
    resp = client.get("/api/v1/boom")
    assert resp.status_code == 500 and "secret" not in resp.get_json()["message"]
